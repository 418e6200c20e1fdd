package dev.grafanaproxy.benchmarks;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** The host application's own page, rendered by a servlet on a request thread: the isolation probe. */
public final class HostPage extends HttpServlet {

    private static final byte[] PAGE = ("<!doctype html><html><head><title>Host app</title></head>"
            + "<body><h1>Host app</h1><iframe src=\"/grafana/\"></iframe></body></html>\n")
            .getBytes(StandardCharsets.UTF_8);

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        resp.setContentType("text/html;charset=UTF-8");
        resp.setContentLength(PAGE.length);
        resp.getOutputStream().write(PAGE);
    }
}
