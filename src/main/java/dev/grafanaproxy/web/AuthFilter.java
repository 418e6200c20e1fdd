package dev.grafanaproxy.web;

import dev.grafanaproxy.config.ConfigException;
import dev.grafanaproxy.config.ConfigHolder;
import dev.grafanaproxy.config.ProxyConfig;
import dev.grafanaproxy.identity.Identity;
import dev.grafanaproxy.identity.IdentityHeaders;
import dev.grafanaproxy.identity.IdentityRejectedException;
import dev.grafanaproxy.metrics.ProxyMetrics;
import dev.grafanaproxy.proxy.ProxyConfigHolder;
import dev.grafanaproxy.proxy.ProxyMetricsHolder;
import dev.grafanaproxy.proxy.ProxyServlet;
import dev.grafanaproxy.proxy.RequestPaths;
import dev.grafanaproxy.proxy.RouteSession;
import dev.grafanaproxy.token.ExtractedToken;
import dev.grafanaproxy.token.TokenExtractor;
import dev.grafanaproxy.token.TokenRejectedException;
import dev.grafanaproxy.token.VerifiedToken;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Decides who may pass to Grafana. The proxy's own endpoints (health, and the JWKS of the keys that
 * sign tokens for Grafana, {@link JwksEndpoint}) are answered here and never forwarded. Public paths
 * pass with no identity. Every other request needs
 * the app's session JWT (cookie first, then {@code Authorization: Bearer}, then, with
 * {@code jwt.url_login}, a one-time {@code ?auth_token=}); it is verified, its claims are mapped to
 * a Grafana identity, and the {@link dev.grafanaproxy.identity.IdentityWriter} the configuration
 * chose (proxy headers, a minted JWT or the forwarded app JWT) renders it as headers, stored as an
 * {@link IdentityHeaders} request attribute, which the proxy writes onto the upstream request after
 * removing every client-sent header of those names. Anything else is answered here: 302 to the
 * login page, 401 or 403. The reason for a refusal is logged once, at INFO, with the subject when
 * known, never the token.
 */
public class AuthFilter implements Filter {
    private static final Logger LOG = LoggerFactory.getLogger(AuthFilter.class);
    /** What the audit log and the metrics record for a client that went away mid-response (nginx's code). */
    static final int CLIENT_CLOSED_REQUEST = 499;

    private ProxyConfig initialConfig;
    private ConfigHolder holder;
    private ConfigHolder.Participant participant;
    private volatile AuthPolicy policy;
    private final HealthCheck health = new HealthCheck();
    private ProxyMetrics metrics = ProxyMetrics.NONE;
    /** One per filter, across reloads: its thread starts with the first audit line and ends in {@link #destroy()}. */
    private final AuditWriter auditWriter = new AuditWriter();

    public AuthFilter() {
    }

    /** For programmatic registration with an already built configuration (no reloading). */
    public AuthFilter(ProxyConfig config) {
        this.initialConfig = config;
    }

    @Override
    public void init(FilterConfig filterConfig) {
        metrics = ProxyMetricsHolder.of(filterConfig.getServletContext());
        metrics.keyGauges(() -> policy.verifier.keySourceStatus().fetches(),
                () -> policy.verifier.keySourceStatus().failures(),
                () -> policy.verifier.keySourceStatus().keys());
        metrics.auditDropped(auditWriter::dropped);
        try {
            if (initialConfig != null) {
                policy = new AuthPolicy(initialConfig, null, auditWriter);
                return;
            }
            holder = ProxyConfigHolder.obtain(filterConfig.getServletContext(), filterConfig::getInitParameter);
            policy = new AuthPolicy(holder.current(), null, auditWriter);
        } catch (ConfigException e) {
            // key files and expressions are checked here, after the listener: report them the same way
            String context = filterConfig.getServletContext().getContextPath();
            LOG.error("grafana-proxy configuration error, {} will not start: {}", context.isEmpty() ? "/" : context,
                    e.getMessage());
            throw e;
        }
        participant = next -> {
            // the identity writer carries over what must outlive a reload (the Grafana signing keys)
            AuthPolicy prepared = new AuthPolicy(next, policy, auditWriter);
            return ConfigHolder.Transition.of(() -> {
                AuthPolicy old = policy;
                policy = prepared;
                // requests already past verification hold their identity; the old JWKS cache may go
                old.close();
            }, prepared::close);
        };
        holder.register(participant);
    }

