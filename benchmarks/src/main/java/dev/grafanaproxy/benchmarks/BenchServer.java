package dev.grafanaproxy.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One server JVM of the benchmark: Tomcat 11 or Jetty 12 with a host-app page at {@code /} and,
 * at {@code /grafana}, one of the systems compared (the container's own static file serving, one
 * of the peer proxy servlets, or {@code grafana.war}). Every system forwards {@code /grafana/x}
 * to the upstream's {@code /x}. A {@link ServerStats} endpoint on a side port reports heap,
 * threads and RSS to the runner.
 *
 * <p>Arguments are {@code key=value}: {@code container} (tomcat|jetty), {@code system}
 * (static|jetty-proxy|smiley|war), {@code port}, {@code stats-port}, {@code threads} (request
 * threads, 200 as both containers default), {@code upstream} (URL), {@code docroot},
 * {@code war}, {@code work}, and {@code ctx.<name>=<value>} context-params for the WAR.
 */
public final class BenchServer {

    /**
     * Every proxy's pool towards the upstream ({@code proxy.max_connections} for the WAR): large
     * enough for the 2 000 held streams, so that the pool is not what limits them.
     */
    static final int POOL = 4096;

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>();
        Map<String, String> ctx = new LinkedHashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            String k = arg.substring(0, eq);
            String v = arg.substring(eq + 1);
            if (k.startsWith("ctx.")) {
                ctx.put(k.substring(4), v);
            } else {
                a.put(k, v);
            }
        }
        Settings s = new Settings(a.get("container"), a.get("system"), Integer.parseInt(a.get("port")),
                Integer.parseInt(a.getOrDefault("threads", "200")), a.get("upstream"),
                Path.of(a.getOrDefault("docroot", ".")), Path.of(a.getOrDefault("war", "grafana.war")),
                Files.createDirectories(Path.of(a.get("work"))), ctx);
        ServerStats.start(Integer.parseInt(a.get("stats-port")));
        AutoCloseable server = switch (s.container()) {
            case "tomcat" -> TomcatServer.start(s);
            case "jetty" -> JettyServer.start(s);
            default -> throw new IllegalArgumentException("container=" + s.container());
        };
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.close();
            } catch (Exception ignored) {
                // exiting anyway
            }
        }));
        System.out.println("READY " + s.container() + " " + s.system() + " on " + s.port());
        Thread.currentThread().join();
    }

    record Settings(String container, String system, int port, int threads, String upstream, Path docroot,
            Path war, Path work, Map<String, String> contextParams) {
    }
}
