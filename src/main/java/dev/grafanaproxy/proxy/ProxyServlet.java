package dev.grafanaproxy.proxy;

import dev.grafanaproxy.config.ConfigHolder;
import dev.grafanaproxy.config.ProxyConfig;
import dev.grafanaproxy.identity.IdentityHeaders;
import dev.grafanaproxy.metrics.ProxyMetrics;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.nio.AsyncResponseConsumer;
import org.apache.hc.core5.http.nio.CapacityChannel;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.http.message.BasicHttpRequest;
import org.apache.hc.core5.http.nio.AsyncEntityProducer;
import org.apache.hc.core5.http.nio.support.BasicRequestProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;
import java.util.Set;
import java.util.TreeSet;

/**
 * The asynchronous streaming reverse proxy to Grafana. Every request under the mount is carried to
 * {@code grafana.url} and the answer streamed back, with the container thread released as soon as
 * the exchange is started. The stages are protected methods so an embedding app can adjust one
 * without copying the rest:
 * <ol>
 *   <li>client to proxy request: {@link #service}</li>
 *   <li>proxy to server request: {@link #upstreamPathAndQuery}, {@link #newUpstreamRequest},
 *       {@link #copyRequestHeaders}, {@link #addForwardedHeaders}, {@link #addIdentityHeaders}</li>
 *   <li>server to proxy response and proxy to client response: {@link #onServerResponseHeaders},
 *       then the body relay in {@link ResponseRelay}</li>
 * </ol>
 * Configuration comes from {@link ProxyConfig} (see {@link ProxyConfigHolder}) as an {@link Upstream}
 * snapshot that a reload replaces without disturbing running exchanges; the auth filter in front
 * hands over the identity as an {@link IdentityHeaders} request attribute. WebSocket upgrades on
 * {@code websocket.paths} go through the same stages and are then handed to the {@link UpgradeRelay}
 * (see {@link #newUpgradeRelay}) instead of the HTTP client.
 */
