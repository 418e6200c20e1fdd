package dev.grafanaproxy.config;

import java.util.List;

/**
 * The matcher for path lists such as {@code public_paths} and {@code websocket.paths}. An entry
 * matches exactly that path; an entry ending in {@code /*} matches that segment and everything
 * below it, so {@code /api/health} never covers {@code /api/healthx} and {@code /public/*} never
 * covers {@code /publicity}. Paths are compared after the container's decoding and dot-segment
 * normalisation.
 */
public final class PathPatterns {
    private final List<String> exact;
    private final List<String> prefixes;

    public PathPatterns(List<String> entries) {
        this.exact = entries.stream().filter(e -> !e.endsWith("/*")).toList();
        this.prefixes = entries.stream().filter(e -> e.endsWith("/*")).map(e -> e.substring(0, e.length() - 2)).toList();
    }

    public boolean matches(String path) {
        for (String e : exact) {
            if (e.equals(path)) {
                return true;
            }
        }
        for (String p : prefixes) {
            if (p.isEmpty() || path.equals(p) || path.startsWith(p + "/")) {
                return true;
            }
        }
        return false;
    }

    public boolean isEmpty() {
        return exact.isEmpty() && prefixes.isEmpty();
    }
}
