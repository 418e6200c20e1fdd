package dev.grafanaproxy.websocket;

import dev.grafanaproxy.config.Durations;
import dev.grafanaproxy.config.ProxyConfig;
import dev.grafanaproxy.proxy.ErrorResponses;
import dev.grafanaproxy.proxy.HeaderRules;
import dev.grafanaproxy.proxy.RequestPaths;
import dev.grafanaproxy.proxy.UpgradeRelay;
import jakarta.servlet.ServletContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.websocket.DeploymentException;
import jakarta.websocket.Extension;
import jakarta.websocket.HandshakeResponse;
import jakarta.websocket.server.HandshakeRequest;
import jakarta.websocket.server.ServerContainer;
import jakarta.websocket.server.ServerEndpointConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The WebSocket relay of one web app: the upstream WebSocket client (one JDK {@link HttpClient}
 * with a small shared pool, no thread per connection), the handshake, and the registry of open
 * {@link Relay}s that {@link #close()} shuts on undeploy.
 *
 * <p>The handshake runs on the container thread that carries the upgrade request, and that thread
 * waits for Grafana's answer (at most {@code proxy.connect_timeout}): a servlet container can switch
 * protocols only on the request's own dispatch (Tomcat ignores an upgrade made after
 * {@code startAsync}), and only after Grafana has answered can the client be given Grafana's status
 * instead of a {@code 101}. After the switch no thread is held.
 */
final class WebSocketRelays implements UpgradeRelay {
    private static final Logger LOG = LoggerFactory.getLogger(WebSocketRelays.class);

    /** Upstream messages are passed on whole; a longer one closes the relay with 1009. */
    static final int MAX_MESSAGE = 16 * 1024 * 1024;
    /** How much of a client message is read before it is passed on as one part. */
    static final int CLIENT_PART_SIZE = 64 * 1024;
    /** How much from the client may wait for Grafana to take it before the client's reading waits. */
    static final long CLIENT_WINDOW = 64 * 1024;

    private final ServletContext context;
    private final ThreadPoolExecutor executor;
    private final ScheduledThreadPoolExecutor timer;
    private HttpClient client; // guarded by this; created on the first upgrade
    private final Set<Relay> open = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean hostRestricted = new AtomicBoolean();
    private final AtomicBoolean warnedNoContainer = new AtomicBoolean();
    private final AtomicBoolean warnedNonAscii = new AtomicBoolean();
    private volatile boolean closed;

