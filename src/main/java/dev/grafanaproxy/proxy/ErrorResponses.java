package dev.grafanaproxy.proxy;

import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The proxy's own answers: a status and a short JSON body {@code {"message": "..."}}, never a stack
 * trace or a container error page.
 */
public final class ErrorResponses {

    private ErrorResponses() {
    }

    /** Writes the error if the response is not committed yet; returns false if it was too late. */
    public static boolean send(HttpServletResponse response, int status, String message) {
        byte[] body = prepare(response, status, message);
        if (body == null) {
            return false;
        }
        try {
            response.getOutputStream().write(body);
        } catch (IOException | IllegalStateException e) {
            return false;
        }
        return true;
    }

    /**
     * Sets the error's status and headers and returns its body for the caller to write (a response
     * in non-blocking mode must be written when the container says it is ready), or {@code null}
     * if the response is committed already.
     */
    static byte[] prepare(HttpServletResponse response, int status, String message) {
        if (response.isCommitted()) {
            return null;
        }
        response.resetBuffer();
        response.setStatus(status);
        response.setContentType("application/json;charset=utf-8");
        response.setHeader("Cache-Control", "no-store");
        byte[] body = json(message);
        response.setContentLength(body.length);
        return body;
    }

    /** {@code {"message":"..."}} as UTF-8, with the message JSON-escaped. */
    public static byte[] json(String message) {
        StringBuilder sb = new StringBuilder(message.length() + 16).append("{\"message\":\"");
        for (int i = 0; i < message.length(); i++) {
            char c = message.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append("\"}").toString().getBytes(StandardCharsets.UTF_8);
    }
}
