package dev.grafanaproxy.web;

import dev.grafanaproxy.config.ProxyConfig;
import dev.grafanaproxy.metrics.MicrometerMetrics;
import dev.grafanaproxy.metrics.ProxyMetrics;
import dev.grafanaproxy.proxy.ErrorResponses;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The Prometheus scrape endpoint at {@code metrics.path}: answered by the proxy itself, never
 * forwarded to Grafana, and only to client addresses in {@code metrics.allow} (the container's view
 * of the address, so a {@code RemoteIpValve} in front is honoured).
 */
final class PrometheusEndpoint {
    private PrometheusEndpoint() {
    }

    static void answer(ProxyConfig config, ProxyMetrics metrics, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        if (!config.metricsAllow().contains(request.getRemoteAddr())) {
            ErrorResponses.send(response, HttpServletResponse.SC_FORBIDDEN, "metrics are not served to this address");
            return;
        }
        MicrometerMetrics m = MetricsSetup.micrometer(metrics);
        if (m == null || m.prometheus().isEmpty()) {
            ErrorResponses.send(response, HttpServletResponse.SC_NOT_FOUND,
                    "metrics are recorded in the host app's registry, not served here");
            return;
        }
        byte[] body = m.prometheus().get().scrape().getBytes(StandardCharsets.UTF_8);
        response.setStatus(HttpServletResponse.SC_OK);
        response.setContentType("text/plain; version=0.0.4; charset=utf-8");
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
