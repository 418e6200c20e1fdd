package dev.grafanaproxy.sample.app;

import com.nimbusds.jwt.JWTClaimsSet;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;

/** The session cookie, and where a browser goes after logging in. */
final class Sessions {

    static final String HOME = "/dashboard";

    private Sessions() {
    }

    /** The verified claims of this request's session cookie, if it has a valid one. */
    static Optional<JWTClaimsSet> current(HttpServletRequest request) {
        AppSettings settings = SampleApp.settings(request.getServletContext());
        Cookie[] cookies = request.getCookies();
        if (cookies == null) {
            return Optional.empty();
        }
        for (Cookie c : cookies) {
            if (settings.cookieName().equals(c.getName())) {
                Optional<JWTClaimsSet> claims = SampleApp.tokens(request.getServletContext()).verify(c.getValue());
                if (claims.isPresent()) {
                    return claims;
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Sets the session cookie: {@code Path=/} so the browser also sends it to {@code /grafana/},
     * {@code HttpOnly} (no script reads it), {@code SameSite=Lax}, {@code Secure} over HTTPS, and
     * no longer-lived than the token. Written as a header so every container writes the same bytes.
     */
    static void setCookie(HttpServletRequest request, HttpServletResponse response, String token) {
        AppSettings settings = SampleApp.settings(request.getServletContext());
        response.addHeader("Set-Cookie", settings.cookieName() + "=" + token
                + "; Max-Age=" + settings.sessionTtl().toSeconds()
                + "; Path=/; HttpOnly; SameSite=Lax" + (request.isSecure() ? "; Secure" : ""));
    }

    /** Removes the session cookie. */
    static void clearCookie(HttpServletRequest request, HttpServletResponse response) {
        AppSettings settings = SampleApp.settings(request.getServletContext());
        response.addHeader("Set-Cookie", settings.cookieName()
                + "=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; HttpOnly; SameSite=Lax"
                + (request.isSecure() ? "; Secure" : ""));
    }

    /** {@code /login?next=<this request's path and query>}. */
    static String loginUrlFor(HttpServletRequest request) {
        String target = request.getRequestURI() + (request.getQueryString() == null ? "" : "?" + request.getQueryString());
        return request.getContextPath() + "/login?next=" + URLEncoder.encode(target, StandardCharsets.UTF_8);
    }

    /**
     * Where to send the browser after logging in: {@code next} when it is on this app's own origin
     * (a path such as {@code /dashboard}, or an absolute URL with this request's scheme, host and
     * port, as grafana-proxy's {@code login.url} {@code {url}} gives), as a path and query;
     * the app's {@link #HOME} for anything else, so the login cannot be used as an open redirect.
     */
    static String safeNext(HttpServletRequest request, String next) {
        String home = request.getContextPath() + HOME;
        if (next == null || next.isBlank() || next.indexOf('\\') >= 0 || next.chars().anyMatch(c -> c < 0x20)) {
            return home;
        }
        URI uri;
        try {
            uri = new URI(next.trim());
        } catch (URISyntaxException e) {
            return home;
        }
        if (uri.isOpaque()) {
            return home;
        }
        if (uri.getScheme() != null || uri.getRawAuthority() != null) {
            if (uri.getScheme() == null || uri.getHost() == null
                    || !uri.getScheme().equalsIgnoreCase(request.getScheme())
                    || !uri.getHost().equalsIgnoreCase(request.getServerName())
                    || effectivePort(uri) != request.getServerPort()
                    || uri.getRawUserInfo() != null) {
                return home;
            }
        }
        String path = uri.getRawPath();
        if (path == null || !path.startsWith("/") || path.startsWith("//")) {
            return home;
        }
        return path + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    }

    private static int effectivePort(URI uri) {
        if (uri.getPort() != -1) {
            return uri.getPort();
        }
        return "https".equals(uri.getScheme().toLowerCase(Locale.ROOT)) ? 443 : 80;
    }

    /** No caching of pages that depend on who is logged in. */
    static void noStore(HttpServletResponse response) {
        response.setHeader("Cache-Control", "no-store");
    }
}
