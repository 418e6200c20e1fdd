package dev.grafanaproxy.testsupport;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/** The servlets of the stand-in "host app" deployed at {@code /} next to the proxy. */
final class HostApp {

    private HostApp() {
    }

    /** {@code /ping}: {@code pong} at once (shows the container's threads are not all taken). */
    static final class Ping extends HttpServlet {
        @Override
        protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            resp.setContentType("text/plain");
            resp.getWriter().write("pong");
        }
    }

    /** {@code /set-cookie?name=N&value=V&path=P}: sets {@code N=V; Path=P; HttpOnly} as the host app's login would. */
    static final class SetCookie extends HttpServlet {
        @Override
        protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            String name = param(req, "name", "host_session");
            String value = param(req, "value", "1");
            String path = param(req, "path", "/");
            // a raw header: both containers' cookie APIs would otherwise differ in attributes and quoting
            resp.addHeader("Set-Cookie", name + "=" + value + "; Path=" + path + "; HttpOnly");
            resp.setContentType("text/plain");
            resp.getWriter().write("cookie set");
        }

        private static String param(HttpServletRequest req, String name, String dflt) {
            String v = req.getParameter(name);
            return v == null ? dflt : v;
        }
    }
}
