package dev.grafanaproxy.proxy;

import jakarta.servlet.http.HttpServletRequest;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;

/**
 * Where a request is mounted and what lies below the mount, in raw (still percent-encoded) form.
 * The proxy forwards the raw path and query byte for byte, so {@code %2F}, {@code +} or
 * {@code %E2%9C%93} reach Grafana exactly as the browser sent them; only dot segments are removed,
 * as the container itself resolves them for its own mapping.
 */
public final class RequestPaths {

    private RequestPaths() {
    }

    /**
     * The mount: context path plus servlet path. In the WAR this is {@code /grafana}; inside a host
     * app with the servlet mapped at {@code /grafana/*} it is the same URL from a different split.
     */
    public static String mount(HttpServletRequest request) {
        return request.getContextPath() + request.getServletPath();
    }

    /** The decoded, normalised path below the mount (never empty: at least {@code /}), for matching. */
    public static String pathBelowMount(HttpServletRequest request) {
        String info = request.getPathInfo();
        return info == null || info.isEmpty() ? "/" : info;
    }

    /** The raw path below the mount, dot segments removed, e.g. {@code /d/abc%20x}; at least {@code /}. */
    public static String rawPathBelowMount(HttpServletRequest request) {
        String raw = removeDotSegments(request.getRequestURI());
        String mount = mount(request);
        String below;
        if (raw.startsWith(mount)) {
            below = raw.substring(mount.length());
        } else {
            // the container decoded something in the mount itself; fall back to the decoded path
            below = encodePath(pathBelowMount(request));
        }
        return below.isEmpty() ? "/" : below;
    }

    /** Whether some segment starts with {@code .} or {@code %2e}: only those can be dot segments. */
    private static boolean mayHaveDotSegment(String path) {
        for (int i = path.indexOf('/'); i >= 0 && i < path.length() - 1; i = path.indexOf('/', i + 1)) {
            char c = path.charAt(i + 1);
            if (c == '.' || (c == '%' && path.regionMatches(true, i + 1, "%2e", 0, 3))) {
                return true;
            }
        }
        return false;
    }

    /**
     * RFC 3986 section 5.2.4, also treating {@code %2e} as a dot, so an encoded {@code ..} cannot
     * walk out of a path the proxy has classified.
     */
    static String removeDotSegments(String path) {
        if (!mayHaveDotSegment(path)) {
            return path; // the common case, e.g. /grafana/public/build/app.js: no copy
        }
        Deque<String> out = new ArrayDeque<>();
        String[] segments = path.split("/", -1);
        for (int i = 1; i < segments.length; i++) {
            String seg = segments[i];
            String plain = seg.toLowerCase(Locale.ROOT).replace("%2e", ".");
            boolean last = i == segments.length - 1;
            if (plain.equals(".")) {
                if (last) {
                    out.addLast("");
                }
            } else if (plain.equals("..")) {
                out.pollLast();
                if (last) {
                    out.addLast("");
                }
            } else {
                out.addLast(seg);
            }
        }
        StringBuilder sb = new StringBuilder(path.length());
        for (String seg : out) {
            sb.append('/').append(seg);
        }
        return sb.length() == 0 ? "/" : sb.toString();
    }

    static String encodePath(String decoded) {
        StringBuilder sb = new StringBuilder();
        for (byte b : decoded.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            int c = b & 0xFF;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "/-._~!$&'()*+,;=:@".indexOf(c) >= 0) {
                sb.append((char) c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
            }
        }
        return sb.toString();
    }

    /**
     * The public origin of the request ({@code https://app.example.com}), as the container sees it,
     * so a {@code RemoteIpValve} or {@code ForwardedRequestCustomizer} in front is honoured.
     */
    public static String publicOrigin(HttpServletRequest request) {
        return request.getScheme() + "://" + publicAuthority(request);
    }

    /** Host and, when not the scheme's default, port, e.g. {@code app.example.com:8443}. */
    public static String publicAuthority(HttpServletRequest request) {
        String host = request.getServerName();
        if (host.indexOf(':') >= 0 && !host.startsWith("[")) {
            host = "[" + host + "]";
        }
        int port = request.getServerPort();
        String scheme = request.getScheme();
        boolean defaultPort = port <= 0 || ("http".equals(scheme) && port == 80) || ("https".equals(scheme) && port == 443);
        return defaultPort ? host : host + ":" + port;
    }
}
