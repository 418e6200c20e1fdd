package dev.grafanaproxy.proxy;

import dev.grafanaproxy.config.ProxyConfig;

import java.util.Collections;
import java.util.Enumeration;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which headers cross the proxy. Derived once from the configuration and shared by the HTTP proxy
 * and the WebSocket relay, so both strip exactly the same names.
 */
public final class HeaderRules {

    /** RFC 9110 section 7.6.1 hop-by-hop headers, plus the non-standard ones proxies also drop. */
    private static final Set<String> HOP_BY_HOP = caseInsensitive(
            "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Transfer-Encoding", "Upgrade",
            "Trailer", "Proxy-Authenticate", "Proxy-Authorization");

    /**
     * Request headers the proxy never copies: framing and expectations are the proxy's own business
     * with each peer, {@code Host} and the forwarded headers are set by the proxy, and
     * {@code Authorization} must not reach Grafana, which tries Basic and Bearer credentials before
     * proxy headers (a stray one would override the session's identity).
     */
    private static final Set<String> REQUEST_SET_BY_PROXY = caseInsensitive(
            "Host", "Content-Length", "Expect", "Authorization", "X-Forwarded-Proto", "X-Forwarded-Host",
            "X-Forwarded-For");

    /**
     * The WebSocket opening-handshake headers (RFC 6455 section 11.3). They belong to one hop: the
     * relay's own client negotiates key, version and extensions with Grafana, and passes the
     * client's sub-protocols through its API, so the client's values are never copied.
     */
    private static final Set<String> WEBSOCKET_HANDSHAKE = caseInsensitive(
            "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Extensions", "Sec-WebSocket-Protocol",
            "Sec-WebSocket-Accept");

    private final Set<String> identityHeaders;
    private final String tokenCookie;
    private final String tokenHeader;

    public HeaderRules(ProxyConfig config) {
        this.identityHeaders = config.identityHeaderNames();
        this.tokenCookie = config.cookieName();
        this.tokenHeader = config.tokenHeaderName();
    }

    public static boolean isHopByHop(String name) {
        return HOP_BY_HOP.contains(name);
    }

    /** The header names listed in {@code Connection} values: they are hop-by-hop too. */
    public static Set<String> connectionTokens(Enumeration<String> connectionValues) {
        if (connectionValues == null || !connectionValues.hasMoreElements()) {
            return Set.of();
        }
        Set<String> tokens = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        while (connectionValues.hasMoreElements()) {
            addTokens(tokens, connectionValues.nextElement());
        }
        return tokens;
    }

    static void addTokens(Set<String> into, String connectionValue) {
        if (connectionValue == null) {
            return;
        }
        for (String t : connectionValue.split(",")) {
            String token = t.trim();
            if (!token.isEmpty()) {
                into.add(token);
            }
        }
    }

    /** True for a client request header that must not be copied to Grafana as it is. */
    public boolean dropFromRequest(String name, Set<String> connectionTokens) {
        return HOP_BY_HOP.contains(name) || connectionTokens.contains(name) || REQUEST_SET_BY_PROXY.contains(name)
                || identityHeaders.contains(name) || (tokenHeader != null && tokenHeader.equalsIgnoreCase(name));
    }

    /**
     * True for a header of the WebSocket opening handshake; the relay drops these from the request it
     * builds for Grafana in addition to everything {@link #dropFromRequest} drops.
     */
    public static boolean isWebSocketHandshake(String name) {
        return WEBSOCKET_HANDSHAKE.contains(name);
    }

    /** True for a header the client sent under an identity name: a spoof attempt, always removed. */
    public boolean isIdentityHeader(String name) {
        return identityHeaders.contains(name);
    }

    /** True for a response header from Grafana that must not be copied to the client. */
    public static boolean dropFromResponse(String name, Set<String> connectionTokens) {
        return HOP_BY_HOP.contains(name) || connectionTokens.contains(name);
    }

    /**
     * A {@code Cookie} header value without the app's session JWT cookie, or {@code null} when
     * nothing remains. Other cookies keep their exact bytes and order.
     */
    public String stripTokenCookie(String cookieHeader) {
        if (tokenCookie == null || cookieHeader == null || !cookieHeader.contains(tokenCookie)) {
            return cookieHeader;
        }
        StringBuilder kept = new StringBuilder(cookieHeader.length());
        for (String part : cookieHeader.split(";")) {
            String trimmed = part.trim();
            if (trimmed.isEmpty()) {
                continue;
            }
            int eq = trimmed.indexOf('=');
            String name = (eq < 0 ? trimmed : trimmed.substring(0, eq)).trim();
            if (name.equals(tokenCookie)) {
                continue;
            }
            if (kept.length() > 0) {
                kept.append("; ");
            }
            kept.append(trimmed);
        }
        return kept.length() == 0 ? null : kept.toString();
    }

    private static Set<String> caseInsensitive(String... names) {
        Set<String> set = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        Collections.addAll(set, names);
        return Collections.unmodifiableSet(set);
    }

}
