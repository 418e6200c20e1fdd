package dev.grafanaproxy.proxy;

import dev.grafanaproxy.config.ConfigKey;
import dev.grafanaproxy.config.Durations;
import dev.grafanaproxy.config.ProxyConfig;
import dev.grafanaproxy.identity.IdentityHeaders;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.message.BasicHttpRequest;
import org.apache.hc.core5.http.nio.AsyncEntityProducer;
import org.apache.hc.core5.http.nio.support.BasicRequestProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
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
 *   <li>proxy to server request: {@link #upstreamUri}, {@link #newUpstreamRequest},
 *       {@link #copyRequestHeaders}, {@link #addForwardedHeaders}, {@link #addIdentityHeaders}</li>
 *   <li>server to proxy response and proxy to client response: {@link #onServerResponseHeaders},
 *       then the body relay in {@link ResponseRelay}</li>
 * </ol>
 * Configuration comes from {@link ProxyConfig} (see {@link ProxyConfigHolder}); the auth filter in
 * front hands over the identity as an {@link IdentityHeaders} request attribute.
 */
public class ProxyServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ProxyServlet.class);

    private transient ProxyConfig config;
    private transient HeaderRules headerRules;
    private transient ResponseRewriter rewriter;
    private transient UpstreamClient client;
    private transient HttpHost target;
    private transient String targetBasePath;
    private transient String responseTimeoutText;
    private transient volatile boolean warnedNoFilter;

    public ProxyServlet() {
    }

    /** For programmatic registration with an already built configuration. */
    public ProxyServlet(ProxyConfig config) {
        this.config = config;
    }

    @Override
    public void init() throws ServletException {
        if (config == null) {
            config = ProxyConfigHolder.obtain(getServletContext(), getServletConfig()::getInitParameter);
        }
        headerRules = new HeaderRules(config);
        rewriter = new ResponseRewriter(config);
        URI base = config.grafanaUrl();
        target = new HttpHost(base.getScheme(), base.getHost(), base.getPort());
        targetBasePath = base.getRawPath() == null ? "" : base.getRawPath();
        responseTimeoutText = config.raw(ConfigKey.PROXY_RESPONSE_TIMEOUT) == null
                ? Durations.format(config.responseTimeout()) : config.raw(ConfigKey.PROXY_RESPONSE_TIMEOUT);
        client = new UpstreamClient(config);
        LOG.info("grafana-proxy forwarding to {} (strip_prefix={}, preserve_host={}, max_connections={})",
                base, config.stripPrefix(), config.preserveHost(), config.maxConnections());
    }

    @Override
    public void destroy() {
        if (client != null) {
            client.close();
        }
    }

    protected final ProxyConfig config() {
        return config;
    }

    final String responseTimeoutText() {
        return responseTimeoutText;
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
        String pathAndQuery = upstreamPathAndQuery(request);
        String logTarget = request.getMethod() + " " + RequestPaths.mount(request) + RequestPaths.rawPathBelowMount(request);

        AsyncContext async = request.startAsync();
        async.setTimeout(0); // Grafana's own timeouts apply; a long download must not be cut by the container

        BasicHttpRequest upstreamRequest = newUpstreamRequest(request, pathAndQuery);
        ResponseRelay relay = new ResponseRelay(this, request, response, async, logTarget);
        async.addListener(relay);

        RequestBody body = newRequestBody(request, relay);
        AsyncEntityProducer entity = body;
        if (body == null && request.getContentLengthLong() == 0) {
            entity = EmptyEntity.INSTANCE;
        }
        Future<Void> exchange = client.execute(new BasicRequestProducer(upstreamRequest, entity), relay, null);
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
        return new RequestBody(request.getInputStream(), chunked ? -1 : length, relay::clientFailed);
    }

    // --- stage 2: proxy to server request -------------------------------------------------------

    /** The raw path and query to request from Grafana, byte for byte what the client sent below the mount. */
    protected String upstreamPathAndQuery(HttpServletRequest request) {
        String below = RequestPaths.rawPathBelowMount(request);
        String path = config.stripPrefix() ? below : RequestPaths.mount(request) + below;
        String query = request.getQueryString();
        return targetBasePath + path + (query == null ? "" : "?" + query);
    }

    /** The full upstream URI, for logs and subclasses. */
    protected String upstreamUri(HttpServletRequest request) {
        return target.toURI() + upstreamPathAndQuery(request);
    }

    /** Builds the request to Grafana: method, raw target, headers. */
    protected BasicHttpRequest newUpstreamRequest(HttpServletRequest request, String pathAndQuery) {
        BasicHttpRequest upstream = new BasicHttpRequest(request.getMethod(), target, pathAndQuery);
        copyRequestHeaders(request, upstream);
        addForwardedHeaders(request, upstream);
        addIdentityHeaders(request, upstream);
        return upstream;
    }

    /**
     * Copies the client's headers except hop-by-hop ones, those named in {@code Connection}, the
     * credentials and identity names the proxy owns, and the app's JWT cookie.
     */
    protected void copyRequestHeaders(HttpServletRequest request, BasicHttpRequest upstream) {
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
    protected void addForwardedHeaders(HttpServletRequest request, BasicHttpRequest upstream) {
        String clientHost = request.getHeader("Host");
        if (config.preserveHost() && clientHost != null) {
            upstream.setHeader("Host", clientHost);
        }
        StringBuilder forwardedFor = new StringBuilder();
        Enumeration<String> prior = request.getHeaders("X-Forwarded-For");
        while (prior != null && prior.hasMoreElements()) {
            String v = prior.nextElement().trim();
            if (!v.isEmpty()) {
                forwardedFor.append(v).append(", ");
            }
        }
        forwardedFor.append(request.getRemoteAddr());
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
    protected void onServerResponseHeaders(HttpServletRequest request, HttpServletResponse response, HttpResponse upstream) {
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
