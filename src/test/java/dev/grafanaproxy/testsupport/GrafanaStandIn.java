package dev.grafanaproxy.testsupport;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.zip.GZIPOutputStream;
import org.eclipse.jetty.http.HttpCompliance;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.QuietException;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.IteratingCallback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * A stand-in for Grafana: a small HTTP/1.1 server on Jetty 12 <em>core</em> (no servlets, so it
 * sees the raw request target) bound to {@code 127.0.0.1} on an ephemeral port.
 *
 * <p>It records every request it receives ({@link #received()}), counts TCP connections
 * ({@link #connectionsAccepted()}, {@link #openConnections()}) and answers on the routes below.
 * Routes match after removing one optional leading {@code /grafana} segment, so they work whatever
 * {@code grafana.strip_prefix} is; {@link ReceivedRequest#rawPath()} keeps what was actually sent.
 * Every request body is read (streaming: SHA-256 and length only) before the route answers.
 *
 * <table>
 * <caption>Routes</caption>
 * <tr><td>{@code /echo/**}</td><td>any method: 200 JSON of what was received: {@code method, rawPath,
 *     rawQuery, headers ([[name,value],...]), bodyLength, bodySha256, remoteAddress, connectionId}</td></tr>
 * <tr><td>{@code /api/health}</td><td>200 {@code {"database":"ok","version":"stand-in"}}</td></tr>
 * <tr><td>{@code /html}</td><td>a Grafana-like HTML page with {@code <base href="/grafana/" />}</td></tr>
 * <tr><td>{@code /slow?ms=N}</td><td>200 {@code slow} after N ms (default 1000), without holding a thread</td></tr>
 * <tr><td>{@code /never}</td><td>never answers; a client closing the connection is noticed
 *     ({@link #openConnections()} drops)</td></tr>
 * <tr><td>{@code /drip?chunks=N&intervalMs=M&size=S}</td><td>chunked 200; chunk i (0-based) is
 *     written and flushed at i*M ms; the whole body is {@code TestData.stream(N*S)}
 *     (defaults 5, 100, 16)</td></tr>
 * <tr><td>{@code /large?bytes=N[&chunked=true]}</td><td>{@code TestData.stream(N)} with Content-Length
 *     (or chunked), written with backpressure in constant memory</td></tr>
 * <tr><td>{@code /upload}</td><td>200 {@code {"length":..,"sha256":".."}} of the request body</td></tr>
 * <tr><td>{@code /gzip}</td><td>the bytes of {@link #gzipBody()} with {@code Content-Encoding: gzip};
 *     they inflate to {@link #GZIP_PLAIN}</td></tr>
 * <tr><td>{@code /sse?events=N&intervalMs=M}</td><td>{@code text/event-stream}, {@code data: event-i\n\n}
 *     for i = 1..N, each flushed separately, M ms apart (defaults 3, 100)</td></tr>
 * <tr><td>{@code /redirect?to=P}</td><td>302, {@code Location: }{@link #baseUrl()}{@code + P}
 *     (default P {@code /grafana/login})</td></tr>
 * <tr><td>{@code /redirect-relative?to=P}</td><td>302, {@code Location: P} as given</td></tr>
 * <tr><td>{@code /cookie[?path=P]}</td><td>{@code Set-Cookie: grafana_session=abc; Path=/; HttpOnly} and
 *     {@code Set-Cookie: other=1; Path=/grafana/; HttpOnly}; with {@code path}: only
 *     {@code grafana_session=abc; Path=P; HttpOnly}</td></tr>
 * <tr><td>{@code /etag}</td><td>200 with {@code ETag: "v1"}; 304 without body if {@code If-None-Match}
 *     names {@code "v1"}</td></tr>
 * <tr><td>{@code /status/{code}}</td><td>that status, body {@code status <code>} (none for 1xx/204/304)</td></tr>
 * <tr><td>{@code /abort?after=N[&missing=M][&chunked=true]}</td><td>headers announcing N + M bytes
 *     (M defaults to 1,000,000; or chunked), then {@code TestData.stream(N)}, then the TCP connection
 *     is closed</td></tr>
 * <tr><td>{@code /hop}</td><td>200 with hop-by-hop headers {@code Connection: X-Hop-Custom},
 *     {@code X-Hop-Custom: 1}, {@code Keep-Alive: timeout=5}, {@code Proxy-Authenticate: Basic},
 *     {@code Trailer: X-T}, {@code Upgrade: h2c} and the end-to-end {@code X-End-To-End: kept}.
 *     Jetty's generator writes all of them as set (see GrafanaStandInTest); only
 *     {@code Connection} gets {@code keep-alive}/{@code close} handling</td></tr>
 * <tr><td>{@code /api/live/*}</td><td>WebSocket upgrades: the Grafana Live stand-in, see {@link GrafanaLive}</td></tr>
 * <tr><td>anything else</td><td>404 {@code {"message":"Not found"}}, unless a custom route matches
 *     ({@link #route(String, Route)})</td></tr>
 * </table>
 *
 * <p><b>Grafana's {@code [auth.jwt]}</b> (opt-in, {@link #authJwt(GrafanaJwtAuth)}): every request's
 * JWT header is verified as Grafana does (see {@link GrafanaJwtAuth}) before any route; a token that
 * fails gets Grafana's {@code 401 {"message":"Failed to verify JWT"}}, and {@code /api/user} answers
 * with the user the token signs in (401 without one). The attempts are in {@link GrafanaJwtAuth#results()}.
 *
 * <p>Typical use: {@code try (GrafanaStandIn grafana = new GrafanaStandIn().start()) { ... }}.
 * Thread-safe; {@link #stop()} and {@link #start()} may alternate to simulate Grafana going down
 * and coming back on the same port.
 */
public final class GrafanaStandIn implements AutoCloseable {

    /** The uncompressed text behind {@link #gzipBody()} (UTF-8 JSON, a few KB). */
    public static final String GZIP_PLAIN;
    /** The exact bytes {@code /gzip} sends (deterministic gzip of {@link #GZIP_PLAIN}). */
    private static final byte[] GZIP_BYTES;
    /** The {@code /html} page. */
    public static final String HTML_PAGE = """
            <!DOCTYPE html>
            <html lang="en">
              <head>
                <meta charset="utf-8" />
                <base href="/grafana/" />
                <title>Grafana</title>
                <link rel="icon" type="image/png" href="public/img/fav32.png" />
              </head>
              <body class="theme-dark">
                <div id="reactRoot"></div>
                <script>window.grafanaBootData = {"settings":{"appSubUrl":"/grafana"}};</script>
                <script src="public/build/app.js"></script>
              </body>
            </html>
            """;

    static {
        StringBuilder sb = new StringBuilder("{\"results\":[");
        for (int i = 0; i < 100; i++) {
            sb.append(i == 0 ? "" : ",").append("{\"refId\":\"A").append(i).append("\",\"value\":").append(i * 7).append('}');
        }
        GZIP_PLAIN = sb.append("]}").toString();
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bos)) { // header mtime is 0: deterministic
            gz.write(GZIP_PLAIN.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        GZIP_BYTES = bos.toByteArray();
    }

    /** A copy of the exact (compressed) bytes {@code /gzip} answers with; they inflate to {@link #GZIP_PLAIN}. */
    public static byte[] gzipBody() {
        return GZIP_BYTES.clone();
    }

    /**
     * A custom route for scenarios the built-in ones do not cover. It is called after the request
     * body was read and recorded; it must complete {@code callback} (or hand it on, e.g. to
     * {@code response.write}), and must not block.
     */
    @FunctionalInterface
    public interface Route {
        /**
         * Answers one request.
         *
         * @param received what was recorded for it (query, headers, body hash)
         * @param request  the Jetty core request (body already consumed)
         * @param response the Jetty core response
         * @param callback to complete when the response is done
         * @throws Exception any failure, turned into a 500 by Jetty
         */
        void handle(ReceivedRequest received, Request request, Response response, Callback callback) throws Exception;
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Server server;
    private final ServerConnector connector;
    private final Object lock = new Object();
    private final List<ReceivedRequest> received = new ArrayList<>();
    private final AtomicLong accepted = new AtomicLong();
    private final Map<Connection, Long> openConnections = new ConcurrentHashMap<>();
    private final Set<Callback> inFlight = ConcurrentHashMap.newKeySet();
    private final Map<String, Route> customRoutes = new ConcurrentHashMap<>();
    private volatile GrafanaJwtAuth jwtAuth;
    private volatile long idleTimeoutMs = 30_000;
    private final GrafanaLive live = new GrafanaLive(this::recordUpgrade);

    /** Creates a stand-in, not yet started: {@code new GrafanaStandIn().start()}. */
    public GrafanaStandIn() {
        // Few threads on purpose: the async routes must not need one thread per request.
        QueuedThreadPool pool = new QueuedThreadPool(16, 2);
        pool.setName("grafana-stand-in");
        pool.setReservedThreads(0);
        server = new Server(pool);
        server.setStopTimeout(0);

        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setRequestHeaderSize(64 * 1024); // big cookies and JWTs
        // Accept any path the proxy forwards (%2F, %2e, ...) and keep header names' case as sent.
        http.setUriCompliance(UriCompliance.UNSAFE);
        http.setHttpCompliance(HttpCompliance.RFC9110.with("STAND_IN", HttpCompliance.Violation.CASE_SENSITIVE_FIELD_NAME));
        http.setHeaderCacheCaseSensitive(true);

        connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        connector.setReuseAddress(true);
        connector.setIdleTimeout(idleTimeoutMs);
        connector.addEventListener(new Connection.Listener() {
            @Override
            public void onOpened(Connection connection) {
                openConnections.put(connection, accepted.incrementAndGet());
                connection.getEndPoint().setIdleTimeout(idleTimeoutMs);
            }

            @Override
            public void onClosed(Connection connection) {
                openConnections.remove(connection);
            }
        });
        server.addConnector(connector);
        var webSockets = live.handler(server);
        webSockets.setHandler(new StandInHandler());
        server.setHandler(webSockets);
    }

    /** The Grafana Live WebSocket endpoint ({@code /api/live/*}): sessions, closes, flood counter. */
    public GrafanaLive live() {
        return live;
    }

    /** Records a WebSocket upgrade request like any other (no body). */
    private void recordUpgrade(Request request) {
        List<Header> headers = new ArrayList<>();
        for (HttpField f : request.getHeaders()) {
            headers.add(new Header(f.getName(), f.getValue() == null ? "" : f.getValue()));
        }
        Long connectionId = openConnections.get(request.getConnectionMetaData().getConnection());
        ReceivedRequest r = new ReceivedRequest(request.getMethod(), request.getHttpURI().getPath(), request.getHttpURI().getQuery(),
                headers, 0, TestData.sha256(new byte[0]), true,
                Request.getRemoteAddr(request) + ":" + Request.getRemotePort(request), connectionId == null ? -1 : connectionId,
                Instant.now());
        synchronized (lock) {
            received.add(r);
            lock.notifyAll();
        }
    }

    /**
     * Starts it: the first time on a fresh ephemeral port, after {@link #stop()} on the same port as
     * before ("Grafana is back"). Recorded requests and counters are kept. No-op if running.
     *
     * @return this
     */
    public GrafanaStandIn start() {
        synchronized (lock) {
            if (server.isStarted()) {
                return this;
            }
            try {
                server.start();
            } catch (Exception e) {
                throw new IllegalStateException("stand-in failed to start", e);
            }
            connector.setPort(connector.getLocalPort()); // so a restart binds the same port
            return this;
        }
    }

    /**
     * Stops it ("Grafana is down"): the port is closed, open connections are closed, pending
     * {@code /never} and slow answers are abandoned. {@link #start()} brings it back.
     */
    public void stop() {
        synchronized (lock) {
            try {
                server.stop();
            } catch (Exception e) {
                throw new IllegalStateException("stand-in failed to stop", e);
            }
            for (Callback cb : inFlight) {
                cb.failed(new QuietEof("stand-in stopped"));
            }
            inFlight.clear();
        }
    }

    /** Stops it for good (same as {@link #stop()}). */
    @Override
    public void close() {
        stop();
    }

    /** Whether it is currently accepting connections. */
    public boolean isRunning() {
        return server.isStarted();
    }

    /** The TCP port (stable across stop/restart). */
    public int port() {
        int p = connector.getLocalPort();
        return p > 0 ? p : connector.getPort();
    }

    /** {@code http://127.0.0.1:PORT}, without trailing slash: what {@code grafana.url} should be. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port();
    }

    /**
     * Sets the server's idle timeout: an idle keep-alive connection is closed after it. Applies to
     * the connections already open and to new ones. Requests being answered (e.g. {@code /never},
     * {@code /slow}) are not cut by it.
     */
    public GrafanaStandIn idleTimeout(Duration timeout) {
        idleTimeoutMs = timeout.toMillis();
        connector.setIdleTimeout(idleTimeoutMs);
        for (Connection c : openConnections.keySet()) {
            c.getEndPoint().setIdleTimeout(idleTimeoutMs);
        }
        return this;
    }

    /** Closes every open TCP connection now, as a Grafana restart would, while still listening. */
    public void closeConnections() {
        for (Connection c : openConnections.keySet()) {
            c.getEndPoint().close();
        }
    }

    /** Number of TCP connections accepted since creation (across restarts). */
    public long connectionsAccepted() {
        return accepted.get();
    }

    /** Number of TCP connections open right now. */
    public int openConnections() {
        return openConnections.size();
    }

    /**
     * Waits until {@link #openConnections()} equals {@code expected}.
     *
     * @return whether it did within {@code timeout}
     */
    public boolean awaitOpenConnections(int expected, Duration timeout) throws InterruptedException {
        return poll(() -> openConnections() == expected, timeout);
    }

    /** Whether the TCP connection with this id (see {@link ReceivedRequest#connectionId()}) is still open. */
    public boolean isConnectionOpen(long connectionId) {
        return openConnections.containsValue(connectionId);
    }

    /**
     * Waits until the TCP connection with this id is closed (by either side), e.g. to check that the
     * proxy cancelled an upstream request when its client went away.
     *
     * @return whether it was closed within {@code timeout}
     */
    public boolean awaitConnectionClosed(long connectionId, Duration timeout) throws InterruptedException {
        return poll(() -> !isConnectionOpen(connectionId), timeout);
    }

    /** Number of requests received whose answer has not completed yet (slow, dripping, never...). */
    public int inFlight() {
        return inFlight.size();
    }

    /**
     * Waits until {@link #inFlight()} equals {@code expected}.
     *
     * @return whether it did within {@code timeout}
     */
    public boolean awaitInFlight(int expected, Duration timeout) throws InterruptedException {
        return poll(() -> inFlight() == expected, timeout);
    }

    private static boolean poll(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    /** A snapshot of every request received so far, in arrival order (of body completion). */
    public List<ReceivedRequest> received() {
        synchronized (lock) {
            return List.copyOf(received);
        }
    }

    /** The last request received, or {@code null} if none. */
    public ReceivedRequest lastReceived() {
        synchronized (lock) {
            return received.isEmpty() ? null : received.get(received.size() - 1);
        }
    }

    /** The recorded requests whose {@link ReceivedRequest#routePath()} equals {@code routePath}. */
    public List<ReceivedRequest> received(String routePath) {
        return received().stream().filter(r -> r.routePath().equals(routePath)).toList();
    }

    /** Forgets the recorded requests (counters are kept). */
    public void clearReceived() {
        synchronized (lock) {
            received.clear();
        }
    }

    /**
     * Waits for a recorded request matching {@code filter} (already recorded ones count).
     *
     * @return the first match
     * @throws AssertionError if none arrives within {@code timeout}
     */
    public ReceivedRequest awaitReceived(Predicate<ReceivedRequest> filter, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (true) {
                for (ReceivedRequest r : received) {
                    if (filter.test(r)) {
                        return r;
                    }
                }
                long left = TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime());
                if (left <= 0) {
                    throw new AssertionError("no matching request reached the stand-in within " + timeout + "; got " + received);
                }
                lock.wait(left);
            }
        }
    }

    /**
     * Adds or replaces a custom route, consulted before the built-in ones. {@code path} is matched
     * against the route path (after removing {@code /grafana}): exactly, or as a prefix if it ends
     * with {@code /*} (e.g. {@code /api/datasources/*}).
     */
    public GrafanaStandIn route(String path, Route route) {
        customRoutes.put(path, Objects.requireNonNull(route));
        return this;
    }

    /**
     * Plays Grafana's {@code [auth.jwt]} from now on with these settings; {@code null} turns it off.
     *
     * @return {@code auth}, to read its results
     */
    public GrafanaJwtAuth authJwt(GrafanaJwtAuth auth) {
        this.jwtAuth = auth;
        return auth;
    }

    /** The {@code [auth.jwt]} being played, or {@code null}. */
    public GrafanaJwtAuth authJwt() {
        return jwtAuth;
    }

    /** Removes every custom route. */
    public void clearRoutes() {
        customRoutes.clear();
    }

    /** The route path for a raw path: one leading {@code /grafana} segment removed. */
    public static String routePath(String rawPath) {
        if (rawPath == null) {
            return "";
        }
        if (rawPath.equals("/grafana")) {
            return "/";
        }
        return rawPath.startsWith("/grafana/") ? rawPath.substring("/grafana".length()) : rawPath;
    }

    /**
     * Helper for custom routes: answers with {@code status}, an optional content type and a fixed
     * body (with Content-Length; no body for 1xx/204/304).
     */
    public static void respond(Response response, Callback callback, int status, String contentType, byte[] body) {
        response.setStatus(status);
        if (status < 200 || status == 204 || status == 304) {
            // Commit before completing: Jetty would otherwise add "Content-Length: 0", which Grafana doesn't send.
            response.write(false, BufferUtil.EMPTY_BUFFER, Callback.from(() -> response.write(true, BufferUtil.EMPTY_BUFFER, callback),
                    callback::failed));
            return;
        }
        if (contentType != null) {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        }
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    /** Helper for custom routes: answers 200 (or {@code status}) with {@code value} as JSON. */
    public static void respondJson(Response response, Callback callback, int status, Object value) {
        try {
            respond(response, callback, status, "application/json", JSON.writeValueAsBytes(value));
        } catch (IOException e) {
            callback.failed(e);
        }
    }

    /** Parses a raw query string leniently (UTF-8 percent-decoding; first value wins). */
    public static Map<String, String> queryParams(String rawQuery) {
        Map<String, String> out = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return out;
        }
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            String v = eq < 0 ? "" : pair.substring(eq + 1);
            try {
                out.putIfAbsent(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException badEscape) {
                out.putIfAbsent(k, v);
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "GrafanaStandIn[" + baseUrl() + (isRunning() ? "" : ", stopped") + "]";
    }

    // ------------------------------------------------------------------------------------------

    private final class StandInHandler extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            Instant at = Instant.now();
            List<Header> headers = new ArrayList<>();
            for (HttpField f : request.getHeaders()) {
                headers.add(new Header(f.getName(), f.getValue() == null ? "" : f.getValue()));
            }
            Connection connection = request.getConnectionMetaData().getConnection();
            Long connectionId = openConnections.get(connection);
            String remote = Request.getRemoteAddr(request) + ":" + Request.getRemotePort(request);
            // Answers may take long on purpose: Jetty's idle timeout must not cut them.
            request.addIdleTimeoutListener(t -> false);
            Callback tracked = track(callback);
            new BodyReader(request, (length, sha, complete, failure) -> {
                ReceivedRequest r = new ReceivedRequest(request.getMethod(), request.getHttpURI().getPath(),
                        request.getHttpURI().getQuery(), headers, length, sha, complete, remote,
                        connectionId == null ? -1 : connectionId, at);
                synchronized (lock) {
                    received.add(r);
                    lock.notifyAll();
                }
                if (failure != null) {
                    tracked.failed(failure);
                    return;
                }
                try {
                    dispatch(r, request, response, tracked);
                } catch (Throwable x) {
                    tracked.failed(x);
                }
            }).run();
            return true;
        }

        /** Counts the request as in flight until its callback completes (once, whichever way). */
        private Callback track(Callback callback) {
            AtomicBoolean done = new AtomicBoolean();
            Callback[] self = new Callback[1];
            self[0] = Callback.from(() -> {
                if (done.compareAndSet(false, true)) {
                    inFlight.remove(self[0]);
                    callback.succeeded();
                }
            }, x -> {
                if (done.compareAndSet(false, true)) {
                    inFlight.remove(self[0]);
                    callback.failed(x);
                }
            });
            inFlight.add(self[0]);
            return self[0];
        }
    }

    private interface BodyDone {
        void done(long length, String sha256, boolean complete, Throwable failure);
    }

    /** Reads a request body with Jetty's demand/read loop: no thread waits, nothing is kept. */
    private static final class BodyReader implements Runnable {
        private final Request request;
        private final BodyDone done;
        private final MessageDigest sha = TestData.newSha256();
        private long length;

        BodyReader(Request request, BodyDone done) {
            this.request = request;
            this.done = done;
        }

        @Override
        public void run() {
            while (true) {
                Content.Chunk chunk = request.read();
                if (chunk == null) {
                    request.demand(this);
                    return;
                }
                if (Content.Chunk.isFailure(chunk)) {
                    done.done(length, hex(), false, chunk.getFailure());
                    return;
                }
                ByteBuffer b = chunk.getByteBuffer();
                length += b.remaining();
                sha.update(b);
                chunk.release();
                if (chunk.isLast()) {
                    done.done(length, hex(), true, null);
                    return;
                }
            }
        }

        private String hex() {
            return HexFormat.of().formatHex(sha.digest());
        }
    }

    private void dispatch(ReceivedRequest r, Request request, Response response, Callback callback) throws Exception {
        String path = r.routePath();
        Map<String, String> q = queryParams(r.rawQuery());
        GrafanaJwtAuth auth = jwtAuth;
        if (auth != null) {
            GrafanaJwtAuth.Result result = auth.authenticate(r);
            if (result.error() != null) {
                String message = result.error().startsWith("missing") ? "Missing mandatory claim in JWT" : "Failed to verify JWT";
                respondJson(response, callback, 401, Map.of("message", message));
                return;
            }
            if (path.equals("/api/user")) {
                if (result.user() == null) {
                    respondJson(response, callback, 401, Map.of("message", "Unauthorized"));
                } else {
                    respondJson(response, callback, 200, result.user().toJson());
                }
                return;
            }
        }
        for (Map.Entry<String, Route> e : customRoutes.entrySet()) {
            String p = e.getKey();
            boolean match = p.endsWith("/*") ? path.startsWith(p.substring(0, p.length() - 1)) || path.equals(p.substring(0, p.length() - 2)) : path.equals(p);
            if (match) {
                e.getValue().handle(r, request, response, callback);
                return;
            }
        }
        if (path.equals("/echo") || path.startsWith("/echo/")) {
            echo(r, response, callback);
            return;
        }
        if (path.startsWith("/status/")) {
            status(path.substring("/status/".length()), response, callback);
            return;
        }
        Scheduler scheduler = server.getScheduler();
        switch (path) {
            case "/api/health" -> respond(response, callback, 200, "application/json; charset=UTF-8",
                    "{\"database\":\"ok\",\"version\":\"stand-in\"}".getBytes(StandardCharsets.UTF_8));
            case "/html" -> respond(response, callback, 200, "text/html; charset=UTF-8", HTML_PAGE.getBytes(StandardCharsets.UTF_8));
            case "/slow" -> scheduler.schedule(() -> respond(response, callback, 200, "text/plain",
                    "slow".getBytes(StandardCharsets.US_ASCII)), longParam(q, "ms", 1000), TimeUnit.MILLISECONDS);
            case "/never" -> watchForClose(request, callback);
            case "/drip" -> drip(response, callback, scheduler, (int) longParam(q, "chunks", 5), longParam(q, "intervalMs", 100),
                    (int) longParam(q, "size", 16));
            case "/large" -> large(response, callback, longParam(q, "bytes", 1024), "true".equals(q.get("chunked")));
            case "/upload" -> respondJson(response, callback, 200, Map.of("length", r.bodyLength(), "sha256", r.bodySha256()));
            case "/gzip" -> {
                response.getHeaders().put(HttpHeader.CONTENT_ENCODING, "gzip");
                response.getHeaders().put(HttpHeader.VARY, "Accept-Encoding");
                respond(response, callback, 200, "application/json", GZIP_BYTES);
            }
            case "/sse" -> sse(response, callback, scheduler, (int) longParam(q, "events", 3), longParam(q, "intervalMs", 100));
            case "/redirect" -> redirect(response, callback, baseUrl() + q.getOrDefault("to", "/grafana/login"));
            case "/redirect-relative" -> redirect(response, callback, q.getOrDefault("to", "/grafana/login"));
            case "/cookie" -> {
                if (q.containsKey("path")) {
                    response.getHeaders().add(HttpHeader.SET_COOKIE, "grafana_session=abc; Path=" + q.get("path") + "; HttpOnly");
                } else {
                    response.getHeaders().add(HttpHeader.SET_COOKIE, "grafana_session=abc; Path=/; HttpOnly");
                    response.getHeaders().add(HttpHeader.SET_COOKIE, "other=1; Path=/grafana/; HttpOnly");
                }
                respond(response, callback, 200, "text/plain", "cookies".getBytes(StandardCharsets.US_ASCII));
            }
            case "/etag" -> {
                response.getHeaders().put(HttpHeader.ETAG, "\"v1\"");
                String inm = r.header("If-None-Match");
                boolean match = inm != null && (inm.trim().equals("*") || List.of(inm.split(",")).stream()
                        .map(String::trim).anyMatch(t -> t.equals("\"v1\"") || t.equals("W/\"v1\"")));
                respond(response, callback, match ? 304 : 200, "text/plain", "etag-v1".getBytes(StandardCharsets.US_ASCII));
            }
            case "/abort" -> abort(request, response, callback, longParam(q, "after", 1000),
                    longParam(q, "missing", 1_000_000), "true".equals(q.get("chunked")));
            case "/hop" -> {
                var h = response.getHeaders();
                h.add("Connection", "X-Hop-Custom");
                h.add("X-Hop-Custom", "1");
                h.add("Keep-Alive", "timeout=5");
                h.add("Proxy-Authenticate", "Basic");
                h.add("Trailer", "X-T");
                h.add("Upgrade", "h2c");
                h.add("X-End-To-End", "kept");
                respond(response, callback, 200, "text/plain", "hop".getBytes(StandardCharsets.US_ASCII));
            }
            default -> respond(response, callback, 404, "application/json", "{\"message\":\"Not found\"}".getBytes(StandardCharsets.UTF_8));
        }
    }

    /** A failure Jetty logs at debug level only: these endings are on purpose. */
    private static final class QuietEof extends EOFException implements QuietException {
        QuietEof(String message) {
            super(message);
        }
    }

    private static long longParam(Map<String, String> q, String name, long dflt) {
        String v = q.get(name);
        try {
            return v == null ? dflt : Long.parseLong(v);
        } catch (NumberFormatException e) {
            return dflt;
        }
    }

    private void echo(ReceivedRequest r, Response response, Callback callback) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("method", r.method());
        m.put("rawPath", r.rawPath());
        m.put("rawQuery", r.rawQuery());
        m.put("headers", r.headers().stream().map(h -> List.of(h.name(), h.value())).toList());
        m.put("bodyLength", r.bodyLength());
        m.put("bodySha256", r.bodySha256());
        m.put("remoteAddress", r.remoteAddress());
        m.put("connectionId", r.connectionId());
        respondJson(response, callback, 200, m);
    }

    private static void status(String code, Response response, Callback callback) {
        int status;
        try {
            status = Integer.parseInt(code);
        } catch (NumberFormatException e) {
            status = 0;
        }
        if (status < 100 || status > 599) {
            respond(response, callback, 400, "text/plain", "bad status".getBytes(StandardCharsets.US_ASCII));
            return;
        }
        respond(response, callback, status, "text/plain", ("status " + status).getBytes(StandardCharsets.US_ASCII));
    }

    private static void redirect(Response response, Callback callback, String location) {
        response.getHeaders().put(HttpHeader.LOCATION, location);
        respond(response, callback, 302, "text/plain", "redirect".getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * {@code /never}: Jetty does not read a connection while a request is being handled, so a client
     * hanging up would go unnoticed; ask for read interest ourselves and close on EOF.
     */
    private static void watchForClose(Request request, Callback callback) {
        request.addFailureListener(callback::failed); // in case Jetty notices first
        EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
        endPoint.tryFillInterested(Callback.from(() -> {
            try {
                // Anything readable now is EOF or a pipelined request; neither gets an answer.
                endPoint.fill(ByteBuffer.allocate(1));
            } catch (IOException ignored) {
                // closing anyway
            }
            endPoint.close();
            callback.failed(new QuietEof("client closed the connection during /never"));
        }, x -> callback.failed(x)));
    }

    private static void drip(Response response, Callback callback, Scheduler scheduler, int chunks, long intervalMs, int size) {
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
        new Runnable() {
            private int i;

            @Override
            public void run() {
                if (i >= chunks) {
                    response.write(true, BufferUtil.EMPTY_BUFFER, callback);
                    return;
                }
                byte[] b = new byte[size];
                TestData.copy((long) i * size, b, 0, size);
                i++;
                response.write(false, ByteBuffer.wrap(b), Callback.from(() -> {
                    if (i >= chunks) {
                        run();
                    } else {
                        scheduler.schedule(this, intervalMs, TimeUnit.MILLISECONDS);
                    }
                }, callback::failed));
            }
        }.run();
    }

    private static void sse(Response response, Callback callback, Scheduler scheduler, int events, long intervalMs) {
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        new Runnable() {
            private int i;

            @Override
            public void run() {
                if (i >= events) {
                    response.write(true, BufferUtil.EMPTY_BUFFER, callback);
                    return;
                }
                i++;
                byte[] b = ("data: event-" + i + "\n\n").getBytes(StandardCharsets.UTF_8);
                response.write(false, ByteBuffer.wrap(b), Callback.from(() -> {
                    if (i >= events) {
                        run();
                    } else {
                        scheduler.schedule(this, intervalMs, TimeUnit.MILLISECONDS);
                    }
                }, callback::failed));
            }
        }.run();
    }

    /** Writes TestData 64 KiB at a time, the next slice only once the last one was written. */
    private static void large(Response response, Callback callback, long bytes, boolean chunked) {
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
        if (!chunked) {
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes);
        }
        new IteratingCallback() {
            private long pos;
            private boolean lastWritten;

            @Override
            protected Action process() {
                if (lastWritten) {
                    return Action.SUCCEEDED;
                }
                if (pos >= bytes) {
                    lastWritten = true;
                    response.write(true, BufferUtil.EMPTY_BUFFER, this);
                    return Action.SCHEDULED;
                }
                ByteBuffer slice = TestData.slice(pos, (int) Math.min(TestData.BLOCK_SIZE, bytes - pos));
                pos += slice.remaining();
                lastWritten = pos >= bytes && !chunked; // with chunked, end with a separate empty write
                response.write(lastWritten, slice, this);
                return Action.SCHEDULED;
            }

            @Override
            protected void onCompleteSuccess() {
                callback.succeeded();
            }

            @Override
            protected void onCompleteFailure(Throwable cause) {
                callback.failed(cause);
            }
        }.iterate();
    }

    private static void abort(Request request, Response response, Callback callback, long after, long missing,
                              boolean chunked) {
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
        if (!chunked) {
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, after + missing);
        }
        byte[] b = new byte[(int) after];
        TestData.copy(0, b, 0, b.length);
        EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
        response.write(false, ByteBuffer.wrap(b), Callback.from(() -> {
            endPoint.close(); // bytes are flushed: now break the connection mid-body
            callback.failed(new QuietEof("stand-in aborted the response on purpose"));
        }, callback::failed));
    }
}
