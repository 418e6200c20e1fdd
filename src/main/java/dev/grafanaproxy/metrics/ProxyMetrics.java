package dev.grafanaproxy.metrics;

import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * The events the proxy reports. Every method has a no-op default, so {@link #NONE} costs nothing
 * and an implementation records only what it cares about.
 */
public interface ProxyMetrics {

    /** Records nothing. */
    ProxyMetrics NONE = new ProxyMetrics() {
    };

    /** A request through the filter has completed with this status (forwarded or answered by the proxy). */
    default void request(String method, int status, long nanos) {
    }

    /** Grafana's response headers arrived this long after the exchange started. */
    default void upstreamResponse(long nanos) {
    }

    /** Request body bytes read from a client. */
    default void bytesFromClient(long bytes) {
    }

    /** Response body bytes written to a client. */
    default void bytesToClient(long bytes) {
    }

    /**
     * The auth filter's decision: {@code valid}, {@code public}, {@code no_token}, {@code rejected} or
     * {@code forbidden}, with a reason for the last two (e.g. {@code expired}, {@code bad_signature}).
     */
    default void auth(String outcome, String reason) {
    }

    /** A client sent a header under an identity name itself (stripped before forwarding). */
    default void spoofAttempt() {
    }

    /** A WebSocket relay opened ({@code +1}) or closed ({@code -1}). */
    default void websocketRelays(int delta) {
    }

    /** Gauges of the connection pool towards Grafana, read when scraped. */
    default void poolGauges(IntSupplier leased, IntSupplier pending, IntSupplier available) {
    }

    /** Gauges of the verification keys: successful and failed JWKS fetches, and keys in use. */
    default void keyGauges(LongSupplier fetches, LongSupplier failures, IntSupplier keys) {
    }

    /** Audit lines dropped because the audit writer's queue was full, read when scraped. */
    default void auditDropped(LongSupplier dropped) {
    }
}
