package dev.grafanaproxy.testsupport;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A JWKS endpoint on loopback for tests: serves the public halves of the keys it is given at
 * {@link #url()}, counts requests, and can rotate keys, answer with an error status or a raw body,
 * answer slowly, and go down and come back on the same port. Thread-safe.
 *
 * <pre>
 * try (JwksServer jwks = JwksServer.start(key1)) {
 *     config.set("jwt.jwk_set_url", jwks.url().toString());
 *     ...
 *     jwks.keys(key1, key2);   // rotation
 *     jwks.stop();             // outage: connections refused
 * }
 * </pre>
 */
public final class JwksServer implements AutoCloseable {
    public static final String PATH = "/.well-known/jwks.json";

    private final AtomicInteger hits = new AtomicInteger();
    private volatile String body;
    private volatile int status = 200;
    private volatile Duration delay = Duration.ZERO;
    private int port;
    private HttpServer server;
    private ExecutorService executor;

    private JwksServer() {
    }

    /** Starts on an ephemeral loopback port, serving these keys (private halves are never served). */
    public static JwksServer start(JWK... keys) {
        JwksServer s = new JwksServer();
        s.keys(keys);
        s.port = 0;
        s.start();
        return s;
    }

    /** Serves exactly these keys from now on (rotation: pass the new set). */
    public JwksServer keys(JWK... keys) {
        body = new JWKSet(List.of(keys)).toPublicJWKSet().toString();
        return this;
    }

    /** Serves this text as the body (invalid JSON, an oversized set, ...). */
    public JwksServer rawBody(String text) {
        body = text;
        return this;
    }

    /** Answers with this status (200 by default) and the current body. */
    public JwksServer status(int code) {
        status = code;
        return this;
    }

    /** Waits this long before answering. */
    public JwksServer delay(Duration d) {
        delay = d;
        return this;
    }

    /** Requests answered (or started) since start or the last {@link #resetHits()}. */
    public int hits() {
        return hits.get();
    }

    public void resetHits() {
        hits.set(0);
    }

    /** The JWKS URL, e.g. {@code http://127.0.0.1:41234/.well-known/jwks.json}. */
    public URI url() {
        return URI.create("http://127.0.0.1:" + port + PATH);
    }

    public int port() {
        return port;
    }

    public synchronized boolean running() {
        return server != null;
    }

    /** Starts listening again on the same port after {@link #stop()}. */
    public synchronized void start() {
        if (server != null) {
            return;
        }
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on port " + port, e);
        }
        port = server.getAddress().getPort();
        executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "jwks-test-server");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext(PATH, this::handle);
        server.start();
    }

    /** Stops listening: connections are refused until {@link #start()}. */
    public synchronized void stop() {
        if (server == null) {
            return;
        }
        server.stop(0);
        executor.shutdownNow();
        server = null;
    }

    @Override
    public void close() {
        stop();
    }

    private void handle(HttpExchange ex) throws IOException {
        hits.incrementAndGet();
        try (ex) {
            Duration d = delay;
            if (!d.isZero()) {
                try {
                    Thread.sleep(d.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }
}
