package dev.grafanaproxy.benchmarks;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A {@link BenchServer} in its own JVM, with {@link Runner#JVM_FLAGS}, and its side-port stats. */
final class ServerProcess implements AutoCloseable {

    private static final HttpClient STATS = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Process process;
    private final int port;
    private final int statsPort;

    private ServerProcess(Process process, int port, int statsPort) {
        this.process = process;
        this.port = port;
        this.statsPort = statsPort;
    }

    /** @param jvmExtra more JVM flags for this server alone (a paired A/B's side B), space-separated, or "" */
    static ServerProcess start(String classpath, String container, String system, int threads, String upstream,
            Path docroot, Path war, Path work, Map<String, String> contextParams, String jvmExtra)
            throws IOException, InterruptedException {
        int port = Ports.free();
        int statsPort = Ports.free();
        Files.createDirectories(work);
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(Runner.JVM_FLAGS);
        String extra = System.getenv("BENCH_JVM_EXTRA"); // e.g. a JFR recording while profiling
        for (String flags : new String[] {extra, jvmExtra}) {
            if (flags != null && !flags.isBlank()) {
                cmd.addAll(List.of(flags.trim().split("\\s+")));
            }
        }
        cmd.addAll(List.of("-cp", classpath, BenchServer.class.getName(), "container=" + container,
                "system=" + system, "port=" + port, "stats-port=" + statsPort, "threads=" + threads,
                "upstream=" + upstream, "docroot=" + docroot, "war=" + war, "work=" + work));
        contextParams.forEach((k, v) -> cmd.add("ctx." + k + "=" + v));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(work.resolve("server.log").toFile()).start();
        Ports.awaitOpen(port, p, 60_000);
        Ports.awaitOpen(statsPort, p, 10_000);
        return new ServerProcess(p, port, statsPort);
    }

    int port() {
        return port;
    }

    long pid() {
        return process.pid();
    }

    void resetStats() throws IOException, InterruptedException {
        get("/reset");
    }

    void gc() throws IOException, InterruptedException {
        get("/gc");
    }

    /** heap_used, heap_peak, live_after_gc_peak, threads, threads_peak, rss, rss_peak (bytes/count). */
    Map<String, Long> stats() throws IOException, InterruptedException {
        Map<String, Long> m = new LinkedHashMap<>();
        for (String line : get("/stats").split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                m.put(line.substring(0, eq), Long.parseLong(line.substring(eq + 1)));
            }
        }
        return m;
    }

    private String get(String path) throws IOException, InterruptedException {
        return STATS.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + statsPort + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
