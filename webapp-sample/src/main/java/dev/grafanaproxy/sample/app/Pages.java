package dev.grafanaproxy.sample.app;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/** Writes a rendered page with the headers every page of the app gets. */
final class Pages {

    private Pages() {
    }

    static void send(HttpServletResponse response, int status, String html) throws IOException {
        response.setStatus(status);
        response.setContentType("text/html;charset=UTF-8");
        Sessions.noStore(response);
        // the app may frame itself (its login page shows up inside the Grafana iframe once a
        // session has ended), nobody else may frame it
        response.setHeader("Content-Security-Policy", "frame-ancestors 'self'");
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("Referrer-Policy", "same-origin");
        response.getWriter().write(html);
    }
}
