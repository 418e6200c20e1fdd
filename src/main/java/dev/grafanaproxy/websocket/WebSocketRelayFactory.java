package dev.grafanaproxy.websocket;

import dev.grafanaproxy.config.PathPatterns;
import dev.grafanaproxy.config.ProxyConfig;
import dev.grafanaproxy.proxy.ErrorResponses;
import dev.grafanaproxy.proxy.RequestPaths;
import dev.grafanaproxy.proxy.UpgradeRelay;
import jakarta.servlet.ServletContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Enumeration;
import java.util.Locale;

/**
 * Found by the proxy servlet with {@link java.util.ServiceLoader}. This class links no Jakarta
 * WebSocket type, so a container without that API (Jetty without the {@code ee10-websocket-jakarta}
 * module) still runs the proxy; WebSocket upgrades there get {@code 501}.
 */
public final class WebSocketRelayFactory implements UpgradeRelay.Factory {
    private static final Logger LOG = LoggerFactory.getLogger(WebSocketRelayFactory.class);
    static final String SERVER_CONTAINER = "jakarta.websocket.server.ServerContainer";

    @Override
    public UpgradeRelay create(ProxyConfig config, ServletContext context) {
        try {
            Class.forName(SERVER_CONTAINER, false, WebSocketRelayFactory.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            LOG.warn("grafana-proxy: the container has no Jakarta WebSocket API; WebSocket upgrades on {} get 501"
                    + " (Jetty: enable the ee10-websocket-jakarta module)", config.websocketPaths());
            return new Unavailable();
        }
        return new WebSocketRelays(config, context);
    }

    /** Whether the request is a WebSocket upgrade (RFC 6455 section 4.1) on one of {@code websocket.paths}. */
    static boolean isWebSocketUpgrade(HttpServletRequest request, ProxyConfig config) {
        return "GET".equals(request.getMethod()) && hasToken(request.getHeaders("Upgrade"), "websocket")
                && patterns(config).matches(RequestPaths.pathBelowMount(request));
    }

    private static volatile Object[] lastPatterns = {null, null};

    /** {@code websocket.paths} of this configuration (kept for the last one seen: reloads are rare). */
    static PathPatterns patterns(ProxyConfig config) {
        Object[] last = lastPatterns;
        if (last[0] == config) {
            return (PathPatterns) last[1];
        }
        PathPatterns p = new PathPatterns(config.websocketPaths());
        lastPatterns = new Object[] {config, p};
        return p;
    }

    static boolean hasToken(Enumeration<String> values, String token) {
        while (values != null && values.hasMoreElements()) {
            for (String t : values.nextElement().split(",")) {
                if (t.trim().toLowerCase(Locale.ROOT).equals(token)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Answers WebSocket upgrades with 501 where the container cannot upgrade. */
    private static final class Unavailable implements UpgradeRelay {
        @Override
        public boolean accepts(HttpServletRequest request, ProxyConfig config) {
            return isWebSocketUpgrade(request, config);
        }

        @Override
        public void relay(HttpServletRequest request, HttpServletResponse response, Handshake handshake) {
            ErrorResponses.send(response, HttpServletResponse.SC_NOT_IMPLEMENTED, "WebSocket is not available in this container");
        }

        @Override
        public void close() {
        }
    }
}
