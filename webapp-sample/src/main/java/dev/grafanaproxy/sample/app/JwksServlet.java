package dev.grafanaproxy.sample.app;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * {@code /.well-known/jwks.json}: the public key that signs session tokens, for grafana-proxy's
 * {@code jwt.jwk_set_url} (which caches it for {@code jwt.cache_ttl} and refetches on an unknown
 * {@code kid}).
 */
public final class JwksServlet extends HttpServlet {

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "public, max-age=300");
        response.getWriter().write(SampleApp.tokens(getServletContext()).publicJwks());
    }
}
