package dev.grafanaproxy.proxy;

import dev.grafanaproxy.config.ProxyConfig;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.ChainElement;
import org.apache.hc.client5.http.impl.IdleConnectionEvictor;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManager;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.core5.http.nio.AsyncRequestProducer;
import org.apache.hc.core5.http.nio.AsyncResponseConsumer;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.HttpVersion;
import org.apache.hc.core5.http.config.Http1Config;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.pool.PoolConcurrencyPolicy;
import org.apache.hc.core5.pool.PoolReusePolicy;
import org.apache.hc.core5.pool.PoolStats;
import org.apache.hc.core5.reactor.IOReactorConfig;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
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

    /**
     * Socket read size towards Grafana, and the size of each of a connection's two session buffers.
     * Every pooled or held connection (an idle long-poll, an SSE stream) carries both: at 64 KB,
     * 2 000 held streams took 256 MB of heap; at 32 KB they take half that. Measured with
     * benchmarks/run: Jetty's download rate is the same at 32 and 64 KB, Tomcat's is about 25 %
     * lower (each chunk costs Tomcat a write-readiness round trip), and 16 KB halves both.
     */
    static final int BUFFER_SIZE = 32 * 1024;
    /**
     * How far HttpCore may read ahead of the client: what a slow client can hold in this relay's
     * queue per exchange. Eight reads keep the socket towards Grafana busy while Tomcat writes.
     */
    static final int WINDOW = 8 * BUFFER_SIZE;

    private final CloseableHttpAsyncClient client;
    private final PoolingAsyncClientConnectionManager pool;
    private final IdleConnectionEvictor evictor;
    /** Every thread the client and the evictor started. */
    private final List<Thread> threads = new CopyOnWriteArrayList<>();

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
                // 32 KB reads and a window of eight of them (see BUFFER_SIZE and WINDOW)
                .setHttp1Config(Http1Config.custom()
                        .setBufferSize(BUFFER_SIZE)
                        .setChunkSizeHint(BUFFER_SIZE)
                        .setInitialWindowSize(WINDOW)
                        .build())
                .setThreadFactory(new NamedThreads("grafana-proxy-io", threads))
                // so that a client going away really breaks the exchange off (see UpstreamExchange)
                .addExecInterceptorAfter(ChainElement.CONNECT.name(), UpstreamExchange.CHAIN_ELEMENT_NAME,
                        UpstreamExchange.CHAIN_ELEMENT)
                .build();
        client.start();
        // our own evictor rather than the builder's evictIdleConnections(), so close() knows its thread
        evictor = new IdleConnectionEvictor(pool, new NamedThreads("grafana-proxy-evictor", threads),
                TimeValue.ofSeconds(30), TimeValue.ofSeconds(30));
        evictor.start();
    }

    /** Starts one exchange; the consumer and producer drive everything from here on. */
    <T> UpstreamExchange execute(AsyncRequestProducer producer, AsyncResponseConsumer<T> consumer,
                                 FutureCallback<T> callback) {
        HttpClientContext context = HttpClientContext.create();
        context.setProtocolVersion(HttpVersion.HTTP_1_1);
        UpstreamExchange exchange = new UpstreamExchange();
        exchange.bind(context);
        exchange.started(client.execute(producer, consumer, null, context, callback));
        return exchange;
    }

    /** Pool statistics for operators: leased, pending and available connections. */
    public PoolStats poolStats() {
        return pool.getTotalStats();
    }

    /**
     * Closes every connection and waits (at most five seconds) until every thread this client
     * started has ended, so undeploy leaks nothing: HttpClient itself only interrupts some of them
     * (the dispatcher's executor, the evictor) and returns, and a container that checks for leaked
     * threads right after undeploy, as Tomcat does, would still see them.
     */
    @Override
    public void close() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        evictor.shutdown();
        client.close(CloseMode.GRACEFUL);
        try {
            client.awaitShutdown(TimeValue.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        client.close(CloseMode.IMMEDIATE);
        pool.close(CloseMode.IMMEDIATE);
        try {
            for (Thread t : threads) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    break;
                }
                t.join(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<String> alive = threads.stream().filter(Thread::isAlive).map(Thread::getName).toList();
        if (!alive.isEmpty()) {
            LOG.warn("upstream client threads still running after close: {}", alive);
        }
        LOG.debug("upstream client closed");
    }

    /** Names its threads {@code prefix-N}, makes them daemons, and remembers them for {@link #close()}. */
    private static final class NamedThreads implements ThreadFactory {
        private final String prefix;
        private final List<Thread> started;
        private final AtomicInteger count = new AtomicInteger();

        NamedThreads(String prefix, List<Thread> started) {
            this.prefix = prefix;
            this.started = started;
        }

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(r, prefix + "-" + count.incrementAndGet());
            t.setDaemon(true);
            started.add(t);
            return t;
        }
    }
}
