package dev.grafanaproxy.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The load generators, run as processes and read from their output: {@code wrk} at fixed
 * concurrency (throughput and latency percentiles) and {@code hey} at a fixed request rate
 * ({@code -q} per worker), for latency below saturation.
 */
final class Load {

    /** What one load run measured. Latencies in ms; errors = socket errors + non-2xx/3xx answers. */
    record Result(long requests, double seconds, double perSecond, double p50, double p99, long errors) {

        double mibPerSecond(long bodyBytes) {
            return requests * (double) bodyBytes / seconds / (1024 * 1024);
        }
    }

    private static final Pattern WRK_TOTAL = Pattern.compile("(\\d+) requests in ([\\d.]+)(us|ms|s|m)");
    private static final Pattern WRK_PCT = Pattern.compile("^\\s*(50|99)(?:\\.000)?%\\s+([\\d.]+)(us|ms|s|m)\\s*$",
            Pattern.MULTILINE);
    private static final Pattern WRK_SOCKET = Pattern.compile(
            "Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");
    private static final Pattern WRK_NON2XX = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");

    private static final Pattern HEY_PCT = Pattern.compile("^\\s*(50|99)%{1,2} in ([\\d.]+) secs", Pattern.MULTILINE);
    private static final Pattern HEY_TOTAL = Pattern.compile("Total:\\s+([\\d.]+) secs");
    private static final Pattern HEY_STATUS = Pattern.compile("\\[(\\d{3})]\\s+(\\d+) responses");
    private static final Pattern HEY_ERRORS = Pattern.compile("^\\s*\\[(\\d+)]\\s+Get", Pattern.MULTILINE);

    private Load() {
    }

    /** wrk with {@code threads}/{@code connections} for {@code seconds}; {@code script} may be null. */
    static Result wrk(String url, int threads, int connections, int seconds, String cookie, String script)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("wrk", "-t" + threads, "-c" + connections, "-d" + seconds + "s",
                "--latency", "--timeout", "30s"));
        if (cookie != null) {
            cmd.addAll(List.of("-H", "Cookie: " + cookie));
        }
        if (script != null) {
            cmd.addAll(List.of("-s", script));
        }
        cmd.add(url);
        String out = run(cmd);
        Matcher total = WRK_TOTAL.matcher(out);
        if (!total.find()) {
            throw new IOException("unexpected wrk output:\n" + out);
        }
        long requests = Long.parseLong(total.group(1));
        double secs = millis(total.group(2), total.group(3)) / 1000;
        double[] pct = percentiles(WRK_PCT.matcher(out), m -> millis(m.group(2), m.group(3)));
        long errors = 0;
        Matcher sock = WRK_SOCKET.matcher(out);
        if (sock.find()) {
            for (int i = 1; i <= 4; i++) {
                errors += Long.parseLong(sock.group(i));
            }
        }
        Matcher non2xx = WRK_NON2XX.matcher(out);
        if (non2xx.find()) {
            errors += Long.parseLong(non2xx.group(1));
        }
        return new Result(requests, secs, requests / secs, pct[0], pct[1], errors);
    }

    /** hey holding {@code rate} requests/s in total over {@code workers} connections. */
    static Result hey(String url, double rate, int workers, int seconds, String cookie)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("hey", "-z", seconds + "s", "-c", Integer.toString(workers),
                "-q", String.format(Locale.ROOT, "%.2f", rate / workers), "-t", "30"));
        if (cookie != null) {
            cmd.addAll(List.of("-H", "Cookie: " + cookie));
        }
        cmd.add(url);
        String out = run(cmd);
        Matcher total = HEY_TOTAL.matcher(out);
        if (!total.find()) {
            throw new IOException("unexpected hey output:\n" + out);
        }
        double secs = Double.parseDouble(total.group(1));
        long ok = 0;
        long errors = 0;
        Matcher st = HEY_STATUS.matcher(out);
        while (st.find()) {
            long n = Long.parseLong(st.group(2));
            if (st.group(1).startsWith("2") || st.group(1).startsWith("3")) {
                ok += n;
            } else {
                errors += n;
            }
        }
        Matcher err = HEY_ERRORS.matcher(out);
        while (err.find()) {
            errors += Long.parseLong(err.group(1));
        }
        double[] pct = percentiles(HEY_PCT.matcher(out), m -> Double.parseDouble(m.group(2)) * 1000);
        return new Result(ok + errors, secs, (ok + errors) / secs, pct[0], pct[1], errors);
    }

    /** p50 and p99 in ms from the lines a pattern finds: group 1 is the percentile, {@code toMs} the value. */
    private static double[] percentiles(Matcher m, java.util.function.ToDoubleFunction<Matcher> toMs) {
        double[] p50p99 = {Double.NaN, Double.NaN};
        while (m.find()) {
            p50p99[m.group(1).equals("50") ? 0 : 1] = toMs.applyAsDouble(m);
        }
        return p50p99;
    }

    private static double millis(String value, String unit) {
        double v = Double.parseDouble(value);
        return switch (unit) {
            case "us" -> v / 1000;
            case "ms" -> v;
            case "s" -> v * 1000;
            case "m" -> v * 60_000;
            default -> throw new IllegalArgumentException(unit);
        };
    }

    static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", cmd.subList(0, 1)) + " failed:\n" + out);
        }
        return out;
    }
}
