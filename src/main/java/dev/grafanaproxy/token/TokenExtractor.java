package dev.grafanaproxy.token;

import dev.grafanaproxy.config.ProxyConfig;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.StringJoiner;

/**
 * Finds the session token in a request, in the contract's order: the {@code jwt.cookie_name} cookie,
 * then the {@code jwt.header_name} header, then {@code ?auth_token=} when {@code jwt.url_login} is on.
 * The first source that holds a non-empty value wins, so a browser's cookie beats a stale bearer
 * token a script may add. Nothing here verifies anything: the result goes to a {@link TokenVerifier}.
 * Immutable and thread-safe.
 */
public final class TokenExtractor {

    /** The one-time URL login parameter. */
    public static final String QUERY_PARAMETER = "auth_token";

    private static final String BEARER = "bearer";

    private final String cookieName;
    private final String headerName;
    private final boolean bearerOnly;
    private final boolean urlLogin;

    public TokenExtractor(ProxyConfig config) {
        this.cookieName = config.cookieName();
        this.headerName = config.tokenHeaderName();
        // Authorization carries other schemes too (Basic, ...): only Bearer is ours there. A custom
        // header exists for the token alone, so a bare value is accepted as well.
        this.bearerOnly = headerName != null && headerName.equalsIgnoreCase("Authorization");
        this.urlLogin = config.urlLogin();
    }

    /** The token and its source, or empty when the request carries none. */
    public Optional<ExtractedToken> extract(RequestView request) {
        if (cookieName != null) {
            String v = request.cookie(cookieName);
            if (v != null && !v.isBlank()) {
                return Optional.of(new ExtractedToken(v.trim(), TokenSource.COOKIE));
            }
        }
        if (headerName != null) {
            for (String value : request.headers(headerName)) {
                String t = fromHeader(value);
                if (t != null) {
                    return Optional.of(new ExtractedToken(t, TokenSource.HEADER));
                }
            }
        }
        if (urlLogin) {
            String t = fromQuery(request.rawQuery());
            if (t != null) {
                return Optional.of(new ExtractedToken(t, TokenSource.QUERY));
            }
        }
        return Optional.empty();
    }

    private String fromHeader(String value) {
        if (value == null) {
            return null;
        }
        String v = value.trim();
        if (v.length() > BEARER.length() && v.substring(0, BEARER.length()).toLowerCase(Locale.ROOT).equals(BEARER)
                && Character.isWhitespace(v.charAt(BEARER.length()))) {
            String t = v.substring(BEARER.length()).trim();
            return t.isEmpty() ? null : t;
        }
        if (bearerOnly || v.isEmpty() || v.indexOf(' ') >= 0) {
            return null;
        }
        return v;
    }

    /** The {@code auth_token} query parameter (decoded), or {@code null}; for the url_login exchange. */
    public static String queryToken(String rawQuery) {
        return fromQuery(rawQuery);
    }

    private static String fromQuery(String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return null;
        }
        for (String param : rawQuery.split("&")) {
            int eq = param.indexOf('=');
            if (eq > 0 && param.substring(0, eq).equals(QUERY_PARAMETER)) {
                String value = decode(param.substring(eq + 1)).trim();
                if (!value.isEmpty()) {
                    return value;
                }
            }
        }
        return null;
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s; // a broken escape: hand it on as is, verification rejects it as malformed
        }
    }

    /**
     * The raw query with every {@code auth_token} parameter removed and every other parameter left
     * byte for byte, or {@code null} when nothing remains: the URL the url_login redirect goes to.
     */
    public static String queryWithoutToken(String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return null;
        }
        StringJoiner kept = new StringJoiner("&");
        for (String param : rawQuery.split("&", -1)) {
            int eq = param.indexOf('=');
            String name = eq < 0 ? param : param.substring(0, eq);
            if (!name.equals(QUERY_PARAMETER) && !param.isEmpty()) {
                kept.add(param);
            }
        }
        String q = kept.toString();
        return q.isEmpty() ? null : q;
    }

    @Override
    public String toString() {
        return "TokenExtractor[cookie=" + cookieName + ", header=" + headerName + ", urlLogin=" + urlLogin + "]";
    }
}
