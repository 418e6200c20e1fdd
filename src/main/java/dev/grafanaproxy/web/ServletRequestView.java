package dev.grafanaproxy.web;

import dev.grafanaproxy.token.RequestView;
import jakarta.servlet.http.HttpServletRequest;

import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/** Adapts a servlet request to the token package's {@link RequestView}. */
final class ServletRequestView implements RequestView {
    private final HttpServletRequest request;

    ServletRequestView(HttpServletRequest request) {
        this.request = request;
    }

    @Override
    public List<String> headers(String name) {
        Enumeration<String> values = request.getHeaders(name);
        return values == null ? List.of() : Collections.list(values);
    }

    @Override
    public String header(String name) {
        return request.getHeader(name);
    }

    @Override
    public String rawQuery() {
        return request.getQueryString();
    }
}
