package dev.grafanaproxy.proxy;

import dev.grafanaproxy.config.ProxyConfig;
import jakarta.servlet.ServletContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Map;

/**
 * Takes over requests that switch protocols (WebSocket upgrades on {@code websocket.paths}) from the
 * {@link ProxyServlet}. The servlet runs after the auth filter, builds the upstream request with
 * exactly the same stages as for plain HTTP (path, header stripping, forwarded and identity headers)
 * and hands it over here instead of sending it with the HTTP client.
 *
 * <p>The implementation lives in {@code dev.grafanaproxy.websocket} and is found with
 * {@link java.util.ServiceLoader} through {@link Factory}, so this package does not depend on it and
 * the proxy still starts in a container without the Jakarta WebSocket API.
 */
public interface UpgradeRelay {

    /** Creates the relay for one web app, with the configuration at start-up. */
    interface Factory {
        UpgradeRelay create(ProxyConfig config, ServletContext context);
    }

    /**
     * The request the proxy would send to Grafana.
     *
     * @param uri     Grafana's {@code http(s)} URI with the raw path and query
     * @param headers the headers after every proxy stage, in order; {@code Host} only when preserved
     * @param config  the configuration the request was built with (a reload may replace it later)
     */
    record Handshake(URI uri, List<Map.Entry<String, String>> headers, ProxyConfig config) {
        public Handshake {
            headers = List.copyOf(headers);
        }
    }

    /** Whether this request is an upgrade the relay takes under {@code config} (after the auth filter let it pass). */
    boolean accepts(HttpServletRequest request, ProxyConfig config);

    /**
     * Answers the request on the container thread that carries it: either switches protocols or
     * writes an error status.
     */
    void relay(HttpServletRequest request, HttpServletResponse response, Handshake handshake) throws IOException;

    /** Closes every relayed connection (undeploy). */
    void close();
}
