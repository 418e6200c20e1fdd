package dev.grafanaproxy.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.ToDoubleFunction;

/**
 * A paired A/B of two builds of the WAR in one container: both server JVMs run side by side
 * against the same upstream, are warmed up alike, and are then loaded in alternate rounds (A, B,
 * A, B, ...), so that whatever else the machine does at the time hits both alike. Each round
 * records req/s, p99 and the server JVM's CPU time per request (user + system, which moves less
 * with the machine's speed than req/s does); the report gives each round and the medians' ratios
 * B/A. This is how a change to the proxy is judged before it is kept: on the shared 2-core machine
 * the same row moves by 30 % or more between separate runs, far more than most changes are worth.
 */
final class Pair {
    private Pair() {
    }

    record Round(String side, Load.Result load, double cpuMicrosPerRequest) {
    }

    /**
     * @param startA starts side A's server JVM (with {@code warA}), {@code startB} side B's
     * @param jvmB   JVM flags given to side B alone, for the report ("" for none)
     * @param rowId  the benchmark row both sides run as, e.g. {@code war-tomcat}
     * @param path   the file below the mount to load, e.g. {@code /1k.json}
     */
    static Path run(Callable<ServerProcess> startA, Callable<ServerProcess> startB, Path warA, Path warB, String jvmB,
                    String rowId, String path, long length, String cookie, int warmup, int seconds, int rounds,
                    Path out) throws Exception {
        String url = "/grafana" + path;
        int threads = length > Runner.SMALL ? 1 : 2;
        int connections = length > Runner.SMALL ? 4 : 32;
        List<Round> results = new ArrayList<>();
        try (ServerProcess a = startA.call(); ServerProcess b = startB.call()) {
            for (ServerProcess s : List.of(a, b)) {
                Clients.check("http://127.0.0.1:" + s.port() + url, cookie, length);
                Runner.log("warm-up " + warmup + " s on port " + s.port());
                Load.wrk("http://127.0.0.1:" + s.port() + url, threads, connections, warmup, cookie, null);
            }
            for (int r = 1; r <= rounds; r++) {
                for (ServerProcess s : List.of(a, b)) {
                    String side = s == a ? "A" : "B";
                    Duration cpu0 = cpu(s);
                    Load.Result load = Load.wrk("http://127.0.0.1:" + s.port() + url, threads, connections, seconds,
                            cookie, null);
                    double cpu = (cpu(s).toNanos() - cpu0.toNanos()) / 1000.0 / Math.max(1, load.requests());
                    results.add(new Round(side, load, cpu));
                    Runner.log(String.format(Locale.ROOT, "round %d %s: %.0f req/s, p99 %.2f ms, %.1f µs CPU per request",
                            r, side, load.perSecond(), load.p99(), cpu));
                }
            }
        }
        return write(out, warA, warB, jvmB, rowId, path, "-t" + threads + " -c" + connections, warmup, seconds,
                results);
    }

    private static Duration cpu(ServerProcess s) {
        return ProcessHandle.of(s.pid()).flatMap(p -> p.info().totalCpuDuration()).orElse(Duration.ZERO);
    }

    private static Path write(Path dir, Path warA, Path warB, String jvmB, String rowId, String path, String wrk,
                              int warmup, int seconds, List<Round> rounds) throws IOException {
        StringBuilder md = new StringBuilder();
        md.append("# Paired A/B ").append(LocalDateTime.now().withNano(0).toString().replace('T', ' ')).append("\n\n");
        md.append("- A: `").append(warA).append("`\n- B: `").append(warB).append('`')
                .append(jvmB.isEmpty() ? "" : ", with the JVM flags `" + jvmB + "`").append('\n');
        md.append("- Both as row ").append(rowId).append(", side by side, each warmed up for ").append(warmup)
                .append(" s; then alternate rounds of wrk `").append(wrk).append(" -d").append(seconds)
                .append("s` on `/grafana").append(path).append("`.\n\n");
        md.append("Reproduce: `bash benchmarks/run pair=<B.war> war=<A.war> only=").append(rowId)
                .append(" pair.path=").append(path)
                .append(jvmB.isEmpty() ? "" : " 'pair.jvm=" + jvmB + "'").append("`.\n\n");
        md.append("| round | side | req/s | p99 ms | server CPU µs per request |\n|---|---|---|---|---|\n");
        int i = 0;
        for (Round r : rounds) {
            md.append(String.format(Locale.ROOT, "| %d | %s | %.0f | %.2f | %.1f |%n", i++ / 2 + 1, r.side(),
                    r.load().perSecond(), r.load().p99(), r.cpuMicrosPerRequest()));
        }
        double rpsA = median(rounds, "A", r -> r.load().perSecond());
        double rpsB = median(rounds, "B", r -> r.load().perSecond());
        double cpuA = median(rounds, "A", Round::cpuMicrosPerRequest);
        double cpuB = median(rounds, "B", Round::cpuMicrosPerRequest);
        md.append(String.format(Locale.ROOT, "%nMedians: A %.0f req/s at %.1f µs CPU per request, B %.0f req/s at %.1f µs; "
                + "B/A: %.2f× req/s, %.2f× CPU per request.%n", rpsA, cpuA, rpsB, cpuB, rpsB / rpsA, cpuB / cpuA));
        Files.createDirectories(dir);
        Path file = dir.resolve("pair-" + LocalDateTime.now().withNano(0).toString().replace(':', '-') + ".md");
        Files.writeString(file, md);
        Runner.log(String.format(Locale.ROOT, "B/A: %.2f× req/s, %.2f× CPU per request", rpsB / rpsA, cpuB / cpuA));
        return file;
    }

    private static double median(List<Round> rounds, String side, ToDoubleFunction<Round> f) {
        double[] v = rounds.stream().filter(r -> r.side().equals(side)).mapToDouble(f).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
