package dev.grafanaproxy.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The one nginx of the run. Port {@code upstream} is the upstream every system forwards to (and
 * the "direct" row): the files, {@code /upload} (reads the whole body, then answers),
 * {@code /slow} (answers after 5 s), {@code /sse} (one event, then silence) and the JWKS. Port
 * {@code proxy} is the "nginx {@code proxy_pass}" row: {@code /grafana/} to the upstream over
 * kept-alive connections, otherwise nginx's defaults. The echo module gives the slow, SSE and
 * upload endpoints.
 */
final class Nginx implements AutoCloseable {

    static final String ECHO_MODULE = "/usr/lib/nginx/modules/ngx_http_echo_module.so";

    private final Process process;

    private Nginx(Process process) {
        this.process = process;
    }

    static Nginx start(Path prefix, Path docroot, int upstream, int proxy) throws IOException, InterruptedException {
        Files.createDirectories(prefix.resolve("logs"));
        boolean root = "root".equals(System.getProperty("user.name"));
        String conf = String.join("\n",
                "load_module " + ECHO_MODULE + ";",
                root ? "user root;" : "",
                "worker_processes auto;",
                "worker_rlimit_nofile 65536;",
                "pid " + prefix.resolve("nginx.pid") + ";",
                "error_log " + prefix.resolve("logs/error.log") + " warn;",
                "events { worker_connections 32768; }",
                "http {",
                "  access_log off;",
                "  sendfile on; tcp_nopush on; tcp_nodelay on;",
                "  keepalive_timeout 300s; keepalive_requests 10000000;",
                "  default_type application/octet-stream;",
                "  types { application/json json; application/octet-stream bin; text/html html; }",
                "  client_body_temp_path " + prefix.resolve("client_body") + ";",
                "  proxy_temp_path " + prefix.resolve("proxy") + ";",
                "  fastcgi_temp_path " + prefix.resolve("fastcgi") + ";",
                "  uwsgi_temp_path " + prefix.resolve("uwsgi") + ";",
                "  scgi_temp_path " + prefix.resolve("scgi") + ";",
                "  upstream backend { server 127.0.0.1:" + upstream + "; keepalive 256; }",
                "  server {",
                "    listen 127.0.0.1:" + upstream + " backlog=4096;",
                "    root " + docroot.toAbsolutePath() + ";",
                "    location = /upload { client_max_body_size 16m; client_body_buffer_size 16m;",
                "      echo_read_request_body; default_type application/json; echo '{\"ok\":true}'; }",
                "    location = /slow { default_type application/json; echo_sleep 5; echo '{\"slow\":true}'; }",
                "    location = /sse { default_type text/event-stream; add_header X-Accel-Buffering no;",
                "      echo 'data: hello'; echo ''; echo_flush; echo_sleep 3600; echo 'data: bye'; }",
                "  }",
                "  server {",
                "    listen 127.0.0.1:" + proxy + " backlog=4096;",
                "    location /grafana/ { proxy_pass http://backend/; proxy_http_version 1.1;",
                "      proxy_set_header Connection \"\"; client_max_body_size 16m; proxy_read_timeout 3600s; }",
                "  }",
                "}", "");
        Path file = prefix.resolve("nginx.conf");
        Files.writeString(file, conf);
        Process p = new ProcessBuilder(List.of("nginx", "-p", prefix.toString(), "-c", file.toString(),
                "-g", "daemon off;")).redirectErrorStream(true)
                .redirectOutput(prefix.resolve("logs/stdout.log").toFile()).start();
        Nginx nginx = new Nginx(p);
        Ports.awaitOpen(upstream, p, 10_000);
        Ports.awaitOpen(proxy, p, 10_000);
        return nginx;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        process.waitFor();
    }
}