    @Override
    public void destroy() {
        if (holder != null) {
            holder.unregister(participant);
        }
        if (policy != null) {
            policy.close();
        }
        // writes what is queued; its thread has ended when this returns, before the web app's listeners run
        auditWriter.close();
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain) throws IOException, ServletException {
        HttpServletRequest request = (HttpServletRequest) req;
        HttpServletResponse response = (HttpServletResponse) res;
        long start = System.nanoTime();
        AuthPolicy policy = this.policy;
        String path = RequestPaths.pathBelowMount(request);
        String healthPath = policy.config.healthPath();
        if (healthPath != null && healthPath.equals(path)) {
            health.answer(policy, holder == null ? 0 : holder.generation(), RequestPaths.mount(request), response);
            return;
        }
        if (JwksEndpoint.matches(path)) {
            policy.jwks.answer(request, response);
            return;
        }
        String metricsPath = policy.config.metricsPath();
        if (metricsPath != null && metricsPath.equals(path)) {
            PrometheusEndpoint.answer(policy.config, metrics, request, response);
            return;
        }
        countSpoofing(policy, request);
        // a route always needs a session, even under a public path: it adds server-side credentials
        if (policy.publicPaths.matches(path) && policy.config.routes().match(path) == null) {
            metrics.auth("public", null);
            forward(policy, request, response, chain, IdentityHeaders.NONE, null, start);
            return;
        }
        if (policy.config.urlLogin()) {
            String queryToken = TokenExtractor.queryToken(request.getQueryString());
            if (queryToken != null) {
                exchangeUrlToken(policy, request, response, queryToken, start);
                return;
            }
        }
        Optional<ExtractedToken> found = policy.extractor.extract(new ServletRequestView(request));
        if (found.isEmpty()) {
            // audit first: once the answer is sent the client may act on it
            int status = policy.answers.unauthenticatedStatus(request);
            policy.audit.refused(request, "rejected", "no token", null, status);
            metrics.auth("no_token", null);
            metrics.request(request.getMethod(), status, System.nanoTime() - start);
            policy.answers.unauthenticated(request, response, "authentication required", false);
            return;
        }
        VerifiedToken token = verify(policy, request, response, found.get().token(), start);
        if (token == null) {
            return;
        }
        Identity identity = identity(policy, request, response, token, start);
        if (identity == null) {
            return;
        }
        metrics.auth("valid", null);
        request.setAttribute(RouteSession.ATTRIBUTE, new RouteSession(identity, token.claims()));
        forward(policy, request, response, chain, policy.writer.write(identity, token), identity, start);
    }

    /** Counts requests that carry identity headers of their own; the proxy strips them either way. */
    private void countSpoofing(AuthPolicy policy, HttpServletRequest request) {
        if (metrics == ProxyMetrics.NONE) {
            return;
        }
        for (String name : policy.identityHeaderNames) {
            if (request.getHeader(name) != null) {
                metrics.spoofAttempt();
                return;
            }
        }
    }

    /**
     * Hands the request on with its identity; once the response is complete, writes the audit line
     * and times the request.
     */
    private void forward(AuthPolicy policy, HttpServletRequest request, HttpServletResponse response, FilterChain chain,
                         IdentityHeaders headers, Identity identity, long start) throws IOException, ServletException {
        request.setAttribute(IdentityHeaders.REQUEST_ATTRIBUTE, headers);
        boolean audited = policy.audit.sampled();
        if (!audited && metrics == ProxyMetrics.NONE) {
            chain.doFilter(request, response);
            return;
        }
        String fields = audited ? policy.audit.describe(request) : null;
        String method = request.getMethod();
        ProxyMetrics metrics = this.metrics;
        Runnable done = () -> {
            boolean gone;
            int status;
            try {
                gone = request.getAttribute(ProxyServlet.CLIENT_GONE_ATTRIBUTE) != null;
                status = gone ? CLIENT_CLOSED_REQUEST : response.getStatus();
            } catch (RuntimeException recycled) {
                // Tomcat may recycle the request of a connection that failed before the listeners
                // run: only a client that went away leaves it so
                gone = true;
                status = CLIENT_CLOSED_REQUEST;
            }
            if (audited) {
                policy.audit.forwarded(fields, gone ? "client_gone" : "ok", identity, status, start);
            }
            metrics.request(method, status, System.nanoTime() - start);
        };
        OnceComplete completion = new OnceComplete(done);
        // the proxy registers it right after startAsync: added here after doFilter, it could miss a
        // request that a client reset completed meanwhile (seen on Tomcat under aborted uploads)
        request.setAttribute(ProxyServlet.COMPLETION_LISTENER_ATTRIBUTE, completion);
        try {
            chain.doFilter(request, response);
        } finally {
            boolean registered = request.getAttribute(ProxyServlet.COMPLETION_LISTENER_ATTRIBUTE) == null;
            request.removeAttribute(ProxyServlet.COMPLETION_LISTENER_ATTRIBUTE);
            if (request.isAsyncStarted()) {
                if (!registered) {
                    request.getAsyncContext().addListener(completion);
                }
            } else {
                completion.run();
            }
        }
    }