    WebSocketRelays(ProxyConfig config, ServletContext context) {
        this.context = context;
        int threads = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
        executor = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                threads("grafana-proxy-ws-"));
        executor.allowCoreThreadTimeOut(true);
        timer = new ScheduledThreadPoolExecutor(1, threads("grafana-proxy-ws-timer-"));
        timer.setRemoveOnCancelPolicy(true);
        // websocket.idle_timeout, checked for every relay against the configuration it was opened with
        timer.scheduleWithFixedDelay(() -> {
            for (Relay r : open) {
                if (r.idleTimedOut()) {
                    r.idleTimeout();
                }
            }
        }, 250, 250, TimeUnit.MILLISECONDS);
        LOG.info("grafana-proxy relaying WebSocket upgrades on {} (idle_timeout={})", config.websocketPaths(),
                Durations.format(config.websocketIdleTimeout()));
    }

    /**
     * The JDK WebSocket client, created on the first upgrade: its selector thread lives until the
     * client is collected on JDK 17 (no close before JDK 21), so a web app that never relays a
     * WebSocket never starts it.
     */
    private synchronized HttpClient client() {
        if (client == null) {
            // the selector thread must not inherit, and so pin, the web app's class loader
            Thread current = Thread.currentThread();
            ClassLoader tccl = current.getContextClassLoader();
            current.setContextClassLoader(null);
            try {
                client = HttpClient.newBuilder()
                        .executor(executor)
                        .followRedirects(HttpClient.Redirect.NEVER)
                        .proxy(HttpClient.Builder.NO_PROXY)
                        .build();
            } finally {
                current.setContextClassLoader(tccl);
            }
        }
        return client;
    }

    ScheduledExecutorService timer() {
        return timer;
    }

    void opened(Relay relay) {
        open.add(relay);
        if (closed) {
            relay.shutdown();
        }
    }

    void finished(Relay relay) {
        open.remove(relay);
    }

    /** Number of relays open now (for tests and logs). */
    int openRelays() {
        return open.size();
    }

    @Override
    public boolean accepts(HttpServletRequest request, ProxyConfig config) {
        return WebSocketRelayFactory.isWebSocketUpgrade(request, config);
    }

    @Override
    public void relay(HttpServletRequest request, HttpServletResponse response, Handshake handshake) throws IOException {
        ProxyConfig config = handshake.config();
        if (closed) {
            ErrorResponses.send(response, HttpServletResponse.SC_SERVICE_UNAVAILABLE, "the proxy is shutting down");
            return;
        }
        Object attr = context.getAttribute(WebSocketRelayFactory.SERVER_CONTAINER);
        if (!(attr instanceof ServerContainer container)) {
            if (warnedNoContainer.compareAndSet(false, true)) {
                LOG.warn("grafana-proxy: the container offers no Jakarta WebSocket ServerContainer; WebSocket upgrades get 501"
                        + " (Jetty: enable the ee10-websocket-jakarta module)");
            }
            ErrorResponses.send(response, HttpServletResponse.SC_NOT_IMPLEMENTED, "WebSocket is not available in this container");
            return;
        }
        // Check the client's handshake before anything is opened towards Grafana.
        if (!WebSocketRelayFactory.hasToken(request.getHeaders("Connection"), "upgrade") || !validKey(request.getHeader("Sec-WebSocket-Key"))) {
            ErrorResponses.send(response, HttpServletResponse.SC_BAD_REQUEST, "invalid WebSocket handshake");
            return;
        }
        if (!WebSocketRelayFactory.hasToken(request.getHeaders("Sec-WebSocket-Version"), "13")) {
            response.setHeader("Sec-WebSocket-Version", "13");
            ErrorResponses.send(response, 426, "WebSocket version 13 required");
            return;
        }
        String target = RequestPaths.mount(request) + RequestPaths.rawPathBelowMount(request);
        Relay relay = new Relay(this, config, target);
        WebSocket ws;
        try {
            ws = connect(handshake, tokens(request.getHeaders("Sec-WebSocket-Protocol")), relay);
        } catch (UpstreamRefused e) {
            LOG.info("WebSocket {}: {}", target, e.getMessage());
            ErrorResponses.send(response, e.status, e.clientMessage);
            return;
        }
        relay.upstream(ws);
        String protocol = ws.getSubprotocol() == null ? "" : ws.getSubprotocol();
        ServerEndpointConfig endpointConfig = ServerEndpointConfig.Builder.create(RelayEndpoint.class, "/")
                .subprotocols(protocol.isEmpty() ? List.of() : List.of(protocol))
                .configurator(new RelayConfigurator(relay.clientSide(), protocol))
                .build();
        try {
            container.upgradeHttpToWebSocket(request, response, endpointConfig, Map.of());
        } catch (DeploymentException | IOException | RuntimeException e) {
            relay.upgradeFailed();
            LOG.warn("WebSocket {}: the container could not switch protocols: {}", target, e.toString());
            ErrorResponses.send(response, HttpServletResponse.SC_INTERNAL_SERVER_ERROR, "WebSocket upgrade failed");
            return;
        }
        if (response.getStatus() != HttpServletResponse.SC_SWITCHING_PROTOCOLS) {
            relay.upgradeFailed();
            return;
        }
        relay.expectClientOpen(config.connectTimeout());
    }

    /**
     * Opens the WebSocket to Grafana and waits for its answer on this thread.
     *
     * @throws UpstreamRefused with the status to give the client when Grafana refused or is unreachable
     */
    private WebSocket connect(Handshake handshake, List<String> protocols, WebSocket.Listener listener) throws UpstreamRefused {
        ProxyConfig config = handshake.config();
        URI uri = webSocketUri(handshake.uri());
        List<Map.Entry<String, String>> headers = asciiHeaders(handshake.headers(), new HeaderRules(config));
        boolean withHost = config.preserveHost() && !hostRestricted.get();
        while (true) {
            WebSocket.Builder b = client().newWebSocketBuilder().connectTimeout(config.connectTimeout());
            for (Map.Entry<String, String> h : headers) {
                String name = h.getKey();
                if (HeaderRules.isWebSocketHandshake(name) || (name.equalsIgnoreCase("Host") && !withHost)) {
                    continue;
                }
                b.header(name, h.getValue());
            }
            if (!protocols.isEmpty()) {
                b.subprotocols(protocols.get(0), protocols.subList(1, protocols.size()).toArray(new String[0]));
            }
            CompletableFuture<WebSocket> f = b.buildAsync(uri, listener);
            try {
                return f.get(config.connectTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                f.cancel(true);
                Thread.currentThread().interrupt();
                throw new UpstreamRefused(HttpServletResponse.SC_SERVICE_UNAVAILABLE, "interrupted", "the proxy is shutting down");
            } catch (TimeoutException e) {
                f.thenAccept(WebSocket::abort);
                throw timeout(config);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (withHost && cause instanceof IllegalArgumentException && String.valueOf(cause.getMessage()).toLowerCase().contains("host")) {
                    // The JDK client may set Host only with -Djdk.httpclient.allowRestrictedHeaders=host.
                    if (hostRestricted.compareAndSet(false, true)) {
                        LOG.info("grafana-proxy: Grafana sees its own Host on relayed WebSockets (X-Forwarded-Host carries the"
                                + " public one); start the JVM with -Djdk.httpclient.allowRestrictedHeaders=host to preserve it");
                    }
                    withHost = false;
                    continue;
                }
                throw refused(cause, config);
            }
        }
    }

    /**
     * The JDK client writes header values as US-ASCII: every other byte would reach Grafana as
     * {@code ?}. An identity must never arrive altered, so an identity value with non-ASCII bytes
     * (UTF-8 names with {@code grafana.headers_encoded=false}) refuses the upgrade; other values are
     * left out (non-ASCII cookies one by one).
     */
    private List<Map.Entry<String, String>> asciiHeaders(List<Map.Entry<String, String>> headers, HeaderRules headerRules)
            throws UpstreamRefused {
        List<Map.Entry<String, String>> out = new ArrayList<>(headers.size());
        for (Map.Entry<String, String> h : headers) {
            String value = h.getValue();
            if (isAscii(value)) {
                out.add(h);
            } else if (headerRules.isIdentityHeader(h.getKey())) {
                if (warnedNonAscii.compareAndSet(false, true)) {
                    LOG.warn("grafana-proxy: an identity with non-ASCII characters cannot be sent on a WebSocket; set"
                            + " grafana.headers_encoded=true here and headers_encoded=true in Grafana's [auth.proxy]");
                }
                throw new UpstreamRefused(HttpServletResponse.SC_INTERNAL_SERVER_ERROR, "identity header " + h.getKey()
                        + " has non-ASCII characters and grafana.headers_encoded=false",
                        "this identity cannot be sent on a WebSocket without grafana.headers_encoded=true");
            } else if (h.getKey().equalsIgnoreCase("Cookie")) {
                StringBuilder kept = new StringBuilder();
                for (String part : value.split(";")) {
                    String cookie = part.trim();
                    if (!cookie.isEmpty() && isAscii(cookie)) {
                        kept.append(kept.length() == 0 ? "" : "; ").append(cookie);
                    }
                }
                if (kept.length() > 0) {
                    out.add(new java.util.AbstractMap.SimpleImmutableEntry<>(h.getKey(), kept.toString()));
                }
            } else {
                LOG.debug("header {} with non-ASCII bytes left out of the WebSocket upgrade", h.getKey());
            }
        }
        return out;
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) > 0x7E) {
                return false;
            }
        }
        return true;
    }

    private static UpstreamRefused timeout(ProxyConfig config) {
        return new UpstreamRefused(HttpServletResponse.SC_GATEWAY_TIMEOUT, "Grafana did not answer the WebSocket handshake within "
                + Durations.format(config.connectTimeout()), "Grafana did not answer in time");
    }

    private static UpstreamRefused refused(Throwable cause, ProxyConfig config) {
        if (cause instanceof WebSocketHandshakeException h && h.getResponse() != null) {
            int status = h.getResponse().statusCode();
            if (status == HttpServletResponse.SC_SWITCHING_PROTOCOLS || status < 200) {
                return new UpstreamRefused(HttpServletResponse.SC_BAD_GATEWAY, "Grafana sent an invalid WebSocket handshake",
                        "Grafana sent an invalid WebSocket handshake");
            }
            return new UpstreamRefused(status, "Grafana refused the upgrade with " + status,
                    "Grafana refused the WebSocket upgrade");
        }
        if (cause instanceof HttpConnectTimeoutException || cause instanceof ConnectException) {
            return new UpstreamRefused(HttpServletResponse.SC_BAD_GATEWAY, "Grafana is unreachable: " + cause, "Grafana is unreachable");
        }
        if (cause instanceof HttpTimeoutException) {
            return timeout(config);
        }
        return new UpstreamRefused(HttpServletResponse.SC_BAD_GATEWAY, "WebSocket to Grafana failed: " + cause,
                "Grafana is unreachable");
    }

    /** {@code http} becomes {@code ws}, {@code https} becomes {@code wss}; path and query stay raw. */
    static URI webSocketUri(URI http) {
        String s = http.toString();
        if (s.startsWith("https:")) {
            return URI.create("wss:" + s.substring("https:".length()));
        }
        return URI.create("ws:" + s.substring("http:".length()));
    }

    static List<String> tokens(Enumeration<String> values) {
        List<String> out = new ArrayList<>();
        while (values != null && values.hasMoreElements()) {
            for (String t : values.nextElement().split(",")) {
                String token = t.trim();
                if (!token.isEmpty() && !out.contains(token)) {
                    out.add(token);
                }
            }
        }
        return out;
    }

    /** RFC 6455 section 4.1: the base64 encoding of 16 bytes. */
    static boolean validKey(String key) {
        if (key == null || key.trim().length() != 24) {
            return false;
        }
        try {
            return Base64.getDecoder().decode(key.trim()).length == 16;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Relay r : List.copyOf(open)) {
            r.shutdown();
        }
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (!open.isEmpty() && System.nanoTime() < end) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (Relay r : List.copyOf(open)) {
            r.abort();
        }
        timer.shutdownNow();
        HttpClient c;
        synchronized (this) {
            c = client;
            client = null;
        }
        if (c != null) {
            try {
                // JDK 21+ can stop the client's threads; JDK 17 lets them end when it is collected
                HttpClient.class.getMethod("shutdownNow").invoke(c);
            } catch (ReflectiveOperationException | RuntimeException e) {
                // not available before JDK 21
            }
        }
        executor.shutdownNow();
        try {
            executor.awaitTermination(2, TimeUnit.SECONDS);
            timer.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            t.setContextClassLoader(null);
            return t;
        };
    }

    /** Why the upstream handshake did not succeed, and what the client gets. */
    private static final class UpstreamRefused extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;
        final String clientMessage;

        UpstreamRefused(int status, String logMessage, String clientMessage) {
            super(logMessage, null, false, false);
            this.status = status;
            this.clientMessage = clientMessage;
        }
    }

    /**
     * The per-connection endpoint configuration: Grafana's sub-protocol, the relay's own endpoint
     * instance, no origin check of the container's (Grafana checks the Origin it is sent).
     */
    private static final class RelayConfigurator extends ServerEndpointConfig.Configurator {
        private final RelayEndpoint endpoint;
        private final String protocol;

        RelayConfigurator(RelayEndpoint endpoint, String protocol) {
            this.endpoint = endpoint;
            this.protocol = protocol;
        }

        @Override
        public String getNegotiatedSubprotocol(List<String> supported, List<String> requested) {
            return protocol;
        }

        @Override
        public boolean checkOrigin(String originHeaderValue) {
            return true;
        }

        @Override
        public List<Extension> getNegotiatedExtensions(List<Extension> installed, List<Extension> requested) {
            return super.getNegotiatedExtensions(installed, requested);
        }

        @Override
        public void modifyHandshake(ServerEndpointConfig sec, HandshakeRequest request, HandshakeResponse response) {
            // nothing to add: the container writes the 101 with Grafana's sub-protocol
        }

        @Override
        public <T> T getEndpointInstance(Class<T> endpointClass) {
            return endpointClass.cast(endpoint);
        }
    }
}
