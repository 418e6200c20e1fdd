package dev.grafanaproxy.proxy;

import dev.grafanaproxy.config.ConfigHolder;
import dev.grafanaproxy.config.ProxyConfig;
import dev.grafanaproxy.identity.IdentityHeaders;
import dev.grafanaproxy.metrics.ProxyMetrics;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.message.BasicHttpRequest;
import org.apache.hc.core5.http.nio.AsyncEntityProducer;
import org.apache.hc.core5.http.nio.support.BasicRequestProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Enumeration;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Future;

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
 * hands over the identity as an {@link IdentityHeaders} request attribute.
 */
public class ProxyServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ProxyServlet.class);

    private transient ProxyConfig initialConfig;
    private transient ConfigHolder holder;
    private transient ConfigHolder.Participant participant;
    private transient volatile Upstream upstream;
    private transient volatile boolean warnedNoFilter;
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
                Upstream prepared = new Upstream(next);
                return new ConfigHolder.Transition() {
                    @Override
                    public void commit() {
                        Upstream old = upstream;
                        upstream = prepared;
                        old.retire(); // running exchanges finish on the old client
                        logStart(prepared);
                    }

                    @Override
                    public void abort() {
                        prepared.close();
                    }
                };
            };
            holder.register(participant);
        }
        logStart(upstream);
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
        if (holder != null) {
            holder.unregister(participant);
        }
        if (upstream != null) {
            upstream.close();
        }
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
        String pathAndQuery = upstreamPathAndQuery(request, u);
        String logTarget = request.getMethod() + " " + RequestPaths.mount(request) + RequestPaths.rawPathBelowMount(request);

        AsyncContext async = request.startAsync();
        async.setTimeout(0); // Grafana's own timeouts apply; a long download must not be cut by the container

        BasicHttpRequest upstreamRequest = newUpstreamRequest(request, u, pathAndQuery);
        ResponseRelay relay = new ResponseRelay(this, u, request, response, async, logTarget);
        async.addListener(relay);

        RequestBody body = newRequestBody(request, relay);
        AsyncEntityProducer entity = body;
        if (body == null && request.getContentLengthLong() == 0) {
            entity = EmptyEntity.INSTANCE;
        }
        Upstream acquired = u;
        Future<Void> exchange = u.client().execute(new BasicRequestProducer(upstreamRequest, entity), relay,
                new FutureCallback<>() {
                    @Override
                    public void completed(Void result) {
                        acquired.release();
                    }

                    @Override
                    public void failed(Exception ex) {
                        acquired.release();
                    }

                    @Override
                    public void cancelled() {
                        acquired.release();
                    }
                });
        relay.upstream(exchange);
        if (body != null) {
            body.start();
        }
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
            response.addHeader(name, value);
        }
    }
}
