package dev.grafanaproxy.web;

import dev.grafanaproxy.config.ProxyConfig;
import dev.grafanaproxy.proxy.ErrorResponses;
import dev.grafanaproxy.proxy.RequestPaths;
import dev.grafanaproxy.token.TokenExtractor;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * What the filter answers instead of forwarding: a redirect to the app's login page for a browser
 * navigation, 401 JSON for everything else, 403 JSON for a session that maps to no usable identity.
 * The login URL is only ever the configured one, and {@code {url}} only ever this request's own
 * public URL, so the redirect cannot be turned into an open redirect.
 */
final class AuthAnswers {
    private final String loginUrl;

    AuthAnswers(ProxyConfig config) {
        this.loginUrl = config.loginUrl();
    }

    /** The status {@link #unauthenticated} answers with: 302 to the login page, or 401. */
    int unauthenticatedStatus(HttpServletRequest request) {
        return loginUrl != null && isBrowserNavigation(request) ? HttpServletResponse.SC_FOUND : HttpServletResponse.SC_UNAUTHORIZED;
    }

    /**
     * No usable token. {@code reason} is what the client may know (e.g. "token expired");
     * {@code tokenRejected} adds the RFC 6750 {@code invalid_token} error.
     */
    void unauthenticated(HttpServletRequest request, HttpServletResponse response, String reason, boolean tokenRejected)
            throws IOException {
        response.setHeader("Cache-Control", "no-store");
        if (unauthenticatedStatus(request) == HttpServletResponse.SC_FOUND) {
            String target = loginUrl.replace("{url}", URLEncoder.encode(publicUrl(request), StandardCharsets.UTF_8));
            response.setStatus(HttpServletResponse.SC_FOUND);
            response.setHeader("Location", target);
            response.setContentLength(0);
            return;
        }
        response.setHeader("WWW-Authenticate", tokenRejected
                ? "Bearer error=\"invalid_token\", error_description=\"" + reason + "\""
                : "Bearer");
        ErrorResponses.send(response, HttpServletResponse.SC_UNAUTHORIZED, reason);
    }

    void forbidden(HttpServletResponse response, String reason) {
        response.setHeader("Cache-Control", "no-store");
        ErrorResponses.send(response, HttpServletResponse.SC_FORBIDDEN, reason);
    }

    /** A top-level page load: GET or HEAD that accepts HTML. XHR, fetch and assets get 401 instead. */
    static boolean isBrowserNavigation(HttpServletRequest request) {
        String method = request.getMethod();
        if (!"GET".equals(method) && !"HEAD".equals(method)) {
            return false;
        }
        String accept = request.getHeader("Accept");
        return accept != null && accept.toLowerCase(Locale.ROOT).contains("text/html");
    }

    /** This request's public URL, without any {@code auth_token} (a token never goes into a redirect). */
    static String publicUrl(HttpServletRequest request) {
        String query = TokenExtractor.queryWithoutToken(request.getQueryString());
        return RequestPaths.publicOrigin(request) + request.getRequestURI() + (query == null ? "" : "?" + query);
    }
}
