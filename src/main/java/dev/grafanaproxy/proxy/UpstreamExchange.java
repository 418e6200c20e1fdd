package dev.grafanaproxy.proxy;

import org.apache.hc.client5.http.async.AsyncExecChainHandler;
import org.apache.hc.client5.http.async.AsyncExecRuntime;
import org.apache.hc.core5.http.protocol.HttpContext;

import java.util.concurrent.CancellationException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One exchange with Grafana, as the proxy breaks it off when its client goes away.
 *
 * <p>HttpClient's {@code Future.cancel} alone does not do it reliably. When the pool has an idle
 * connection, the lease completes inside the very call that returns the lease's cancellable, the
 * exchange starts from there and registers its own cancellable with the future, and then the
 * returned (finished) lease cancellable replaces it. Cancelling the future afterwards stops
 * nothing: a download or event stream whose browser tab was closed went on being read from Grafana
 * to its end, and a half-sent upload kept its connection. So a link of the client's exec chain,
 * {@link #CHAIN_ELEMENT}, hands each exchange's runtime to this object, and {@link #cancel()}
 * discards the exchange's connection itself; Grafana sees the connection close.
 */
final class UpstreamExchange {
    /** The exec chain link's name, placed right after HttpClient's connect step. */
    static final String CHAIN_ELEMENT_NAME = "grafana-proxy-cancel";
    private static final String ATTRIBUTE = UpstreamExchange.class.getName();
    private static final Object CANCELLED = new Object();

    /**
     * Runs once the exchange has its connection: registers the runtime, or, when the client has
     * gone away meanwhile, ends the exchange before anything is sent.
     */
    static final AsyncExecChainHandler CHAIN_ELEMENT = (request, entity, scope, chain, callback) -> {
        Object attached = scope.clientContext.getAttribute(ATTRIBUTE);
        if (attached instanceof UpstreamExchange exchange && !exchange.attach(scope.execRuntime)) {
            callback.failed(new CancellationException("the client went away before the request was sent"));
            return;
        }
        chain.proceed(request, entity, scope, callback);
    };

    /** {@code null}, then the exchange's runtime, or {@link #CANCELLED}. */
    private final AtomicReference<Object> runtime = new AtomicReference<>();
    private volatile Future<?> future;

    /** Makes this the handle of the exchange that runs with {@code context}. */
    void bind(HttpContext context) {
        context.setAttribute(ATTRIBUTE, this);
    }

    void started(Future<?> f) {
        this.future = f;
        if (runtime.get() == CANCELLED) {
            f.cancel(true);
        }
    }

    /** @return false when the exchange was cancelled before it got here */
    private boolean attach(AsyncExecRuntime execRuntime) {
        while (true) {
            Object current = runtime.get();
            if (current == CANCELLED) {
                return false;
            }
            if (runtime.compareAndSet(current, execRuntime)) {
                return true;
            }
        }
    }

    /** Breaks the exchange off: closes its connection if it has one, stops it getting one if not. */
    void cancel() {
        Object previous = runtime.getAndSet(CANCELLED);
        if (previous instanceof AsyncExecRuntime execRuntime) {
            execRuntime.discardEndpoint(); // closes the connection; the exchange then fails
        }
        Future<?> f = future;
        if (f != null) {
            f.cancel(true); // a lease still pending is given up
        }
    }
}