    /** Runs the end-of-request bookkeeping once: when the async response completes, or at once. */
    private static final class OnceComplete implements AsyncListener, Runnable {
        private final Runnable done;
        private final AtomicBoolean ran = new AtomicBoolean();

        OnceComplete(Runnable done) {
            this.done = done;
        }

        @Override
        public void run() {
            if (ran.compareAndSet(false, true)) {
                done.run();
            }
        }

        @Override
        public void onComplete(AsyncEvent event) {
            run();
        }

        @Override
        public void onTimeout(AsyncEvent event) {
        }

        /**
         * An I/O error on the client's connection, reported by the container: the client went away,
         * and the request ends here (whether or not {@link #onComplete} follows).
         */
        @Override
        public void onError(AsyncEvent event) {
            try {
                event.getSuppliedRequest().setAttribute(ProxyServlet.CLIENT_GONE_ATTRIBUTE, Boolean.TRUE);
            } catch (RuntimeException recycled) {
                // nothing to mark any more
            }
            run();
        }

        @Override
        public void onStartAsync(AsyncEvent event) {
        }
    }

    /** The verified token, or {@code null} after answering the refusal. */
    private VerifiedToken verify(AuthPolicy policy, HttpServletRequest request, HttpServletResponse response,
                                 String token, long start) throws IOException {
        try {
            return policy.verifier.verify(token);
        } catch (TokenRejectedException e) {
            int status = policy.answers.unauthenticatedStatus(request);
            policy.audit.refused(request, "rejected", e.reason().description(), e.subject(), status);
            metrics.auth("rejected", e.reason().name());
            metrics.request(request.getMethod(), status, System.nanoTime() - start);
            policy.answers.unauthenticated(request, response, e.reason().description(), true);
            return null;
        }
    }

    /** The identity, or {@code null} after answering 403: never forward a half-cleaned identity. */
    private Identity identity(AuthPolicy policy, HttpServletRequest request, HttpServletResponse response,
                              VerifiedToken token, long start) {
        try {
            return policy.mapper.map(token.claims());
        } catch (IdentityRejectedException e) {
            policy.audit.refused(request, "forbidden", e.getMessage(), token.subject(), HttpServletResponse.SC_FORBIDDEN);
            metrics.auth("forbidden", e.reason().name());
            metrics.request(request.getMethod(), HttpServletResponse.SC_FORBIDDEN, System.nanoTime() - start);
            policy.answers.forbidden(response, "no usable Grafana identity in the session: " + e.getMessage());
            return null;
        }
    }

    /**
     * {@code ?auth_token=} with {@code jwt.url_login}: verify it, store it as the session cookie and
     * send the browser to the same URL without the token, so it never reaches Grafana, the address
     * bar or a bookmark.
     */
    private void exchangeUrlToken(AuthPolicy policy, HttpServletRequest request, HttpServletResponse response,
                                  String rawToken, long start) throws IOException {
        VerifiedToken token = verify(policy, request, response, rawToken, start);
        if (token == null || identity(policy, request, response, token, start) == null) {
            return;
        }
        long maxAge = Math.max(0, Duration.between(Instant.now(), token.expiresAt()).getSeconds());
        StringBuilder cookie = new StringBuilder(policy.config.cookieName()).append('=').append(token.compact())
                .append("; Max-Age=").append(maxAge)
                .append("; Path=").append(RequestPaths.mount(request).isEmpty() ? "/" : RequestPaths.mount(request))
                .append("; HttpOnly; SameSite=Lax");
        if (request.isSecure()) {
            cookie.append("; Secure");
        }
        response.setHeader("Cache-Control", "no-store");
        response.addHeader("Set-Cookie", cookie.toString());
        response.setStatus(HttpServletResponse.SC_SEE_OTHER);
        response.setHeader("Location", AuthAnswers.publicUrl(request));
        response.setContentLength(0);
        LOG.info("{} {}: url_login token exchanged for a session cookie (sub={})", request.getMethod(),
                request.getRequestURI(), token.subject());
    }
}
