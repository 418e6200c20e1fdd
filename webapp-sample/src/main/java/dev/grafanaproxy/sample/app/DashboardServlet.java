package dev.grafanaproxy.sample.app;

import com.nimbusds.jwt.JWTClaimsSet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.text.ParseException;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code /dashboard}: the app's page with Grafana in an iframe ({@code app.dashboard_url}, e.g.
 * {@code /grafana/d/<uid>/<slug>?orgId=1&kiosk}). Nothing is passed to the iframe: it is on the
 * same origin, so the browser sends the session cookie to {@code /grafana/} by itself.
 */
public final class DashboardServlet extends HttpServlet {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'")
            .withZone(ZoneOffset.UTC);

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Optional<JWTClaimsSet> session = Sessions.current(request);
        if (session.isEmpty()) {
            Sessions.noStore(response);
            response.sendRedirect(Sessions.loginUrlFor(request));
            return;
        }
        JWTClaimsSet claims = session.get();
        AppSettings settings = SampleApp.settings(getServletContext());
        Pages.send(response, HttpServletResponse.SC_OK, Templates.render(DashboardServlet.class, "dashboard.html", Map.of(
                "ctx", request.getContextPath(),
                "username", claims.getSubject(),
                "name", string(claims, "name"),
                "email", string(claims, "email"),
                "roles", String.join(", ", list(claims, "roles")),
                "groups", String.join(", ", list(claims, "groups")),
                "expires", TIME.format(claims.getExpirationTime().toInstant()),
                "cookie", settings.cookieName(),
                "dashboard", settings.dashboardUrl())));
    }

    private static String string(JWTClaimsSet claims, String name) {
        try {
            String v = claims.getStringClaim(name);
            return v == null ? "" : v;
        } catch (ParseException e) {
            return "";
        }
    }

    private static List<String> list(JWTClaimsSet claims, String name) {
        try {
            List<String> v = claims.getStringListClaim(name);
            return v == null ? List.of() : v;
        } catch (ParseException e) {
            return List.of();
        }
    }
}
