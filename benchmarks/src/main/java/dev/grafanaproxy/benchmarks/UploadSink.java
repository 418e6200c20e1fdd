package dev.grafanaproxy.benchmarks;

import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The container's own answer to the 10 MB POST in the static rows (a file server takes no
 * uploads): reads the whole body, then answers as the upstream's {@code /upload} does.
 */
public final class UploadSink extends HttpServlet {

    private static final byte[] OK = "{\"ok\":true}\n".getBytes(StandardCharsets.UTF_8);

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        byte[] buf = new byte[64 * 1024];
        try (ServletInputStream in = req.getInputStream()) {
            while (in.read(buf) >= 0) {
                // discard
            }
        }
        resp.setContentType("application/json");
        resp.setContentLength(OK.length);
        resp.getOutputStream().write(OK);
    }
}
