package dev.grafanaproxy.token;

import java.util.ArrayList;
import java.util.List;

/**
 * The little of an HTTP request that token extraction needs. The web layer adapts its
 * {@code HttpServletRequest} (or a WebSocket handshake) to this, which keeps this package free of
 * the Servlet API.
 */
public interface RequestView {

    /** Every value of a header, in order; header names are case-insensitive. Never {@code null}. */
    List<String> headers(String name);

    /** The first value of a header, or {@code null}. */
    default String header(String name) {
        List<String> values = headers(name);
        return values.isEmpty() ? null : values.get(0);
    }

    /** The query string exactly as the client sent it (still percent-encoded), or {@code null}. */
    String rawQuery();

    /**
     * The value of the first cookie with this name in the {@code Cookie} header(s), or {@code null}.
     * The default parses the raw headers (RFC 6265 {@code name=value; name2=value2}); an adapter may
     * use the container's parsed cookies instead. When a name appears twice the first wins: browsers
     * send the cookie with the longer (more specific) path first.
     */
    default String cookie(String name) {
        for (String header : headers("Cookie")) {
            for (String pair : header.split(";")) {
                int eq = pair.indexOf('=');
                if (eq > 0 && pair.substring(0, eq).trim().equals(name)) {
                    String value = pair.substring(eq + 1).trim();
                    if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                        value = value.substring(1, value.length() - 1);
                    }
                    return value;
                }
            }
        }
        return null;
    }

    /** A view over fixed values, for tests and for callers that already hold the pieces. */
    static RequestView of(java.util.Map<String, List<String>> headers, String rawQuery) {
        java.util.Map<String, List<String>> copy = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.forEach((k, v) -> copy.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
        return new RequestView() {
            @Override
            public List<String> headers(String name) {
                return List.copyOf(copy.getOrDefault(name, List.of()));
            }

            @Override
            public String rawQuery() {
                return rawQuery;
            }
        };
    }
}
