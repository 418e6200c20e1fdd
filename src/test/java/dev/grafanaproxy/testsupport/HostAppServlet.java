package dev.grafanaproxy.testsupport;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * The host app's "login" in the {@code ROOT} web app that {@link DistributionServer} deploys next to
 * the WAR in a real server (its class file is copied into {@code ROOT/WEB-INF/classes}, so it must
 * stay a single class that needs nothing but the Servlet API).
 *
 * <ul>
 *   <li>{@code GET /login[?next=...]}: 200 {@code host app login page} (where the proxy's
 *       {@code login.url} sends a browser without a session).</li>
 *   <li>{@code POST /login} with form field {@code token}: the app "logs the user in" by setting
 *       its session cookie {@code app_session=<token>; Path=/; HttpOnly; SameSite=Lax} and
 *       redirecting (303) to {@code /}. The token travels in the body, so no access log records it.</li>
 *   <li>{@code /ping}: {@code pong}.</li>
 * </ul>
 */
public class HostAppServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    /** The session cookie the host app sets (the proxy's {@code jwt.cookie_name} in {@code conf/}). */
    public static final String COOKIE = "app_session";

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        resp.setContentType("text/plain;charset=UTF-8");
        String path = req.getServletPath();
        if ("/ping".equals(path)) {
            resp.getWriter().write("pong");
        } else if ("POST".equals(req.getMethod())) {
            String token = req.getParameter("token");
            if (token == null || token.isEmpty() || !token.matches("[A-Za-z0-9._-]+")) {
                resp.sendError(400, "token missing");
                return;
            }
            // a raw header: the containers' cookie APIs differ in attributes and quoting
            resp.addHeader("Set-Cookie", COOKIE + "=" + token + "; Path=/; HttpOnly; SameSite=Lax");
            resp.setStatus(303);
            resp.setHeader("Location", "/");
        } else {
            resp.getWriter().write("host app login page");
        }
    }
}
