package dev.grafanaproxy.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * {@link ProxyMetrics} recorded with Micrometer. Meter names (Prometheus form):
 * <ul>
 *   <li>{@code grafana_proxy_requests_seconds} (histogram; {@code method}=read|write, {@code status})</li>
 *   <li>{@code grafana_proxy_upstream_seconds} (histogram): time to Grafana's response headers</li>
 *   <li>{@code grafana_proxy_received_bytes_total}, {@code grafana_proxy_sent_bytes_total}: body bytes</li>
 *   <li>{@code grafana_proxy_auth_total} ({@code outcome}, {@code reason})</li>
 *   <li>{@code grafana_proxy_spoof_attempts_total}</li>
 *   <li>{@code grafana_proxy_websocket_relays}: open relays</li>
 *   <li>{@code grafana_proxy_jwks_fetches_total}, {@code grafana_proxy_jwks_failures_total}, {@code grafana_proxy_jwks_keys}</li>
 *   <li>{@code grafana_proxy_pool_connections} ({@code state}=leased|pending|available)</li>
 *   <li>{@code grafana_proxy_audit_dropped_total}: audit lines dropped because the audit log fell behind</li>
 * </ul>
 * Meters registered in a host app's registry are removed again on {@link #close()}, so a redeploy
 * neither duplicates them nor keeps the old web app's class loader alive.
 */
public final class MicrometerMetrics implements ProxyMetrics, AutoCloseable {
    private final MeterRegistry registry;
    private final PrometheusMeterRegistry own;
    private final List<Meter> registered = new CopyOnWriteArrayList<>();
    private final ConcurrentHashMap<String, Timer> requestTimers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> authCounters = new ConcurrentHashMap<>();
    private final Timer upstream;
    private final Counter received;
    private final Counter sent;
    private final Counter spoof;
    private final AtomicInteger relays = new AtomicInteger();
    private final List<Object> suppliers = new CopyOnWriteArrayList<>();

    private MicrometerMetrics(MeterRegistry registry, PrometheusMeterRegistry own) {
        this.registry = registry;
        this.own = own;
        this.upstream = keep(Timer.builder("grafana.proxy.upstream")
                .description("Time from sending a request to Grafana to its response headers")
                .publishPercentileHistogram().register(registry));
        this.received = keep(Counter.builder("grafana.proxy.received").baseUnit("bytes")
                .description("Request body bytes read from clients").register(registry));
        this.sent = keep(Counter.builder("grafana.proxy.sent").baseUnit("bytes")
                .description("Response body bytes written to clients").register(registry));
        this.spoof = keep(Counter.builder("grafana.proxy.spoof.attempts")
                .description("Requests that carried an identity header of their own (stripped)").register(registry));
        keep(Gauge.builder("grafana.proxy.websocket.relays", relays, AtomicInteger::get)
                .description("Open WebSocket relays").strongReference(true).register(registry));
    }

    /** Metrics in the proxy's own Prometheus registry, served by the scrape endpoint. */
    public static MicrometerMetrics ownRegistry() {
        PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        return new MicrometerMetrics(r, r);
    }

    /** Metrics in the host app's registry (found as a servlet context attribute). */
    public static MicrometerMetrics in(MeterRegistry hostRegistry) {
        return new MicrometerMetrics(hostRegistry,
                hostRegistry instanceof PrometheusMeterRegistry p ? p : null);
    }

    /** The registry to scrape, when it is a Prometheus one. */
    public Optional<PrometheusMeterRegistry> prometheus() {
        return Optional.ofNullable(own);
    }

    private <M extends Meter> M keep(M meter) {
        registered.add(meter);
        return meter;
    }

    @Override
    public void request(String method, int status, long nanos) {
        String cls = isRead(method) ? "read" : "write";
        String code = Integer.toString(status);
        requestTimers.computeIfAbsent(cls + code, k -> keep(Timer.builder("grafana.proxy.requests")
                .description("Requests through the proxy, by method class and status")
                .tag("method", cls).tag("status", code)
                .publishPercentileHistogram().register(registry)))
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    private static boolean isRead(String method) {
        return "GET".equals(method) || "HEAD".equals(method) || "OPTIONS".equals(method);
    }

    @Override
    public void upstreamResponse(long nanos) {
        upstream.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void bytesFromClient(long bytes) {
        received.increment(bytes);
    }

    @Override
    public void bytesToClient(long bytes) {
        sent.increment(bytes);
    }

    @Override
    public void auth(String outcome, String reason) {
        String r = reason == null ? "none" : reason.toLowerCase(Locale.ROOT);
        authCounters.computeIfAbsent(outcome + "/" + r, k -> keep(Counter.builder("grafana.proxy.auth")
                .description("Authentication decisions, by outcome and reason")
                .tag("outcome", outcome).tag("reason", r).register(registry)))
                .increment();
    }

    @Override
    public void spoofAttempt() {
        spoof.increment();
    }

    @Override
    public void websocketRelays(int delta) {
        relays.addAndGet(delta);
    }

    @Override
    public void poolGauges(IntSupplier leased, IntSupplier pending, IntSupplier available) {
        poolGauge("leased", leased);
        poolGauge("pending", pending);
        poolGauge("available", available);
    }

    private void poolGauge(String state, IntSupplier value) {
        keep(Gauge.builder("grafana.proxy.pool.connections", value, IntSupplier::getAsInt)
                .description("Connections towards Grafana, by state").tag("state", state)
                // the supplier is ours alone: Micrometer's default weak reference would let it be collected
                .strongReference(true).register(registry));
    }

    @Override
    public void keyGauges(LongSupplier fetches, LongSupplier failures, IntSupplier keys) {
        // function counters hold their state object weakly; these suppliers exist only here
        suppliers.add(fetches);
        suppliers.add(failures);
        keep(FunctionCounter.builder("grafana.proxy.jwks.fetches", fetches, LongSupplier::getAsLong)
                .description("Successful JWKS fetches").register(registry));
        keep(FunctionCounter.builder("grafana.proxy.jwks.failures", failures, LongSupplier::getAsLong)
                .description("Failed JWKS fetches").register(registry));
        keep(Gauge.builder("grafana.proxy.jwks.keys", keys, IntSupplier::getAsInt)
                .description("Verification keys in use (-1: not a key set)").strongReference(true).register(registry));
    }

    @Override
    public void auditDropped(LongSupplier dropped) {
        suppliers.add(dropped);
        keep(FunctionCounter.builder("grafana.proxy.audit.dropped", dropped, LongSupplier::getAsLong)
                .description("Audit lines dropped because the audit log fell behind").register(registry));
    }

    @Override
    public void close() {
        for (Meter m : registered) {
            registry.remove(m);
        }
        registered.clear();
        if (own != null && own == registry) {
            own.close();
        }
    }
}
