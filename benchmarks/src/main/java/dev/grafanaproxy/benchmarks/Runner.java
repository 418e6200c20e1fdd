package dev.grafanaproxy.benchmarks;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * One benchmark run: the same nginx upstream and the same load for every system, one system at a
 * time, each JVM warmed up before it is measured; writes the report to {@code benchmarks/results}.
 * Started by {@code benchmarks/run}, which builds what it needs; arguments are {@code key=value}:
 * {@code war}, {@code classpath}, {@code out} (results directory), {@code work}, and optionally
 * {@code warmup}/{@code seconds} (per workload), {@code only} (comma-separated row ids), and
 * {@code pair=<B.war>} (with {@code pair.path}, {@code pair.jvm} for side B's own JVM flags, {@code rounds})
 * for a paired A/B instead (see {@link Pair}).
 */
public final class Runner {

    /** The flags of every server JVM, so that no system gets more heap or a different collector. */
    static final List<String> JVM_FLAGS = List.of("-Xms512m", "-Xmx512m", "-XX:+UseG1GC");

    private static final DateTimeFormatter LOG_TIME = DateTimeFormatter.ofPattern("HH:mm:ss");

    static final long SMALL = 1024;
    static final long LARGE = 10L * 1024 * 1024;
    static final String COOKIE_NAME = "session";
    static final int IDLE_STREAMS = 2000;
    static final int ISOLATION_THREADS = 20;
    static final int ISOLATION_SLOW = 500;

    /** The systems, in the order they run: the WAR first, since its saturation sets the fixed rate. */
    static final List<Row> ROWS = List.of(
            new Row("war-tomcat", "grafana.war in Tomcat 11", "tomcat", "war"),
            new Row("war-jetty", "grafana.war in Jetty 12", "jetty", "war"),
            new Row("static-tomcat", "Tomcat 11 serving the files itself", "tomcat", "static"),
            new Row("static-jetty", "Jetty 12 serving the files itself", "jetty", "static"),
            new Row("jettyproxy-tomcat", "Jetty `ProxyServlet.Transparent` in Tomcat 11", "tomcat", "jetty-proxy"),
            new Row("jettyproxy-jetty", "Jetty `ProxyServlet.Transparent` in Jetty 12", "jetty", "jetty-proxy"),
            new Row("smiley-tomcat", "Smiley `ProxyServlet` 2.0 in Tomcat 11", "tomcat", "smiley"),
            new Row("direct", "direct: nginx serving the files", null, "direct"),
            new Row("nginx-proxy", "nginx `proxy_pass` (upstream keep-alive)", null, "nginx-proxy"));

    record Row(String id, String title, String container, String system) {
        boolean jvm() {
            return container != null;
        }

        boolean proxy() {
            return !system.equals("static") && !system.equals("direct");
        }
    }

    private final Map<String, String> args;
    private final int warmup;
    private final int seconds;
    private final Path work;
    private final Path docroot;
    private final Report report;
    private String cookie;
    private int upstreamPort;
    private int nginxProxyPort;
    private double fixedRate = Double.NaN;
    /** Gives every server JVM of the run a work directory of its own (a paired A/B may run one WAR twice). */
    private int serversStarted;
    /** Which workloads run (all by default): small, fixed, large, idle, stream, isolation. */
    private final List<String> phases;

    private Runner(Map<String, String> args) {
        this.args = args;
        this.warmup = Integer.parseInt(args.getOrDefault("warmup", "30"));
        this.seconds = Integer.parseInt(args.getOrDefault("seconds", "15"));
        this.work = Path.of(args.get("work")).toAbsolutePath();
        this.docroot = work.resolve("docroot");
        this.report = new Report(warmup, seconds);
        this.phases = List.of(args.getOrDefault("phases", "small,fixed,large,idle,stream,isolation").split(","));
        if (args.containsKey("rate")) {
            fixedRate = Double.parseDouble(args.get("rate"));
            report.fixedRate = fixedRate;
        }
    }

    private boolean runs(String phase) {
        return phases.contains(phase);
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> a = new LinkedHashMap<>();
        for (String arg : argv) {
            int eq = arg.indexOf('=');
            a.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        new Runner(a).run();
    }

    private void run() throws Exception {
        prepareFiles();
        upstreamPort = Ports.free();
        nginxProxyPort = Ports.free();
        List<String> only = args.containsKey("only") ? List.of(args.get("only").split(",")) : null;
        try (Nginx nginx = Nginx.start(work.resolve("nginx"), docroot, upstreamPort, nginxProxyPort)) {
            if (args.containsKey("pair")) {
                pair(only);
                return;
            }
            for (Row row : ROWS) {
                if (only == null || only.contains(row.id())) {
                    log("== " + row.title());
                    try {
                        measure(row);
                    } catch (Exception e) {
                        // a system that hangs or breaks is a result, not the end of the run
                        log("FAILED: " + row.title() + ": " + e);
                        report.row(row).failure = e.toString();
                    }
                }
            }
        }
        Path out = report.write(Path.of(args.get("out")), args.get("war"));
        log("report: " + out);
    }

    /** {@code pair=<B.war>}: a paired A/B of {@code war} (A) against B in each WAR row selected. */
    private void pair(List<String> only) throws Exception {
        String path = args.getOrDefault("pair.path", "/1k.json");
        long length = path.startsWith("/10m") ? LARGE : SMALL;
        int rounds = Integer.parseInt(args.getOrDefault("rounds", "5"));
        Path warA = Path.of(args.get("war"));
        Path warB = Path.of(args.get("pair"));
        String jvmB = args.getOrDefault("pair.jvm", "");
        for (Row row : ROWS) {
            if (row.system().equals("war") && (only == null || only.contains(row.id()))) {
                log("== paired A/B: " + row.title());
                Path out = Pair.run(() -> start(row, 200, warA, ""), () -> start(row, 200, warB, jvmB), warA, warB,
                        jvmB, row.id(), path, length, cookie, warmup, seconds, rounds, Path.of(args.get("out")));
                log("report: " + out);
            }
        }
    }

    private void measure(Row row) throws Exception {
        Report.Figures f = report.row(row);
        if (!row.jvm()) {
            String base = row.system().equals("direct") ? "http://127.0.0.1:" + upstreamPort
                    : "http://127.0.0.1:" + nginxProxyPort + "/grafana";
            Clients.check(base + "/1k.json", cookie, SMALL);
            // nginx is warm from the first request on, but its proxy's upstream keep-alive pool is not
            Load.wrk(base + "/1k.json", 2, 32, Math.min(5, warmup), cookie, null);
            throughput(f, base);
            if (runs("idle")) {
                f.idle = row.system().equals("direct") ? idle(upstreamPort, "/sse") : idle(nginxProxyPort, "/grafana/sse");
                f.idle.close();
            }
            return;
        }
        try (ServerProcess server = start(row, 200)) {
            String base = "http://127.0.0.1:" + server.port() + "/grafana";
            Clients.check(base + "/1k.json", cookie, SMALL);
            log("warm-up " + warmup + " s");
            Load.wrk(base + "/1k.json", 2, 32, warmup, cookie, null);
            if (runs("large")) {
                Load.wrk(base + "/10m.bin", 1, 4, Math.max(2, warmup / 6), cookie, null);
                Load.wrk(base + "/upload", 1, 4, Math.max(2, warmup / 6), cookie, postScript().toString());
            }
            server.resetStats();
            throughput(f, base);
            f.largeMemory = runs("large") ? server.stats() : null;
            if (row.proxy() && runs("idle")) {
                server.resetStats();
                try (Clients.IdleStreams idle = idle(server.port(), "/grafana/sse")) {
                    Thread.sleep(2000);
                    f.idle = idle;
                    f.idleMemory = server.stats();
                }
            }
            if (runs("stream")) {
                server.gc();
                Thread.sleep(500);
                server.resetStats();
                Map<String, Long> before = server.stats();
                try {
                    f.streamed = Clients.stream(base + "/10m.bin", cookie, 20);
                    f.streamBefore = before;
                    f.streamAfter = server.stats();
                } catch (IOException e) {
                    log("200 MB stream failed: " + e);
                    f.failure = "200 MB stream: " + e;
                }
            }
        }
        if (row.proxy() && runs("isolation")) {
            try (ServerProcess server = start(row, ISOLATION_THREADS)) {
                Load.wrk("http://127.0.0.1:" + server.port() + "/grafana/1k.json", 2, 16, Math.min(5, warmup), cookie,
                        null);
                server.resetStats();
                log("isolation: " + ISOLATION_SLOW + " slow requests, " + ISOLATION_THREADS + " request threads");
                f.isolation = Clients.isolation(server.port(), "/grafana/slow", cookie, ISOLATION_SLOW,
                        Duration.ofMillis(100));
                f.isolationMemory = server.stats();
            }
        }
    }

    private void throughput(Report.Figures f, String base) throws Exception {
        if (runs("small")) {
            f.small = Load.wrk(base + "/1k.json", 2, 32, seconds, cookie, null);
            log(String.format("1 KB: %.0f req/s, p50 %.2f ms, p99 %.2f ms, errors %d", f.small.perSecond(),
                    f.small.p50(), f.small.p99(), f.small.errors()));
            if (Double.isNaN(fixedRate)) {
                // the first row is the WAR in Tomcat: half its saturation is the rate every row is held at
                fixedRate = Math.floor(f.small.perSecond() / 2 / 100) * 100;
                report.fixedRate = fixedRate;
            }
        }
        if (runs("fixed") && !Double.isNaN(fixedRate)) {
            f.fixed = Load.hey(base + "/1k.json", fixedRate, 16, seconds, cookie);
            log(String.format("1 KB at %.0f req/s: p50 %.2f ms, p99 %.2f ms, errors %d", fixedRate, f.fixed.p50(),
                    f.fixed.p99(), f.fixed.errors()));
        }
        if (runs("large")) {
            f.get = Load.wrk(base + "/10m.bin", 1, 4, seconds, cookie, null);
            f.post = Load.wrk(base + "/upload", 1, 4, seconds, cookie, postScript().toString());
            log(String.format("10 MB: GET %.0f MB/s, POST %.0f MB/s, errors %d", f.get.mibPerSecond(LARGE),
                    f.post.mibPerSecond(LARGE), f.get.errors() + f.post.errors()));
        }
    }

    private Clients.IdleStreams idle(int port, String path) throws IOException {
        Clients.IdleStreams idle = new Clients.IdleStreams(port, path, cookie, IDLE_STREAMS, Duration.ofSeconds(30));
        log("idle streams: " + idle.receiving + " of " + IDLE_STREAMS + " receiving");
        return idle;
    }

    private ServerProcess start(Row row, int threads) throws IOException, InterruptedException {
        return start(row, threads, Path.of(args.get("war")), "");
    }

    private ServerProcess start(Row row, int threads, Path war, String jvmExtra)
            throws IOException, InterruptedException {
        Map<String, String> ctx = new LinkedHashMap<>();
        if (row.system().equals("war")) {
            ctx.put("grafana.url", "http://127.0.0.1:" + upstreamPort);
            ctx.put("grafana.strip_prefix", "true");
            ctx.put("jwt.cookie_name", COOKIE_NAME);
            ctx.put("jwt.jwk_set_url", "http://127.0.0.1:" + upstreamPort + "/jwks.json");
            ctx.put("proxy.max_connections", Integer.toString(BenchServer.POOL));
            // war.<key>=<value> arguments: extra context-params, e.g. to compare a setting's cost
            args.forEach((k, v) -> {
                if (k.startsWith("war.")) {
                    ctx.put(k.substring(4), v);
                }
            });
        }
        return ServerProcess.start(args.get("classpath"), row.container(), row.system(), threads,
                "http://127.0.0.1:" + upstreamPort, docroot, war,
                work.resolve("servers").resolve(row.id() + "-" + threads + "-" + ++serversStarted), ctx, jvmExtra);
    }

    /** The upstream's files, the signing key's JWKS, and the session cookie every request carries. */
    private void prepareFiles() throws Exception {
        Files.createDirectories(docroot);
        StringBuilder json = new StringBuilder("{\"results\":[");
        while (json.length() < SMALL - 40) {
            json.append("{\"t\":1700000000,\"v\":42.5},");
        }
        json.setLength(json.length() - 1);
        json.append("],\"pad\":\"");
        while (json.length() < SMALL - 3) {
            json.append('x');
        }
        json.append("\"}\n");
        Files.writeString(docroot.resolve("1k.json"), json);
        byte[] large = new byte[(int) LARGE];
        new Random(42).nextBytes(large);
        Files.write(docroot.resolve("10m.bin"), large);

        RSAKey key = new RSAKeyGenerator(2048).keyID("bench").generate();
        Files.writeString(docroot.resolve("jwks.json"), new JWKSet(key.toPublicJWK()).toString());
        Instant now = Instant.now();
        JWTClaimsSet claims = new JWTClaimsSet.Builder().subject("bench-user").claim("email", "bench@example.com")
                .claim("name", "Bench User").issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(Duration.ofHours(6)))).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("bench")
                .type(JOSEObjectType.JWT).build(), claims);
        jwt.sign(new RSASSASigner(key));
        cookie = COOKIE_NAME + "=" + jwt.serialize();
        // for measuring by hand against the same upstream (e.g. wrk -H "Cookie: $(cat ...)")
        Files.writeString(work.resolve("session-cookie.txt"), cookie);
    }

    private Path postScript() throws IOException {
        Path script = work.resolve("post-10m.lua");
        if (!Files.exists(script)) {
            Files.writeString(script, String.join("\n", "wrk.method = \"POST\"",
                    "wrk.body = string.rep(\"0123456789abcdef\", " + (LARGE / 16) + ")",
                    "wrk.headers[\"Content-Type\"] = \"application/octet-stream\"", ""), StandardCharsets.UTF_8);
        }
        return script;
    }

    static void log(String line) {
        System.out.println("[bench " + LocalTime.now().format(LOG_TIME) + "] " + line);
    }
}
