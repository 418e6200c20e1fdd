package dev.grafanaproxy.token;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.JWKSetCacheRefreshEvaluator;
import com.nimbusds.jose.jwk.source.JWKSetSource;
import com.nimbusds.jose.jwk.source.JWKSetUnavailableException;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.jwk.source.RateLimitedJWKSetSource;
import com.nimbusds.jose.jwk.source.URLBasedJWKSetSource;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import dev.grafanaproxy.config.ConfigException;
import dev.grafanaproxy.config.ConfigKey;
import dev.grafanaproxy.config.Durations;
import dev.grafanaproxy.config.ProxyConfig;
import java.io.Closeable;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code jwt.jwk_set_url}: keys from a JWKS endpoint, assembled from Nimbus' JWK set sources. From
 * the network up:
 * <ol>
 * <li>{@link URLBasedJWKSetSource} with a {@link DefaultResourceRetriever} that has its own connect and
 * read timeouts (each {@code proxy.connect_timeout}), a {@value #SIZE_LIMIT}-byte limit, and drops the
 * connection after use (a JWKS is fetched rarely, and an idle keep-alive connection would start the
 * JDK's keep-alive thread inside the web app);</li>
 * <li>{@link RateLimitedJWKSetSource}: at most two fetches per rate-limit interval, so a flood of
 * tokens with made-up {@code kid}s cannot hammer the endpoint;</li>
 * <li>{@link OutageTolerance}: when a fetch fails (or is rate-limited), the keys of the last good
 * fetch are served instead, for one {@code jwt.cache_ttl} counted from the first failure;</li>
 * <li>Nimbus' refresh-ahead cache ({@link JWKSourceBuilder}): keys live for {@code jwt.cache_ttl}, are
 * refreshed in the background shortly before they expire, and a token whose {@code kid} is not in
 * the cache triggers a refetch, which is how rotated keys are picked up without a restart.</li>
 * </ol>
 * The cache re-stores what the outage layer serves with a fresh lifetime, so during an outage the
 * last keys stay usable for at least one and at most two {@code jwt.cache_ttl}s after the first failed
 * fetch; then tokens are rejected with {@code KEY_SOURCE_UNAVAILABLE} until the endpoint answers.
 *
 * <p>The only thread is the background refresh: a single daemon thread that exists only while a
 * refresh runs (it ends after a few idle seconds) and is stopped by {@link #close()}.
 */
final class JwksKeySource implements KeySource {
    private static final Logger LOG = LoggerFactory.getLogger(JwksKeySource.class);

    /** Largest JWKS body read; real ones are a few KB, a chain-carrying one some tens. */
    static final int SIZE_LIMIT = 256 * 1024;

    /** Name of the background refresh thread (tests look for it). */
    static final String THREAD_NAME = "grafana-proxy-jwks-refresh";

    /**
     * Timings, derived from the configuration by {@link #from(ProxyConfig)}; tests shorten them.
     *
     * @param cacheTtl    how long fetched keys are used before a refresh
     * @param httpTimeout connect timeout and, separately, read timeout of one fetch
     * @param rateLimit   the interval in which at most two fetches happen
     */
    record Settings(Duration cacheTtl, Duration httpTimeout, Duration rateLimit) {

        static Settings from(ProxyConfig config) {
            Duration ttl = config.cacheTtl();
            return new Settings(ttl, config.connectTimeout(), min(Duration.ofSeconds(30), ttl.dividedBy(2)));
        }

        /** Background refresh starts this long before expiry. */
        Duration refreshAhead() {
            return min(Duration.ofSeconds(30), cacheTtl.dividedBy(4));
        }

        /** How long requests wait for another thread's refresh: one fetch, bounded by what Nimbus allows. */
        Duration refreshTimeout() {
            return min(httpTimeout.multipliedBy(2).plusSeconds(1), cacheTtl.minus(refreshAhead()));
        }

        private static Duration min(Duration a, Duration b) {
            return a.compareTo(b) <= 0 ? a : b;
        }
    }

    private final String where;
    private final Settings settings;
    private final ThreadPoolExecutor refreshExecutor;
    private final JWKSource<SecurityContext> source;
    private final OutageTolerance tolerant;
    private final AtomicBoolean closed = new AtomicBoolean();

    JwksKeySource(URI uri, Settings settings) {
        URL url;
        try {
            url = uri.toURL();
        } catch (MalformedURLException | IllegalArgumentException e) {
            throw new ConfigException(ConfigKey.JWT_JWK_SET_URL.key(), "\"" + uri + "\" is not a usable URL");
        }
        this.where = redacted(uri);
        this.settings = settings;
        int timeout = (int) Math.min(Integer.MAX_VALUE, Math.max(1, settings.httpTimeout().toMillis()));
        DefaultResourceRetriever retriever = new DefaultResourceRetriever(timeout, timeout, SIZE_LIMIT, true);

        JWKSetSource<SecurityContext> fetch = new URLBasedJWKSetSource<>(url, retriever);
        JWKSetSource<SecurityContext> limited = new RateLimitedJWKSetSource<>(fetch, settings.rateLimit().toMillis(), null);
        this.tolerant = new OutageTolerance(limited, settings.cacheTtl().toMillis(), where, uri.toString());

        // core size 0: the thread exists only while there is refresh work, so an idle proxy holds none
        this.refreshExecutor = new ThreadPoolExecutor(0, 1, 5, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, THREAD_NAME);
            t.setDaemon(true);
            return t;
        });
        this.source = JWKSourceBuilder.create(tolerant)
                .rateLimited(false) // done above, below the outage layer, so a refused refetch falls back to the last keys
                .outageTolerant(false) // ditto: OutageTolerance counts from the first failure, not the last success
                .cache(settings.cacheTtl().toMillis(), settings.refreshTimeout().toMillis())
                .refreshAheadCache(settings.refreshAhead().toMillis(), null, refreshExecutor, true, null, false)
                .build();
    }

    static JwksKeySource from(ProxyConfig config) {
        return new JwksKeySource(config.jwkSetUrl(), Settings.from(config));
    }

    @Override
    public ConfigKey configKey() {
        return ConfigKey.JWT_JWK_SET_URL;
    }

    /** Unknown until fetched, so every asymmetric algorithm; the selector matches keys by type and curve. */
    @Override
    public Set<JWSAlgorithm> algorithms() {
        return Algorithms.ASYMMETRIC;
    }

    @Override
    public JWSKeySelector<SecurityContext> keySelector(Set<JWSAlgorithm> allowed) {
        return new JwkSetKeySelector(allowed, source);
    }

    /**
     * The keys' state. Asks the cache first, as a token would: that fetches when nothing was fetched
     * yet or the cached keys expired (bounded by the fetch timeouts and the rate limit), so an outage
     * shows here even while no tokens arrive, and a cached answer costs nothing.
     */
    @Override
    public KeySourceStatus status() {
        if (!closed.get()) {
            try {
                source.get(new JWKSelector(new JWKMatcher.Builder().build()), null);
            } catch (KeySourceException | RuntimeException e) {
                // reported below as not usable
            }
        }
        JWKSet last = tolerant.lastGood;
        long since = tolerant.outageSince;
        boolean usable = last != null && !tolerant.gaveUp;
        String outcome = last == null ? "no keys fetched yet"
                : tolerant.gaveUp ? "fetch failing since " + Instant.ofEpochMilli(since) + ", cached keys expired"
                : since >= 0 ? "fetch failing since " + Instant.ofEpochMilli(since) + ", serving cached keys"
                : "ok";
        return new KeySourceStatus(configKey().key(), usable, last == null ? null : Instant.ofEpochMilli(tolerant.lastGoodAt),
                outcome, last == null ? 0 : last.size(), tolerant.fetches.get(), tolerant.failures.get());
    }

    boolean isClosed() {
        return closed.get();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            ((Closeable) source).close(); // Nimbus shuts the refresh executor down and waits for it
        } catch (IOException e) {
            LOG.debug("closing the JWKS source for {}", where, e);
        }
        refreshExecutor.shutdownNow();
        try {
            // a fetch blocked in socket I/O ignores interrupts; it ends within its own timeouts
            refreshExecutor.awaitTermination(settings.httpTimeout().multipliedBy(2).toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "JwksKeySource[" + where + ", cache_ttl=" + Durations.format(settings.cacheTtl()) + "]";
    }

    /** The URL for logs: no user info, no query (either could hold a credential). */
    private static String redacted(URI uri) {
        return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort())
                + (uri.getRawPath() == null ? "" : uri.getRawPath());
    }

    /**
     * Serves the last successfully fetched keys when a fetch fails, for one cache lifetime counted from
     * the first failure (Nimbus' own outage layer counts from the last success, which gives nothing
     * to a proxy that was idle for longer than that when the endpoint went down). A rate-limited
     * refetch is answered the same way, without starting the outage clock. Calls arrive under the
     * cache's refresh lock, one at a time.
     */
    static final class OutageTolerance implements JWKSetSource<SecurityContext> {
        private final JWKSetSource<SecurityContext> inner;
        private final long ttlMillis;
        private final String where;
        private final String fullUrl;
        private volatile JWKSet lastGood;
        private volatile long lastGoodAt;
        private volatile long outageSince = -1;
        private volatile boolean gaveUp;
        final java.util.concurrent.atomic.AtomicLong fetches = new java.util.concurrent.atomic.AtomicLong();
        final java.util.concurrent.atomic.AtomicLong failures = new java.util.concurrent.atomic.AtomicLong();

        OutageTolerance(JWKSetSource<SecurityContext> inner, long ttlMillis, String where, String fullUrl) {
            this.inner = inner;
            this.ttlMillis = ttlMillis;
            this.where = where;
            this.fullUrl = fullUrl;
        }

        /** The failure for a log line; the JDK quotes the whole URL, whose query might hold a credential. */
        private String describe(Exception e) {
            return String.valueOf(e.getMessage()).replace(fullUrl, where);
        }

        @Override
        public JWKSet getJWKSet(JWKSetCacheRefreshEvaluator evaluator, long now, SecurityContext context)
                throws KeySourceException {
            JWKSet fetched;
            try {
                fetched = inner.getJWKSet(evaluator, now, context);
            } catch (KeySourceException e) {
                if (!(e instanceof RateLimitReachedException)) {
                    failures.incrementAndGet();
                }
                return fallback(evaluator, now, e);
            }
            fetches.incrementAndGet();
            if (outageSince >= 0) {
                LOG.info("JWKS {} answers again ({} keys)", where, fetched.size());
            } else {
                LOG.debug("JWKS {} fetched ({} keys)", where, fetched.size());
            }
            lastGood = fetched;
            lastGoodAt = System.currentTimeMillis();
            outageSince = -1;
            gaveUp = false;
            return fetched;
        }

        private JWKSet fallback(JWKSetCacheRefreshEvaluator evaluator, long now, KeySourceException e)
                throws KeySourceException {
            JWKSet last = lastGood;
            boolean rateLimited = e instanceof RateLimitReachedException;
            if (last == null) {
                if (rateLimited) {
                    // no keys at all is an unavailable key source, not an unknown key
                    throw new JWKSetUnavailableException("JWKS not fetched yet; refetch rate-limited");
                }
                LOG.warn("JWKS {} cannot be fetched and no keys were fetched before: {}", where, describe(e));
                throw e;
            }
            if (!rateLimited && outageSince < 0) {
                outageSince = now;
                LOG.warn("JWKS {} cannot be fetched ({}); the {} keys fetched at {} stay in use for up to {}",
                        where, describe(e), last.size(), Instant.ofEpochMilli(lastGoodAt), Durations.format(Duration.ofMillis(ttlMillis)));
            }
            if (outageSince >= 0 && now - outageSince >= ttlMillis) {
                if (!gaveUp) {
                    gaveUp = true;
                    LOG.warn("JWKS {} still cannot be fetched; the keys fetched at {} are no longer used",
                            where, Instant.ofEpochMilli(lastGoodAt));
                }
                throw e;
            }
            // a new instance: the cache above compares sets by reference to tell a refresh happened
            JWKSet copy = new JWKSet(last.getKeys());
            if (evaluator.requiresRefresh(copy)) {
                throw e;
            }
            return copy;
        }

        @Override
        public void close() throws IOException {
            inner.close();
        }
    }
}
