package dev.grafanaproxy.proxy;

import dev.grafanaproxy.config.ProxyConfig;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.IdleConnectionEvictor;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManager;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.core5.http.nio.AsyncRequestProducer;
import org.apache.hc.core5.http.nio.AsyncResponseConsumer;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.HttpVersion;
import org.apache.hc.core5.http.config.Http1Config;
import org.apache.hc.core5.http.protocol.HttpCoreContext;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.pool.PoolConcurrencyPolicy;
import org.apache.hc.core5.pool.PoolReusePolicy;
import org.apache.hc.core5.reactor.IOReactorConfig;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one HttpClient 5 async client of a web app. Configured to be a transparent hop: no content
 * decompression (bytes and {@code Content-Encoding} pass unchanged), no redirects, no cookies, no
 * authentication, no automatic retries (a non-idempotent request must never be sent twice), a
 * pool of {@code proxy.max_connections}, and HTTP/1.1 only, which is what Grafana speaks behind a
 * proxy. Idle pooled connections are validated after a second of inactivity and evicted by a
 * background sweep, so a connection Grafana closed while idle is not handed to a request.
 */
public final class UpstreamClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(UpstreamClient.class);

    /** Socket read size towards Grafana and the unit of flow control. */
    static final int BUFFER_SIZE = 64 * 1024;

    private final CloseableHttpAsyncClient client;
    private final PoolingAsyncClientConnectionManager pool;
    private final IdleConnectionEvictor evictor;

    public UpstreamClient(ProxyConfig config) {
        Timeout connect = Timeout.of(config.connectTimeout());
        Timeout response = Timeout.of(config.responseTimeout());
        pool = PoolingAsyncClientConnectionManagerBuilder.create()
                .setMaxConnTotal(config.maxConnections())
                .setMaxConnPerRoute(config.maxConnections())
                .setPoolConcurrencyPolicy(PoolConcurrencyPolicy.STRICT)
                // LIFO keeps a few hot connections instead of spreading over many that go stale
                .setConnPoolPolicy(PoolReusePolicy.LIFO)
                .setDefaultConnectionConfig(ConnectionConfig.custom()
                        .setConnectTimeout(connect)
                        .setSocketTimeout(response)
                        .setValidateAfterInactivity(TimeValue.ofSeconds(1))
                        .build())
                .build();
        client = HttpAsyncClients.custom()
                .setConnectionManager(pool)
                .setIOReactorConfig(IOReactorConfig.custom()
                        .setSoTimeout(response)
                        .setTcpNoDelay(true)
                        .build())
                .setDefaultRequestConfig(RequestConfig.custom()
                        .setConnectTimeout(connect)
                        .setResponseTimeout(response)
                        // waiting for a pooled connection is bounded like waiting for an answer
                        .setConnectionRequestTimeout(response)
                        .setRedirectsEnabled(false)
                        .setAuthenticationEnabled(false)
                        .setContentCompressionEnabled(false)
                        .setExpectContinueEnabled(false)
                        .setProtocolUpgradeEnabled(false)
                        .setHardCancellationEnabled(true)
                        .build())
                .disableContentCompression()
                .disableRedirectHandling()
                .disableCookieManagement()
                .disableAuthCaching()
                .disableAutomaticRetries()
                .disableConnectionState()
                .setVersionPolicy(org.apache.hc.core5.http2.HttpVersionPolicy.FORCE_HTTP_1)
                // 64 KB reads and a window of two of them: fewer, larger hand-overs to the servlet
                // side, which matters most on Tomcat where each one is a write plus a flush
                .setHttp1Config(Http1Config.custom()
                        .setBufferSize(BUFFER_SIZE)
                        .setChunkSizeHint(BUFFER_SIZE)
                        .setInitialWindowSize(2 * BUFFER_SIZE)
                        .build())
                .setThreadFactory(new NamedThreads("grafana-proxy-io"))
                .build();
        client.start();
        // Our own evictor rather than the builder's evictIdleConnections(): closing the client only
        // interrupts the builder's thread, so it may still be alive when the container checks for
        // leaked threads right after undeploy; this one close() waits for.
        evictor = new IdleConnectionEvictor(pool, new NamedThreads("grafana-proxy-evictor"),
                TimeValue.ofSeconds(30), TimeValue.ofSeconds(30));
        evictor.start();
    }

    /** Starts one exchange; the consumer and producer drive everything from here on. */
    public <T> Future<T> execute(AsyncRequestProducer producer, AsyncResponseConsumer<T> consumer,
                                 FutureCallback<T> callback) {
        HttpCoreContext context = HttpCoreContext.create();
        context.setProtocolVersion(HttpVersion.HTTP_1_1);
        return client.execute(producer, consumer, null, context, callback);
    }

    /** Pool statistics for operators: leased, pending and available connections. */
    public String poolStats() {
        return pool.getTotalStats().toString();
    }

    /** Closes every connection and waits briefly for the I/O threads to end, so undeploy leaks nothing. */
    @Override
    public void close() {
        evictor.shutdown();
        client.close(CloseMode.GRACEFUL);
        try {
            client.awaitShutdown(TimeValue.ofSeconds(5));
            evictor.awaitTermination(Timeout.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        client.close(CloseMode.IMMEDIATE);
        pool.close(CloseMode.IMMEDIATE);
        LOG.debug("upstream client closed");
    }

    private static final class NamedThreads implements ThreadFactory {
        private final String prefix;
        private final AtomicInteger count = new AtomicInteger();

        NamedThreads(String prefix) {
            this.prefix = prefix;
        }

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(r, prefix + "-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        }
    }
}
