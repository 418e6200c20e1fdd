package dev.grafanaproxy.sample.app;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * {@code /logout}: removes the session cookie and goes to the login page. POST from the app's own
 * button; GET too, because Grafana's {@code [auth] signout_redirect_url} sends the browser here.
 * With the cookie gone, every later request under {@code /grafana/} is refused by the proxy, and a
 * reloaded Grafana iframe lands on the login page.
 */
public final class LogoutServlet extends HttpServlet {

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Sessions.clearCookie(request, response);
        Sessions.noStore(response);
        response.setStatus(HttpServletResponse.SC_SEE_OTHER);
        response.setHeader("Location", request.getContextPath() + "/login?logged_out");
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        doPost(request, response);
    }
}
