package dev.grafanaproxy.benchmarks;

import dev.grafanaproxy.benchmarks.Runner.Row;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/** The run's figures, as one Markdown file with each system a row and the targets checked. */
final class Report {

    /** Everything measured for one system; a null field was not measured (or does not apply). */
    static final class Figures {
        final Row row;
        Load.Result small;
        Load.Result fixed;
        Load.Result get;
        Load.Result post;
        Map<String, Long> largeMemory;
        Clients.IdleStreams idle;
        Map<String, Long> idleMemory;
        long streamed;
        Map<String, Long> streamBefore;
        Map<String, Long> streamAfter;
        Clients.Isolation isolation;
        Map<String, Long> isolationMemory;
        String failure;

        Figures(Row row) {
            this.row = row;
        }
    }

    private final Map<String, Figures> rows = new LinkedHashMap<>();
    private final int warmup;
    private final int seconds;
    double fixedRate = Double.NaN;

    Report(int warmup, int seconds) {
        this.warmup = warmup;
        this.seconds = seconds;
    }

    Figures row(Row row) {
        return rows.computeIfAbsent(row.id(), id -> new Figures(row));
    }

    Path write(Path dir, String war) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        StringBuilder md = new StringBuilder();
        String when = LocalDateTime.now().withNano(0).toString();
        md.append("# Benchmark run ").append(when.replace('T', ' ')).append("\n\n");
        md.append(environment(war)).append('\n');
        List<Figures> ordered = new ArrayList<>();
        for (String id : List.of("direct", "nginx-proxy", "static-tomcat", "static-jetty", "jettyproxy-tomcat",
                "jettyproxy-jetty", "smiley-tomcat", "war-tomcat", "war-jetty")) {
            if (rows.containsKey(id)) {
                ordered.add(rows.get(id));
            }
        }
        md.append(String.format(Locale.ROOT, "## 1 KB GET%n%nwrk `-t2 -c32 -d%ds --latency`; the fixed-rate column is hey "
                + "`-c16` holding %.0f req/s in total (half the saturation of grafana.war in Tomcat) for %d s.%n%n",
                seconds, fixedRate, seconds));
        md.append("| system | req/s | × direct | × own container | p50 ms | p99 ms | p99 ms at ")
                .append(num(fixedRate, 0)).append(" req/s | errors |\n|---|---|---|---|---|---|---|---|\n");
        for (Figures f : ordered) {
            if (f.small == null) {
                continue;
            }
            md.append("| ").append(f.row.title()).append(" | ").append(num(f.small.perSecond(), 0))
                    .append(" | ").append(ratio(f, "direct", x -> x.small.perSecond()))
                    .append(" | ").append(ratio(f, staticOf(f), x -> x.small.perSecond()))
                    .append(" | ").append(num(f.small.p50(), 2)).append(" | ").append(num(f.small.p99(), 2))
                    .append(" | ").append(f.fixed == null ? "–" : num(f.fixed.p99(), 2))
                    .append(" | ").append(f.small.errors() + (f.fixed == null ? 0 : f.fixed.errors())).append(" |\n");
        }
        md.append(String.format(Locale.ROOT, "%n## 10 MB GET and POST%n%nwrk `-t1 -c4 -d%ds` (POST: a 10 MB body from a "
                + "wrk script; the upstream reads it all, then answers; the static rows' container reads it with a "
                + "servlet). MB = 2^20 bytes. Peak heap and RSS of the server JVM over both.%n%n", seconds));
        md.append("| system | GET MB/s | × direct | × own container | POST MB/s | × direct | × own container "
                + "| peak heap MB | peak RSS MB | errors |\n|---|---|---|---|---|---|---|---|---|---|\n");
        for (Figures f : ordered) {
            if (f.get == null) {
                continue;
            }
            md.append("| ").append(f.row.title())
                    .append(" | ").append(num(f.get.mibPerSecond(Runner.LARGE), 0))
                    .append(" | ").append(ratio(f, "direct", x -> x.get.mibPerSecond(Runner.LARGE)))
                    .append(" | ").append(ratio(f, staticOf(f), x -> x.get.mibPerSecond(Runner.LARGE)))
                    .append(" | ").append(num(f.post.mibPerSecond(Runner.LARGE), 0))
                    .append(" | ").append(ratio(f, "direct", x -> x.post.mibPerSecond(Runner.LARGE)))
                    .append(" | ").append(ratio(f, staticOf(f), x -> x.post.mibPerSecond(Runner.LARGE)))
                    .append(" | ").append(mib(f.largeMemory, "heap_peak"))
                    .append(" | ").append(mib(f.largeMemory, "rss_peak"))
                    .append(" | ").append(f.get.errors() + f.post.errors()).append(" |\n");
        }
        md.append(String.format(Locale.ROOT, "%n## Idle streams and memory%n%n%d event-stream requests opened at once "
                + "and held (the upstream sends one event, then nothing); heap and threads of the server JVM while "
                + "they are held. Then 200 MB streamed through (20 × 10 MB GET in a row on one connection) after a "
                + "GC: how far the heap's high-water mark rose above the heap in use at the start, and the largest "
                + "heap a collection left behind.%n%n", Runner.IDLE_STREAMS));
        md.append("| system | streams receiving | heap MB | threads | RSS MB | 200 MB: heap high-water rise MB "
                + "| 200 MB: live heap after GC MB |\n|---|---|---|---|---|---|---|\n");
        for (Figures f : ordered) {
            if (f.idle == null && f.streamAfter == null) {
                continue;
            }
            md.append("| ").append(f.row.title())
                    .append(" | ").append(f.idle == null ? "–" : f.idle.receiving + " of " + Runner.IDLE_STREAMS)
                    .append(" | ").append(mib(f.idleMemory, "heap_used"))
                    .append(" | ").append(f.idleMemory == null ? "–" : f.idleMemory.get("threads"))
                    .append(" | ").append(mib(f.idleMemory, "rss"))
                    .append(" | ").append(f.streamAfter == null ? "–" : num(heapRise(f) / 1048576.0, 1))
                    .append(" | ").append(mib(f.streamAfter, "live_after_gc_peak")).append(" |\n");
        }
        md.append(String.format(Locale.ROOT, "%n## Isolation%n%nThe container limited to %d request threads; %d "
                + "concurrent requests to a 5 s upstream endpoint through the proxy, while the host app's own page "
                + "(a servlet at `/`) is fetched every 100 ms until the last slow request ends.%n%n",
                Runner.ISOLATION_THREADS, Runner.ISOLATION_SLOW));
        md.append("| system | slow requests ok / failed | all done after s | probes | probe p99 ms | probe max ms "
                + "| probe failures | peak threads | peak heap MB | peak RSS MB |\n|---|---|---|---|---|---|---|---|---|---|\n");
        for (Figures f : ordered) {
            Clients.Isolation i = f.isolation;
            if (i == null) {
                continue;
            }
            md.append("| ").append(f.row.title()).append(" | ").append(i.slowOk()).append(" / ").append(i.slowFailed())
                    .append(" | ").append(num(i.slowSeconds(), 1)).append(" | ").append(i.probes())
                    .append(" | ").append(num(i.probeP99(), 1)).append(" | ").append(num(i.probeMax(), 1))
                    .append(" | ").append(i.probeFailures())
                    .append(" | ").append(f.isolationMemory.get("threads_peak"))
                    .append(" | ").append(mib(f.isolationMemory, "heap_peak"))
                    .append(" | ").append(mib(f.isolationMemory, "rss_peak")).append(" |\n");
        }
        StringBuilder failures = new StringBuilder();
        for (Figures f : ordered) {
            if (f.failure != null) {
                failures.append("- ").append(f.row.title()).append(": ").append(f.failure).append('\n');
            }
        }
        if (failures.length() > 0) {
            md.append("\n## Failures\n\n").append(failures);
        }
        md.append("\n## Targets\n\n").append(targets());
        String text = md.toString();
        String stamp = when.replace(':', '-');
        Path file = dir.resolve(stamp + ".md");
        Files.writeString(file, text);
        Files.writeString(dir.resolve("latest.md"), text);
        System.out.println(text);
        return file;
    }

    private String targets() {
        StringBuilder t = new StringBuilder();
        for (String c : List.of("tomcat", "jetty")) {
            Figures war = rows.get("war-" + c);
            if (war == null || war.small == null) {
                continue;
            }
            String in = c.equals("tomcat") ? "Tomcat" : "Jetty";
            List<String> peers = c.equals("tomcat") ? List.of("jettyproxy-tomcat", "smiley-tomcat")
                    : List.of("jettyproxy-jetty");
            double best = peers.stream().filter(rows::containsKey).mapToDouble(p -> rows.get(p).small.perSecond())
                    .max().orElse(Double.NaN);
            check(t, in + ": 1 KB req/s ≥ 1.5× the fastest peer servlet", war.small.perSecond() / best, 1.5);
            check(t, in + ": 1 KB req/s ≥ 0.6× nginx proxy_pass", ratioOf(war, "nginx-proxy",
                    x -> x.small.perSecond()), 0.6);
            check(t, in + ": 10 MB GET ≥ 1.5× nginx proxy_pass", ratioOf(war, "nginx-proxy",
                    x -> x.get.mibPerSecond(Runner.LARGE)), 1.5);
            check(t, in + ": 10 MB POST ≥ 1.5× nginx proxy_pass", ratioOf(war, "nginx-proxy",
                    x -> x.post.mibPerSecond(Runner.LARGE)), 1.5);
            check(t, in + ": 10 MB GET ≥ 0.5× the container's own", ratioOf(war, "static-" + c,
                    x -> x.get.mibPerSecond(Runner.LARGE)), 0.5);
            check(t, in + ": 10 MB POST ≥ 0.5× the container's own", ratioOf(war, "static-" + c,
                    x -> x.post.mibPerSecond(Runner.LARGE)), 0.5);
            Figures own = rows.get("static-" + c);
            if (own != null && war.fixed != null && own.fixed != null) {
                double over = war.fixed.p99() - own.fixed.p99();
                t.append(String.format(Locale.ROOT, "- %s: p99 at %.0f req/s ≤ the container's own + 1 ms: "
                        + "%.2f vs %.2f ms (%+.2f ms): **%s**%n", in, fixedRate, war.fixed.p99(), own.fixed.p99(),
                        over, over <= 1.0 ? "met" : "missed"));
            }
            if (war.isolation != null) {
                boolean met = war.isolation.probeP99() < 100 && war.isolation.slowFailed() == 0
                        && war.isolation.probeFailures() == 0;
                t.append(String.format(Locale.ROOT, "- %s: isolation probe p99 < 100 ms, 0 failed: p99 %.1f ms, "
                        + "%d slow failed, %d probes failed: **%s**%n", in, war.isolation.probeP99(),
                        war.isolation.slowFailed(), war.isolation.probeFailures(), met ? "met" : "missed"));
            }
            if (war.idleMemory != null) {
                long threads = war.idleMemory.get("threads");
                t.append(String.format(Locale.ROOT, "- %s: %d idle streams cost no request thread each: %d of %d "
                        + "receiving on %d JVM threads: **%s**%n", in, Runner.IDLE_STREAMS, war.idle.receiving,
                        Runner.IDLE_STREAMS, threads,
                        war.idle.receiving == Runner.IDLE_STREAMS && threads < Runner.IDLE_STREAMS / 10
                                ? "met" : "missed"));
            }
            if (war.streamAfter != null) {
                double rise = heapRise(war) / 1048576.0;
                t.append(String.format(Locale.ROOT, "- %s: 200 MB streamed, heap high-water within 32 MB: "
                        + "+%.1f MB: **%s**%n", in, rise, rise <= 32 ? "met" : "missed"));
            }
        }
        t.append("- Cached token verification < 5 µs: measured by JMH, not by this run (see the README).\n");
        return t.toString();
    }

    private static void check(StringBuilder t, String what, double ratio, double target) {
        t.append(String.format(Locale.ROOT, "- %s: %.2f×: **%s**%n", what, ratio,
                Double.isNaN(ratio) ? "not measured" : ratio >= target ? "met" : "missed"));
    }

    private static long heapRise(Figures f) {
        return f.streamAfter.get("heap_peak") - f.streamBefore.get("heap_used");
    }

    private static String staticOf(Figures f) {
        return f.row.container() == null ? null : "static-" + f.row.container();
    }

    private String ratio(Figures f, String baseline, ToDoubleFunction<Figures> metric) {
        double r = ratioOf(f, baseline, metric);
        return Double.isNaN(r) ? "–" : String.format(Locale.ROOT, "%.2f", r);
    }

    private double ratioOf(Figures f, String baseline, ToDoubleFunction<Figures> metric) {
        Figures b = baseline == null ? null : rows.get(baseline);
        if (b == null || b == f) {
            return Double.NaN;
        }
        try {
            return metric.applyAsDouble(f) / metric.applyAsDouble(b);
        } catch (NullPointerException notMeasured) {
            return Double.NaN;
        }
    }

    private static String num(double v, int decimals) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%,." + decimals + "f", v).replace(",", " ");
    }

    private static String mib(Map<String, Long> m, String key) {
        return m == null || m.get(key) == null ? "–" : num(m.get(key) / 1048576.0, 0);
    }

    private String environment(String war) throws IOException, InterruptedException {
        String cpu = "unknown CPU";
        for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
            if (line.startsWith("model name")) {
                cpu = line.substring(line.indexOf(':') + 1).trim();
                break;
            }
        }
        long memKb = 0;
        for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
            if (line.startsWith("MemTotal:")) {
                memKb = Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        String nginx = Load.run(List.of("nginx", "-v")).trim().replace("nginx version: ", "");
        String wrk = Load.run(List.of("sh", "-c", "wrk -v 2>&1 | head -1 || true")).trim();
        return String.format(Locale.ROOT, "- Machine: %s, %d cores, %.0f GiB RAM, %s; the load generator and the "
                + "servers share the cores.%n- Versions: Java %s (%s), Tomcat %s, Jetty %s, %s, %s, hey 0.1.4; "
                + "grafana.war %d KiB.%n- Server JVM flags (every JVM): `%s`; Tomcat and Jetty with their default "
                + "200 request threads (%d in the isolation rows).%n- Each JVM warmed up for %d s (1 KB), then %d s "
                + "each of 10 MB GET and POST, before measuring; each workload runs %d s.%n- Reproduce: "
                + "`benchmarks/run` (see the README).%n",
                cpu, Runtime.getRuntime().availableProcessors(), memKb / 1048576.0,
                Load.run(List.of("uname", "-sr")).trim(), System.getProperty("java.version"),
                System.getProperty("java.vm.name"), org.apache.catalina.util.ServerInfo.getServerNumber(),
                org.eclipse.jetty.util.Jetty.VERSION, nginx, wrk.split(" \\[")[0],
                Files.size(Path.of(war)) / 1024, String.join(" ", Runner.JVM_FLAGS), Runner.ISOLATION_THREADS,
                warmup, Math.max(2, warmup / 6), seconds);
    }
}
