package dev.grafanaproxy.sample.app;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;

/**
 * {@code /login}: GET shows the form (and the demo users), POST checks the login, mints the session
 * JWT, sets it as the session cookie and goes on to {@code next} (only ever on this origin, see
 * {@link Sessions#safeNext}). grafana-proxy sends browsers without a session here with
 * {@code login.url = /login?next={url}}, so {@code next} may be a {@code /grafana/...} URL.
 */
public final class LoginServlet extends HttpServlet {

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String message = request.getParameter("logged_out") != null
                ? "<p class=\"notice\" id=\"message\">You have been signed out.</p>" : "";
        render(request, response, HttpServletResponse.SC_OK, message, "");
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        request.setCharacterEncoding("UTF-8");
        String username = request.getParameter("username");
        Optional<DemoUser> user = DemoUsers.authenticate(username, request.getParameter("password"));
        if (user.isEmpty()) {
            render(request, response, HttpServletResponse.SC_UNAUTHORIZED,
                    "<p class=\"error\" id=\"message\">Unknown user or wrong password.</p>",
                    username == null ? "" : username);
            return;
        }
        String token = SampleApp.tokens(getServletContext()).mint(user.get());
        Sessions.setCookie(request, response, token);
        Sessions.noStore(response);
        String next = Sessions.safeNext(request, request.getParameter("next"));
        response.setStatus(HttpServletResponse.SC_SEE_OTHER);
        response.setHeader("Location", next);
    }

    private void render(HttpServletRequest request, HttpServletResponse response, int status, String message,
                        String username) throws IOException {
        String next = request.getParameter("next");
        StringBuilder users = new StringBuilder();
        for (DemoUser u : DemoUsers.ALL) {
            users.append("<tr data-user=\"").append(Templates.escape(u.username())).append("\">")
                    .append("<td><code>").append(Templates.escape(u.username())).append("</code></td>")
                    .append("<td><code>").append(Templates.escape(u.password())).append("</code></td>")
                    .append("<td>").append(Templates.escape(u.grafanaRole())).append("</td>")
                    .append("<td>").append(Templates.escape(u.name())).append("<br><small>")
                    .append(Templates.escape(u.email())).append("</small></td>")
                    .append("<td>").append(Templates.escape(String.join(", ", u.roles()))).append("</td>")
                    .append("<td>").append(Templates.escape(String.join(", ", u.groups()))).append("</td>")
                    .append("<td><button type=\"button\" class=\"use\" data-username=\"")
                    .append(Templates.escape(u.username())).append("\" data-password=\"")
                    .append(Templates.escape(u.password())).append("\">Use</button></td></tr>\n");
        }
        Pages.send(response, status, Templates.render(LoginServlet.class, "login.html", Map.of(
                "ctx", request.getContextPath(),
                "message", new Templates.Html(message),
                "next", next == null ? "" : next,
                "username", username,
                "users", new Templates.Html(users.toString()))));
    }
}
