package dev.grafanaproxy.proxy;

import dev.grafanaproxy.config.ConfigKey;
import dev.grafanaproxy.config.Durations;
import dev.grafanaproxy.config.ProxyConfig;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.HttpHost;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Everything the proxy derives from one configuration: where Grafana is, the header rules, the
 * response rewriter and the HTTP client. A request takes the snapshot current when it starts and
 * keeps it to the end, so a reload never changes the rules under a running exchange. A replaced
 * snapshot is retired: its client closes once its last exchange has finished.
 */
public final class Upstream {
    private static final Logger LOG = LoggerFactory.getLogger(Upstream.class);

    private final ProxyConfig config;
    private final HeaderRules headerRules;
    private final ResponseRewriter rewriter;
    private final HttpHost target;
    private final String basePath;
    private final String responseTimeoutText;
    private final UpstreamClient client;
    private final RouteTable routes;
    private final ClientCredentials.Transport tokenTransport;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean retired;
    private boolean closed;

    Upstream(ProxyConfig config) {
        this(config, null);
    }

    /**
     * @param previous the snapshot this one replaces (its routes' token caches carry over), or {@code null}
     * @throws dev.grafanaproxy.config.ConfigException when a route's {@code require} does not compile
     */
    Upstream(ProxyConfig config, Upstream previous) {
        this.config = config;
        this.routes = RouteTable.of(config, previous == null ? null : previous.routes);
        this.headerRules = new HeaderRules(config);
        this.rewriter = new ResponseRewriter(config);
        URI base = config.grafanaUrl();
        this.target = new HttpHost(base.getScheme(), base.getHost(), base.getPort());
        this.basePath = base.getRawPath() == null ? "" : base.getRawPath();
        String raw = config.raw(ConfigKey.PROXY_RESPONSE_TIMEOUT);
        this.responseTimeoutText = raw == null ? Durations.format(config.responseTimeout()) : raw.trim();
        this.client = new UpstreamClient(config);
        this.tokenTransport = ClientCredentials.over(client);
    }

    /** The routes of this configuration. */
    RouteTable routes() {
        return routes;
    }

    /** Token requests go through this snapshot's client: no thread of their own. */
    ClientCredentials.Transport tokenTransport() {
        return tokenTransport;
    }

    public ProxyConfig config() {
        return config;
    }

    public HeaderRules headerRules() {
        return headerRules;
    }

    public ResponseRewriter rewriter() {
        return rewriter;
    }

    HttpHost target() {
        return target;
    }

    /** The raw path of {@code grafana.url} (without trailing slash), prefixed to every request. */
    String basePath() {
        return basePath;
    }

    String responseTimeoutText() {
        return responseTimeoutText;
    }

    UpstreamClient client() {
        return client;
    }

    /**
     * Counts an exchange in, unless this snapshot was retired and has closed (count -1), in which
     * case the caller takes the current snapshot instead.
     */
    boolean tryAcquire() {
        while (true) {
            int n = inFlight.get();
            if (n < 0) {
                return false;
            }
            if (inFlight.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    void release() {
        if (inFlight.decrementAndGet() == 0 && retired && inFlight.compareAndSet(0, -1)) {
            closeInBackground();
        }
    }

    /** The exchange callback that counts an exchange out again however it ends. */
    FutureCallback<Void> releaseWhenDone() {
        return new FutureCallback<>() {
            @Override
            public void completed(Void result) {
                release();
            }

            @Override
            public void failed(Exception ex) {
                release();
            }

            @Override
            public void cancelled() {
                release();
            }
        };
    }

    /** Replaced by a newer snapshot: close once idle. */
    void retire() {
        retired = true;
        if (inFlight.compareAndSet(0, -1)) {
            closeInBackground();
        }
    }

    /** Closes now, whatever is in flight (undeploy). */
    synchronized void close() {
        if (!closed) {
            closed = true;
            client.close();
        }
    }

    private void closeInBackground() {
        // never on the client's own I/O thread: closing waits for those threads to end
        Thread t = new Thread(() -> {
            close();
            LOG.debug("retired upstream client for {} closed", config.grafanaUrl());
        }, "grafana-proxy-retire");
        t.setDaemon(true);
        t.start();
    }
}
