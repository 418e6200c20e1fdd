package dev.grafanaproxy.sample.app;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/** {@code /}: to the dashboard when logged in, else to the login page. */
public final class HomeServlet extends HttpServlet {

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Sessions.noStore(response);
        boolean loggedIn = Sessions.current(request).isPresent();
        response.sendRedirect(request.getContextPath() + (loggedIn ? Sessions.HOME : "/login"));
    }
}
