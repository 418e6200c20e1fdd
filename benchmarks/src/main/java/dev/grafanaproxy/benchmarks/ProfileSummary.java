package dev.grafanaproxy.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns async-profiler's collapsed stacks of several rows into one Markdown table: profile samples
 * per 1 000 requests, split by where the time goes (the kernel's system calls, the container, the
 * HTTP client, the proxy's own code, the audit log). Samples are CPU time at a fixed interval, so
 * rows compare by ratio: "1.45x the baseline" means 45 % more CPU per request.
 *
 * <p>Arguments: {@code <name>=<collapsed file>:<requests during the profile>}, ...; the first row
 * is the baseline of the ratio column. Written by {@code benchmarks/profile}.
 */
public final class ProfileSummary {
    /** Categories in table order; a stack goes to the first that matches. */
    private static final List<String> CATEGORIES = List.of(
            "write", "read", "epoll", "futex", "audit log", "proxy's own code", "HttpClient 5",
            "Jetty HttpClient", "Tomcat", "Jetty", "JDK NIO", "other");

    private ProfileSummary() {
    }

    public static void main(String[] args) throws IOException {
        List<String> names = new ArrayList<>();
        List<Map<String, Long>> rows = new ArrayList<>();
        List<Double> requests = new ArrayList<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            int colon = arg.lastIndexOf(':');
            names.add(arg.substring(0, eq));
            rows.add(categorise(Path.of(arg.substring(eq + 1, colon))));
            requests.add(Double.parseDouble(arg.substring(colon + 1)));
        }
        StringBuilder md = new StringBuilder("| row | samples per 1 000 requests | vs. " + names.get(0));
        CATEGORIES.forEach(c -> md.append(" | ").append(c));
        md.append(" |\n|---|---|---").append("|---".repeat(CATEGORIES.size())).append("|\n");
        double base = total(rows.get(0)) * 1000 / requests.get(0);
        for (int i = 0; i < rows.size(); i++) {
            double per = 1000 / requests.get(i);
            double total = total(rows.get(i)) * per;
            md.append("| ").append(names.get(i)).append(" | ").append(fmt(total)).append(" | ")
                    .append(String.format(Locale.ROOT, "%.2fx", total / base));
            for (String c : CATEGORIES) {
                md.append(" | ").append(fmt(rows.get(i).getOrDefault(c, 0L) * per));
            }
            md.append(" |\n");
        }
        System.out.print(md);
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    private static long total(Map<String, Long> row) {
        return row.values().stream().mapToLong(Long::longValue).sum();
    }

    private static Map<String, Long> categorise(Path collapsed) throws IOException {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String line : Files.readAllLines(collapsed)) {
            int space = line.lastIndexOf(' ');
            if (space < 0) {
                continue;
            }
            counts.merge(category(line.substring(0, space)), Long.parseLong(line.substring(space + 1)), Long::sum);
        }
        return counts;
    }

    /** The category of one stack, root first and frames separated by {@code ;}. */
    static String category(String stack) {
        String leaf = stack.substring(stack.lastIndexOf(';') + 1);
        // thread hand-overs first: "pthread_..." would match "read"
        if (leaf.contains("futex") || leaf.contains("pthread_cond") || leaf.contains("lll_lock")) {
            return "futex";
        }
        if (leaf.contains("write")) {
            return "write";
        }
        if (leaf.contains("read")) {
            return "read";
        }
        if (leaf.contains("epoll")) {
            return "epoll";
        }
        if (stack.contains("dev/grafanaproxy/web/Audit") || stack.startsWith("[grafana-proxy-audit")
                || stack.contains("java/util/logging")) {
            return "audit log";
        }
        String java = deepestJavaFrame(stack);
        if (java.startsWith("dev/grafanaproxy") || java.startsWith("com/nimbusds")) {
            return "proxy's own code";
        }
        if (java.startsWith("org/apache/hc/")) {
            return "HttpClient 5";
        }
        if (java.startsWith("org/eclipse/jetty/client") || java.startsWith("org/eclipse/jetty/ee10/proxy")) {
            return "Jetty HttpClient";
        }
        if (java.startsWith("org/apache/catalina") || java.startsWith("org/apache/coyote")
                || java.startsWith("org/apache/tomcat")) {
            return "Tomcat";
        }
        if (java.startsWith("org/eclipse/jetty")) {
            return "Jetty";
        }
        if (java.startsWith("sun/nio") || java.startsWith("java/nio")) {
            return "JDK NIO";
        }
        return "other";
    }

    private static String deepestJavaFrame(String stack) {
        String[] frames = stack.split(";");
        for (int i = frames.length - 1; i >= 0; i--) {
            if (frames[i].indexOf('/') > 0) {
                return frames[i];
            }
        }
        return "";
    }
}
