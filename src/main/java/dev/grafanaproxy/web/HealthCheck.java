package dev.grafanaproxy.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.grafanaproxy.config.ProxyConfig;
import dev.grafanaproxy.token.KeySourceStatus;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The proxy's own health, answered at {@code health.path} below the mount and never forwarded:
 * configuration loaded, verification keys usable, Grafana reachable. 200 when the proxy can serve,
 * 503 with the reason otherwise, as JSON for load balancers and Kubernetes probes. Grafana's
 * {@code /api/health} is probed with a short timeout and the result kept for a few seconds, so
 * however often probes come, Grafana sees at most one request per interval from each instance.
 */
final class HealthCheck {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Object probeLock = new Object();
    private volatile Probe last;

    /** What one probe of Grafana found. */
    record Probe(Instant at, boolean reachable, int status, long latencyMs, String error) {
    }

    void answer(AuthPolicy policy, long generation, String mount, HttpServletResponse response) throws IOException {
        KeySourceStatus keys = policy.verifier.keySourceStatus();
        Probe grafana = grafana(policy.config, mount);

        Map<String, Object> checks = new LinkedHashMap<>();
        checks.put("config", Map.of("status", "UP", "generation", generation));
        Map<String, Object> k = new LinkedHashMap<>();
        k.put("status", keys.usable() ? "UP" : "DOWN");
        k.put("source", keys.source());
        k.put("outcome", keys.outcome());
        if (keys.lastSuccess() != null) {
            k.put("lastSuccess", keys.lastSuccess().toString());
        }
        if (keys.keys() >= 0) {
            k.put("keys", keys.keys());
        }
        checks.put("keys", k);
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("status", grafana.reachable() ? "UP" : "DOWN");
        g.put("checkedAt", grafana.at().toString());
        if (grafana.status() > 0) {
            g.put("httpStatus", grafana.status());
        }
        g.put("latencyMs", grafana.latencyMs());
        if (grafana.error() != null) {
            g.put("error", grafana.error());
        }
        checks.put("grafana", g);

        boolean up = keys.usable() && grafana.reachable();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", up ? "UP" : "DOWN");
        if (!up) {
            body.put("reason", !keys.usable() ? "verification keys unavailable: " + keys.outcome()
                    : "Grafana unreachable: " + (grafana.error() != null ? grafana.error() : "HTTP " + grafana.status()));
        }
        body.put("checks", checks);
        byte[] bytes = JSON.writeValueAsBytes(body);
        response.setStatus(up ? HttpServletResponse.SC_OK : HttpServletResponse.SC_SERVICE_UNAVAILABLE);
        response.setContentType("application/json;charset=utf-8");
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(bytes.length);
        response.getOutputStream().write(bytes);
    }

    private Probe grafana(ProxyConfig config, String mount) {
        Duration cache = config.healthCacheTtl();
        Probe p = last;
        if (p != null && p.at().plus(cache).isAfter(Instant.now())) {
            return p;
        }
        synchronized (probeLock) {
            p = last;
            if (p != null && p.at().plus(cache).isAfter(Instant.now())) {
                return p; // another request probed while we waited
            }
            p = probe(config, mount);
            last = p;
            return p;
        }
    }

    /**
     * One GET of Grafana's {@code /api/health}. Blocking, on the probing request's thread, bounded
     * by a 2 s timeout; {@code Connection: close} so no keep-alive thread outlives the web app.
     */
    private static Probe probe(ProxyConfig config, String mount) {
        String path = (config.stripPrefix() ? "" : mount) + "/api/health";
        long start = System.nanoTime();
        int timeout = (int) Math.min(2000, config.connectTimeout().toMillis());
        HttpURLConnection c = null;
        try {
            c = (HttpURLConnection) new URL(config.grafanaUrl() + path).openConnection();
            c.setConnectTimeout(timeout);
            c.setReadTimeout(timeout);
            c.setInstanceFollowRedirects(false);
            c.setUseCaches(false);
            c.setRequestProperty("Connection", "close");
            c.setRequestProperty("Accept", "application/json");
            int status = c.getResponseCode();
            try (InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
                if (in != null) {
                    in.readNBytes(64 * 1024);
                }
            }
            long ms = (System.nanoTime() - start) / 1_000_000;
            return new Probe(Instant.now(), status == 200, status, ms, null);
        } catch (IOException | RuntimeException e) {
            long ms = (System.nanoTime() - start) / 1_000_000;
            return new Probe(Instant.now(), false, 0, ms, e.getClass().getSimpleName());
        } finally {
            if (c != null) {
                c.disconnect();
            }
        }
    }

}