public class ProxyServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ProxyServlet.class);

    private transient ProxyConfig initialConfig;
    private transient ConfigHolder holder;
    private transient ConfigHolder.Participant participant;
    private transient volatile Upstream upstream;
    private transient volatile boolean warnedNoFilter;
    private transient UpgradeRelay upgrades;
    private transient ProxyMetrics metrics = ProxyMetrics.NONE;

    public ProxyServlet() {
    }

    /** For programmatic registration with an already built configuration (no reloading). */
    public ProxyServlet(ProxyConfig config) {
        this.initialConfig = config;
    }

    @Override
    public void init() throws ServletException {
        if (initialConfig != null) {
            upstream = new Upstream(initialConfig);
        } else {
            holder = ProxyConfigHolder.obtain(getServletContext(), getServletConfig()::getInitParameter);
            upstream = new Upstream(holder.current());
            participant = next -> {
                Upstream prepared = new Upstream(next, upstream);
                return ConfigHolder.Transition.of(() -> {
                    Upstream old = upstream;
                    upstream = prepared;
                    old.retire(); // running exchanges finish on the old client
                    logStart(prepared);
                }, prepared::close);
            };
            holder.register(participant);
        }
        logStart(upstream);
        upgrades = newUpgradeRelay(upstream.config());
        metrics = ProxyMetricsHolder.of(getServletContext());
        metrics.poolGauges(() -> upstream.client().poolStats().getLeased(),
                () -> upstream.client().poolStats().getPending(),
                () -> upstream.client().poolStats().getAvailable());
    }

    final ProxyMetrics metrics() {
        return metrics;
    }

    private static void logStart(Upstream u) {
        ProxyConfig c = u.config();
        LOG.info("grafana-proxy forwarding to {} (strip_prefix={}, preserve_host={}, max_connections={})",
                c.grafanaUrl(), c.stripPrefix(), c.preserveHost(), c.maxConnections());
    }

    @Override
    public void destroy() {
        if (upgrades != null) {
            upgrades.close();
        }
        if (holder != null) {
            holder.unregister(participant);
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    /**
     * The relay for WebSocket upgrades: the first {@link UpgradeRelay.Factory} on the web app's class
     * path ({@code dev.grafanaproxy.websocket} in the WAR), or {@code null} for none, in which case an
     * upgrade request is proxied as a plain request (its {@code Upgrade} header is hop-by-hop).
     */
    protected UpgradeRelay newUpgradeRelay(ProxyConfig config) {
        for (UpgradeRelay.Factory f : ServiceLoader.load(UpgradeRelay.Factory.class, ProxyServlet.class.getClassLoader())) {
            return f.create(config, getServletContext());
        }
        return null;
    }

    /** The snapshot new requests use now. */
    protected final Upstream upstream() {
        return upstream;
    }

    // --- stage 1: client to proxy request -------------------------------------------------------

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws ServletException, IOException {
        if (request.getDispatcherType() == DispatcherType.ASYNC && request.getAttribute(ClientAbort.ATTRIBUTE) != null) {
            throw ClientAbort.failure();
        }
        if (!(request.getAttribute(IdentityHeaders.REQUEST_ATTRIBUTE) instanceof IdentityHeaders)) {
            // fail closed: without the auth filter's decision nothing may reach Grafana
            if (!warnedNoFilter) {
                warnedNoFilter = true;
                LOG.error("request reached the proxy without the auth filter's decision: map {} in front of {}",
                        "dev.grafanaproxy.web.AuthFilter", getClass().getName());
            }
            ErrorResponses.send(response, HttpServletResponse.SC_INTERNAL_SERVER_ERROR,
                    "grafana-proxy is misconfigured: the auth filter is not in front of the proxy");
            return;
        }
        if ("CONNECT".equalsIgnoreCase(request.getMethod())) {
            ErrorResponses.send(response, HttpServletResponse.SC_METHOD_NOT_ALLOWED, "CONNECT is not proxied");
            return;
        }
        Upstream u;
        do {
            u = upstream; // a snapshot retired in between is skipped for the one that replaced it
        } while (!u.tryAcquire());
        RouteTable.Compiled route = u.routes().isEmpty() ? null : u.routes().match(RequestPaths.pathBelowMount(request));
        if (route != null) {
            serviceRoute(request, response, u, route);
            return;
        }
        String pathAndQuery = upstreamPathAndQuery(request, u);
        if (upgrades != null && request.getDispatcherType() == DispatcherType.REQUEST && upgrades.accepts(request, u.config())) {
            try {
                relayUpgrade(request, response, u, pathAndQuery); // the relay does not use the snapshot's HTTP client
            } finally {
                u.release();
            }
            return;
        }
        String logTarget = request.getMethod() + " " + request.getRequestURI(); // as the client sent it

        AsyncContext async = startAsync(request);

        BasicHttpRequest upstreamRequest = newUpstreamRequest(request, u, pathAndQuery);
        ResponseRelay relay = new ResponseRelay(this, u, request, response, async, logTarget);
        listen(request, async, relay);

        RequestBody body = newRequestBody(request, relay);
        AsyncEntityProducer entity = body;
        if (body == null && request.getContentLengthLong() == 0) {
            entity = EmptyEntity.INSTANCE;
        }
        UpstreamExchange exchange = u.client().execute(new BasicRequestProducer(upstreamRequest, entity), relay,
                u.releaseWhenDone());
        relay.upstream(exchange);
        if (body != null) {
            body.start();
        }
    }

    /** Goes async with no container timeout: Grafana's own timeouts apply, a long download must not be cut. */
    private static AsyncContext startAsync(HttpServletRequest request) {
        AsyncContext async = request.startAsync();
        async.setTimeout(0);
        return async;
    }

    /**
     * Registers the relay, then the listener a filter left in {@link #COMPLETION_LISTENER_ATTRIBUTE},
     * before the exchange starts; the relay also tells that listener itself when the client went away.
     * The relay becomes the response's write listener here, on the container's thread (see
     * {@link ResponseRelay#startWriting()}).
     */
    private static void listen(HttpServletRequest request, AsyncContext async, ResponseRelay relay)
            throws IOException {
        relay.startWriting();
        async.addListener(relay);
        if (request.getAttribute(COMPLETION_LISTENER_ATTRIBUTE) instanceof AsyncListener listener) {
            request.removeAttribute(COMPLETION_LISTENER_ATTRIBUTE);
            async.addListener(listener);
            relay.completionListener(listener);
        }
    }

    /** Builds the upstream request with the usual stages and hands it to the {@link UpgradeRelay}. */
    private void relayUpgrade(HttpServletRequest request, HttpServletResponse response, Upstream u, String pathAndQuery)
            throws IOException {
        URI uri;
        try {
            uri = URI.create(u.target().toURI() + pathAndQuery);
        } catch (IllegalArgumentException e) {
            ErrorResponses.send(response, HttpServletResponse.SC_BAD_REQUEST, "malformed request target");
            return;
        }
        BasicHttpRequest upstreamRequest = newUpstreamRequest(request, u, pathAndQuery);
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        for (Header h : upstreamRequest.getHeaders()) {
            headers.add(new AbstractMap.SimpleImmutableEntry<>(h.getName(), h.getValue()));
        }
        upgrades.relay(request, response, new UpgradeRelay.Handshake(uri, headers, u.config()));
    }

    /** The body producer, or {@code null} for a request without a body. */
    private RequestBody newRequestBody(HttpServletRequest request, ResponseRelay relay) throws IOException {
        long length = request.getContentLengthLong();
        boolean chunked = request.getHeader("Transfer-Encoding") != null;
        if (length <= 0 && !chunked) {
            return null;
        }
        return new RequestBody(request.getInputStream(), chunked ? -1 : length, relay::clientFailed, metrics);
    }

    // --- routes: the same stages towards a route's target --------------------------------------

    /**
     * Request attribute set when the client went away before its response was complete, so that
     * the audit line and the request metrics say so (status 499, as nginx logs it) instead of
     * the status Grafana answered.
     */
    public static final String CLIENT_GONE_ATTRIBUTE = "dev.grafanaproxy.proxy.ClientGone";

    /**
     * Request attribute a filter may set to an {@link AsyncListener} that must see the response
     * complete: the servlet registers it (and removes the attribute) when it goes async, before
     * the exchange with Grafana starts and so before anything can complete the request, and calls its {@code onComplete} itself when the
     * client went away, since Tomcat calls no listener after a client reset mid-upload. The
     * listener must therefore tolerate a second call.
     */
    public static final String COMPLETION_LISTENER_ATTRIBUTE = "dev.grafanaproxy.proxy.CompletionListener";

    /** Request attribute holding the {@link RouteTable.Compiled} route a request takes. */
    static final String ROUTE_ATTRIBUTE = "dev.grafanaproxy.proxy.Route";

    /**
     * A request on a route: checks the session, the origin, the method and {@code require}, then
     * forwards like any other request to the route's target with the route's credentials. Holds one
     * acquisition of {@code u}, released here on a refusal or by the exchange.
     */
    private void serviceRoute(HttpServletRequest request, HttpServletResponse response, Upstream u,
                              RouteTable.Compiled route) throws IOException {
        String method = request.getMethod();
        RouteSession session = request.getAttribute(RouteSession.ATTRIBUTE) instanceof RouteSession s ? s : null;
        String refusal = null;
        int status = HttpServletResponse.SC_FORBIDDEN;
        String missing;
        if (session == null) {
            status = HttpServletResponse.SC_UNAUTHORIZED;
            refusal = "route " + route.name() + " needs a signed-in session";
        } else if ((refusal = RouteTable.crossSiteRefusal(request)) != null) {
            refusal = "route " + route.name() + ": " + refusal;
        } else if (!route.allows(method)) {
            status = HttpServletResponse.SC_METHOD_NOT_ALLOWED;
            response.setHeader("Allow", String.join(", ", route.route.methods()));
            refusal = method + " is not allowed on route " + route.name();
        } else if (route.require != null && !route.require.test(session.claims())) {
            refusal = "route " + route.name() + " is not available to this user";
        } else if ((missing = route.missingPlaceholder(session.identity())) != null) {
            refusal = "route " + route.name() + " needs " + missing + ", which this session's identity does not have";
        }
        if (refusal != null) {
            u.release();
            LOG.info("{} {}: {} -> {}{}", method, request.getRequestURI(), refusal, status,
                    session == null ? "" : " (user " + session.identity().login() + ")");
            ErrorResponses.send(response, status, refusal);
            return;
        }
        request.setAttribute(ROUTE_ATTRIBUTE, route);
        String pathAndQuery = route.pathAndQuery(request, u, session.identity());
        String logTarget = method + " " + RequestPaths.mount(request) + RequestPaths.rawPathBelowMount(request)
                + " (route " + route.name() + ")";
        BasicHttpRequest upstreamRequest = newRouteRequest(request, u, route, session, pathAndQuery);

        AsyncContext async = startAsync(request);
        ResponseRelay relay = new ResponseRelay(this, u, request, response, async, logTarget,
                route.toGrafana() ? "Grafana" : "the target of route " + route.name());
        listen(request, async, relay);
        RequestBody body = newRequestBody(request, relay);
        AsyncEntityProducer entity = body;
        if (body == null && request.getContentLengthLong() == 0) {
            entity = EmptyEntity.INSTANCE;
        }
        new RouteExchange(u, route, upstreamRequest, entity, body, relay, async).start();
    }

    /**
     * The request to a route's target: the client's headers as for Grafana minus {@code Cookie} and
     * every header the route sets itself, the forwarded headers ({@code Host} only towards Grafana),
     * the identity headers only with {@code identity=true}, then the route's headers.
     */
    private BasicHttpRequest newRouteRequest(HttpServletRequest request, Upstream u, RouteTable.Compiled route,
                                             RouteSession session, String pathAndQuery) {
        BasicHttpRequest r = new BasicHttpRequest(request.getMethod(), route.toGrafana() ? u.target() : route.target,
                pathAndQuery);
        copyRequestHeaders(request, u, r);
        r.removeHeaders("Cookie");
        for (String name : route.route.headers().keySet()) {
            r.removeHeaders(name);
        }
        addForwardedHeaders(request, u, r);
        if (!route.toGrafana()) {
            r.removeHeaders("Host"); // another backend gets its own host name
        }
        if (route.route.identity()) {
            addIdentityHeaders(request, r);
        }
        route.headers(session.identity()).forEach(r::setHeader);
        return r;
    }

    /**
     * One request on a route, possibly sent twice: with client credentials, a 401 from the target on
     * a request without a body is retried once with a fresh token. The token may have to be fetched
     * first; then the exchange starts when it arrives, on a container thread.
     */
    private final class RouteExchange {
        private final Upstream u;
        private final RouteTable.Compiled route;
        private final BasicHttpRequest template;
        private final AsyncEntityProducer entity;
        private final RequestBody body;
        private final ResponseRelay relay;
        private final AsyncContext async;
        private String token;
        private boolean retried;

        RouteExchange(Upstream u, RouteTable.Compiled route, BasicHttpRequest template, AsyncEntityProducer entity,
                      RequestBody body, ResponseRelay relay, AsyncContext async) {
            this.u = u;
            this.route = route;
            this.template = template;
            this.entity = entity;
            this.body = body;
            this.relay = relay;
            this.async = async;
        }

        void start() {
            if (route.credentials == null) {
                send();
                startBody();
                return;
            }
            CompletableFuture<String> f = route.credentials.token(u.tokenTransport());
            if (f.isDone()) {
                if (withToken(f)) {
                    startBody();
                }
                return;
            }
            f.whenComplete((t, e) -> {
                try {
                    async.start(() -> {
                        if (withToken(f)) {
                            startBody();
                        }
                    });
                } catch (IllegalStateException gone) {
                    u.release(); // the client went away while the token was fetched
                }
            });
        }

        private void startBody() {
            if (body != null) {
                body.start();
            }
        }

        /** Sends with the token, or answers 502 without one; true when sent. Holds one acquisition. */
        private boolean withToken(CompletableFuture<String> f) {
            try {
                token = f.join();
            } catch (RuntimeException e) {
                Throwable c = e.getCause() == null ? e : e.getCause();
                String why = c instanceof ClientCredentials.TokenFailure ? c.getMessage() : "the token request failed";
                u.release();
                relay.refuse(HttpServletResponse.SC_BAD_GATEWAY,
                        "route " + route.name() + ": no access token from its token endpoint: " + why);
                return false;
            }
            send();
            return true;
        }

        private void send() {
            BasicHttpRequest request = template;
            if (token != null) {
                request = new BasicHttpRequest(template.getMethod(), template.getAuthority() == null ? null
                        : new org.apache.hc.core5.http.HttpHost(template.getScheme(), template.getAuthority()), template.getPath());
                request.setHeaders(template.getHeaders());
                request.setHeader("Authorization", "Bearer " + token);
            }
            boolean mayRetry = route.credentials != null && !retried && body == null;
            UpstreamExchange exchange = u.client().execute(new BasicRequestProducer(request, entity),
                    mayRetry ? new RetryOn401() : relay, u.releaseWhenDone());
            relay.upstream(exchange);
        }

        /** The first answer to a bodiless request: a 401 is swallowed and retried, anything else relayed. */
        private final class RetryOn401 implements AsyncResponseConsumer<Void> {
            private boolean discarding;
            private FutureCallback<Void> result;

            @Override
            public void consumeResponse(HttpResponse response, EntityDetails entityDetails, HttpContext context,
                                        FutureCallback<Void> resultCallback) throws HttpException, IOException {
                if (response.getCode() != HttpServletResponse.SC_UNAUTHORIZED) {
                    relay.consumeResponse(response, entityDetails, context, resultCallback);
                    return;
                }
                discarding = true;
                result = resultCallback;
                if (entityDetails == null) {
                    retry();
                }
            }

            @Override
            public void informationResponse(HttpResponse response, HttpContext context) {
                relay.informationResponse(response, context);
            }

            @Override
            public void updateCapacity(CapacityChannel channel) throws IOException {
                if (discarding) {
                    channel.update(Integer.MAX_VALUE);
                } else {
                    relay.updateCapacity(channel);
                }
            }

            @Override
            public void consume(ByteBuffer src) throws IOException {
                if (discarding) {
                    src.position(src.limit());
                } else {
                    relay.consume(src);
                }
            }

            @Override
            public void streamEnd(List<? extends Header> trailers) throws HttpException, IOException {
                if (discarding) {
                    retry();
                } else {
                    relay.streamEnd(trailers);
                }
            }

            @Override
            public void failed(Exception cause) {
                relay.failed(cause);
            }

            @Override
            public void releaseResources() {
                relay.releaseResources();
            }

            private void retry() {
                retried = true;
                boolean held = u.tryAcquire(); // while the first exchange still holds it: always succeeds
                result.completed(null); // the first exchange is over (and releases its acquisition)
                if (!held) {
                    relay.refuse(HttpServletResponse.SC_BAD_GATEWAY, "route " + route.name() + " was reconfigured");
                    return;
                }
                LOG.info("route {}: the target refused the access token (401), retrying once with a fresh one", route.name());
                route.credentials.invalidate(token);
                CompletableFuture<String> f = route.credentials.token(u.tokenTransport());
                f.whenComplete((t, e) -> withToken(f));
            }
        }
    }

    // --- stage 2: proxy to server request -------------------------------------------------------

    /** The raw path and query to request from Grafana, byte for byte what the client sent below the mount. */
    protected String upstreamPathAndQuery(HttpServletRequest request, Upstream u) {
        String below = RequestPaths.rawPathBelowMount(request);
        String path = u.config().stripPrefix() ? below : RequestPaths.mount(request) + below;
        String query = request.getQueryString();
        return u.basePath() + path + (query == null ? "" : "?" + query);
    }

    /** Builds the request to Grafana: method, raw target, headers. */
    protected BasicHttpRequest newUpstreamRequest(HttpServletRequest request, Upstream u, String pathAndQuery) {
        BasicHttpRequest upstreamRequest = new BasicHttpRequest(request.getMethod(), u.target(), pathAndQuery);
        copyRequestHeaders(request, u, upstreamRequest);
        addForwardedHeaders(request, u, upstreamRequest);
        addIdentityHeaders(request, upstreamRequest);
        return upstreamRequest;
    }

    /**
     * Copies the client's headers except hop-by-hop ones, those named in {@code Connection}, the
     * credentials and identity names the proxy owns, and the app's JWT cookie.
     */
    protected void copyRequestHeaders(HttpServletRequest request, Upstream u, BasicHttpRequest upstream) {
        HeaderRules headerRules = u.headerRules();
        Set<String> connectionTokens = HeaderRules.connectionTokens(request.getHeaders("Connection"));
        Enumeration<String> names = request.getHeaderNames();
        while (names.hasMoreElements()) {
            String name = names.nextElement();
            if (headerRules.dropFromRequest(name, connectionTokens)) {
                if (headerRules.isIdentityHeader(name)) {
                    LOG.debug("dropped client-sent identity header {}", name);
                }
                continue;
            }
            boolean cookie = name.equalsIgnoreCase("Cookie");
            Enumeration<String> values = request.getHeaders(name);
            while (values.hasMoreElements()) {
                String value = values.nextElement();
                if (cookie) {
                    value = headerRules.stripTokenCookie(value);
                    if (value == null) {
                        continue;
                    }
                }
                upstream.addHeader(name, value);
            }
        }
    }

    /** {@code Host} (the client's, unless {@code proxy.preserve_host=false}) and {@code X-Forwarded-*}. */
    protected void addForwardedHeaders(HttpServletRequest request, Upstream u, BasicHttpRequest upstream) {
        String clientHost = request.getHeader("Host");
        if (u.config().preserveHost() && clientHost != null) {
            upstream.setHeader("Host", clientHost);
        }
        StringBuilder forwardedFor = new StringBuilder();
        String last = null;
        Enumeration<String> prior = request.getHeaders("X-Forwarded-For");
        while (prior != null && prior.hasMoreElements()) {
            for (String hop : prior.nextElement().split(",")) {
                String v = hop.trim();
                if (!v.isEmpty()) {
                    forwardedFor.append(forwardedFor.length() == 0 ? "" : ", ").append(v);
                    last = v;
                }
            }
        }
        // a container that already resolved the client from X-Forwarded-For (Jetty's forwarded
        // module) reports that address as the remote one: don't list it twice
        String client = request.getRemoteAddr();
        if (!client.equals(last)) {
            forwardedFor.append(forwardedFor.length() == 0 ? "" : ", ").append(client);
        }
        upstream.setHeader("X-Forwarded-For", forwardedFor.toString());
        upstream.setHeader("X-Forwarded-Proto", request.getScheme());
        upstream.setHeader("X-Forwarded-Host", RequestPaths.publicAuthority(request));
    }

    /** The identity decided by the auth filter; nothing for public paths. */
    protected void addIdentityHeaders(HttpServletRequest request, BasicHttpRequest upstream) {
        IdentityHeaders identity = (IdentityHeaders) request.getAttribute(IdentityHeaders.REQUEST_ATTRIBUTE);
        for (IdentityHeaders.Header h : identity.headers()) {
            upstream.addHeader(h.name(), h.value());
        }
    }

    // --- stage 3: server to proxy response (headers) ------------------------------------------

    /**
     * Copies Grafana's status and headers to the client response, minus hop-by-hop ones, with
     * {@code Location} and cookie paths moved to the public URL under the mount.
     */
    protected void onServerResponseHeaders(HttpServletRequest request, HttpServletResponse response, Upstream u,
                                           HttpResponse upstream) {
        if (request.getAttribute(ROUTE_ATTRIBUTE) != null) {
            onRouteResponseHeaders(response, upstream);
            return;
        }
        ResponseRewriter rewriter = u.rewriter();
        response.setStatus(upstream.getCode());
        Set<String> connectionTokens = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        for (Header h : upstream.getHeaders("Connection")) {
            HeaderRules.addTokens(connectionTokens, h.getValue());
        }
        String mount = RequestPaths.mount(request);
        for (Header h : upstream.getHeaders()) {
            String name = h.getName();
            if (HeaderRules.dropFromResponse(name, connectionTokens)) {
                continue;
            }
            String value = h.getValue();
            if (name.equalsIgnoreCase("Location")) {
                value = rewriter.location(value, RequestPaths.publicOrigin(request), mount);
            } else if (name.equalsIgnoreCase("Set-Cookie")) {
                value = rewriter.setCookie(value, mount);
            }
            copyResponseHeader(response, name, value);
        }
    }

    /**
     * Adds one of Grafana's response headers. {@code Date} may appear once only, and Jetty has
     * already put its own on the response (Tomcat adds one only if none is set): Grafana's
     * replaces it, so the client sees when the answer was made.
     */
    private static void copyResponseHeader(HttpServletResponse response, String name, String value) {
        if (name.equalsIgnoreCase("Date")) {
            response.setHeader(name, value);
        } else {
            response.addHeader(name, value);
        }
    }

    /**
     * A route's answer: status and headers pass minus hop-by-hop ones and {@code Set-Cookie}; nothing
     * is rewritten. A backend reached with the route's credentials must not plant cookies on the
     * app's origin (a Grafana session of a service account would take over the user's next requests).
     */
    private void onRouteResponseHeaders(HttpServletResponse response, HttpResponse upstream) {
        response.setStatus(upstream.getCode());
        Set<String> connectionTokens = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        for (Header h : upstream.getHeaders("Connection")) {
            HeaderRules.addTokens(connectionTokens, h.getValue());
        }
        for (Header h : upstream.getHeaders()) {
            String name = h.getName();
            if (HeaderRules.dropFromResponse(name, connectionTokens) || name.equalsIgnoreCase("Set-Cookie")) {
                continue;
            }
            copyResponseHeader(response, name, h.getValue());
        }
    }
}
