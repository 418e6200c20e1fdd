package dev.grafanaproxy.web;

import dev.grafanaproxy.identity.IdentityWriter;
import dev.grafanaproxy.identity.PublishedJwks;
import dev.grafanaproxy.proxy.ErrorResponses;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The proxy's own JWKS at {@value #PATH} below the mount ({@code /grafana/.well-known/proxy-jwks.json}):
 * the public keys of the tokens it mints for Grafana, for {@code [auth.jwt] jwk_set_url}. Answered
 * here, public (no session needed) and never forwarded to Grafana, whatever the mode: when the proxy
 * mints nothing the answer is 404.
 *
 * <p>{@code GET} and {@code HEAD} only. {@code Cache-Control: public, max-age=<grafana.jwt_cache_ttl>}
 * (Grafana caches the set for the smaller of that and its own {@code cache_ttl}), a strong
 * {@code ETag} and {@code 304} for a matching {@code If-None-Match}.
 */
final class JwksEndpoint {
    /** Where below the mount the JWKS is published. */
    static final String PATH = "/.well-known/proxy-jwks.json";
    static final String CONTENT_TYPE = "application/jwk-set+json";

    private final IdentityWriter writer;

    JwksEndpoint(IdentityWriter writer) {
        this.writer = writer;
    }

    static boolean matches(String pathBelowMount) {
        return PATH.equals(pathBelowMount);
    }

    void answer(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Optional<PublishedJwks> published = writer.jwks();
        if (published.isEmpty()) {
            ErrorResponses.send(response, HttpServletResponse.SC_NOT_FOUND,
                    "no proxy JWKS: only grafana.auth_mode=jwt with grafana.jwt_source=mint publishes one");
            return;
        }
        String method = request.getMethod();
        boolean head = "HEAD".equals(method);
        if (!head && !"GET".equals(method)) {
            response.setHeader("Allow", "GET, HEAD");
            ErrorResponses.send(response, HttpServletResponse.SC_METHOD_NOT_ALLOWED, method + " is not allowed here");
            return;
        }
        PublishedJwks jwks = published.get();
        response.setHeader("Cache-Control", "public, max-age=" + Math.max(1, jwks.maxAge().getSeconds()));
        response.setHeader("ETag", jwks.etag());
        if (etagMatches(request.getHeader("If-None-Match"), jwks.etag())) {
            response.setStatus(HttpServletResponse.SC_NOT_MODIFIED);
            return;
        }
        byte[] body = jwks.json().getBytes(StandardCharsets.UTF_8);
        response.setStatus(HttpServletResponse.SC_OK);
        response.setContentType(CONTENT_TYPE);
        response.setContentLength(body.length);
        if (!head) {
            response.getOutputStream().write(body);
        }
    }

    private static boolean etagMatches(String ifNoneMatch, String etag) {
        if (ifNoneMatch == null) {
            return false;
        }
        for (String t : ifNoneMatch.split(",")) {
            String tag = t.trim();
            if (tag.startsWith("W/")) {
                tag = tag.substring(2);
            }
            if (tag.equals("*") || tag.equals(etag)) {
                return true;
            }
        }
        return false;
    }
}
