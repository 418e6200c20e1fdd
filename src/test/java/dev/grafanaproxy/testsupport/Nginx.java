package dev.grafanaproxy.testsupport;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;

/**
 * The Debian {@code nginx} binary as a load balancer on loopback, run in the foreground as its own
 * process with everything (pid, logs, temp files) in one directory. It is given a site
 * configuration (what a user puts in {@code /etc/nginx/conf.d/}) and wraps it in a minimal
 * {@code nginx.conf} whose access log records, per request, which upstream served it.
 */
public final class Nginx implements AutoCloseable {
    /** Where Debian's package installs it. */
    public static final Path BINARY = Path.of("/usr/sbin/nginx");

    private final Path dir;
    private final int port;
    private final Process process;

    private Nginx(Path dir, int port, Process process) {
        this.dir = dir;
        this.port = port;
        this.process = process;
    }

    /**
     * Skips the calling test when nginx is not installed, except in CI ({@code CI=true}), where
     * {@code .ci/run} installs it and its absence is a failure.
     */
    public static void assumeInstalled() {
        boolean installed = Files.isExecutable(BINARY);
        if (!installed && "true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new IllegalStateException(BINARY + " is missing: .ci/run installs the Debian package nginx");
        }
        Assumptions.assumeTrue(installed, "nginx is not installed (apt-get install -y nginx)");
    }

    /**
     * Starts nginx with {@code site} (which must {@code listen} on {@code 127.0.0.1:port}) and
     * waits until it accepts connections.
     *
     * @param dir  an empty directory for its files; the site file goes to {@code dir/conf.d/}
     * @param site the site configuration's text
     * @param port the port the site listens on
     */
    public static Nginx start(Path dir, String site, int port) throws IOException, InterruptedException {
        Files.createDirectories(dir.resolve("conf.d"));
        Files.createDirectories(dir.resolve("temp"));
        Files.writeString(dir.resolve("conf.d/site.conf"), site, StandardCharsets.UTF_8);
        // nginx appends: a run of the same test without "mvn clean" must not read the last run's lines
        Files.deleteIfExists(dir.resolve("access.log"));
        Files.deleteIfExists(dir.resolve("error.log"));
        String main = """
                daemon off;
                worker_processes 1;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log warn;
                events { worker_connections 256; }
                http {
                    log_format upstreams '$request_method $request_uri $status $upstream_addr';
                    access_log %1$s/access.log upstreams;
                    client_body_temp_path %1$s/temp/body;
                    proxy_temp_path %1$s/temp/proxy;
                    include %1$s/conf.d/*.conf;
                }
                """.formatted(dir.toAbsolutePath());
        Files.writeString(dir.resolve("nginx.conf"), main, StandardCharsets.UTF_8);
        Process p = new ProcessBuilder(BINARY.toString(), "-p", dir.toAbsolutePath().toString(), "-e",
                dir.toAbsolutePath().resolve("error.log").toString(), "-c", dir.toAbsolutePath().resolve("nginx.conf").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("console.log").toFile()).start();
        Nginx nginx = new Nginx(dir, port, p);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < end) {
            if (!p.isAlive()) {
                throw new IllegalStateException("nginx exited with " + p.exitValue() + ":\n" + nginx.errorLog());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
                return nginx;
            } catch (IOException e) {
                Thread.sleep(50);
            }
        }
        nginx.close();
        throw new IllegalStateException("nginx did not listen on " + port + ":\n" + nginx.errorLog());
    }

    /** The port it listens on. */
    public int port() {
        return port;
    }

    /**
     * The access log: one line per request, {@code METHOD URI STATUS UPSTREAM} where UPSTREAM is
     * the {@code ip:port} of the server that answered.
     */
    public List<String> accessLog() throws IOException {
        Path log = dir.resolve("access.log");
        return Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
    }

    /** Its error log and console output. */
    public String errorLog() {
        try {
            return List.of("error.log", "console.log").stream().map(dir::resolve).filter(Files::exists).map(f -> {
                try {
                    return Files.readString(f);
                } catch (IOException e) {
                    return "";
                }
            }).collect(Collectors.joining("\n"));
        } catch (RuntimeException e) {
            return "";
        }
    }

    /** Stops it (SIGTERM to its master process, which takes the workers along). */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
