package dev.grafanaproxy.testsupport;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.server.ServerUpgradeRequest;
import org.eclipse.jetty.websocket.server.ServerUpgradeResponse;
import org.eclipse.jetty.websocket.server.ServerWebSocketContainer;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;

/**
 * The Grafana Live stand-in: a Jetty core WebSocket endpoint on {@code /api/live/*} (and
 * {@code /grafana/api/live/*}) of {@link GrafanaStandIn}. The upgrade request is recorded like any
 * other request ({@link GrafanaStandIn#received()}).
 *
 * <p>Upgrade query parameters: {@code refuse=STATUS} answers the upgrade with that status instead
 * of {@code 101}; {@code flood=N&size=S} sends N binary messages of S bytes (default 1024) as fast
 * as the connection takes them, one at a time ({@link #floodSent()} counts those written).
 * Sub-protocols: the first of the client's that is in {@link #PROTOCOLS}, else none.
 *
 * <p>After the upgrade the first message (text) is JSON: {@code {"path", "query", "headers":
 * [[name, value], ...], "subprotocol"}} of the upgrade request as received. Then every text and
 * binary message is echoed, except these text commands:
 * <ul>
 *   <li>{@code close:CODE:REASON}: closes with that code and reason</li>
 *   <li>{@code ping:PAYLOAD}, {@code pong:PAYLOAD}: sends a ping or an unsolicited pong</li>
 *   <li>{@code fragments:N:TEXT}: sends TEXT as one text message in N frames</li>
 *   <li>{@code binfragments:N:BYTES}: sends {@code TestData.stream(BYTES)} as one binary message in N frames</li>
 * </ul>
 * A pong received is answered with the text {@code pong-received:PAYLOAD}. Close codes received
 * from clients are kept in {@link #closes()} as {@code "CODE REASON"}.
 */
public final class GrafanaLive {
    /** Sub-protocols the stand-in accepts, in its order of preference. */
    public static final List<String> PROTOCOLS = List.of("centrifuge-protobuf", "centrifuge-json");

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Set<Session> open = ConcurrentHashMap.newKeySet();
    private final AtomicLong opened = new AtomicLong();
    private final AtomicLong floodSent = new AtomicLong();
    private final List<String> closes = new ArrayList<>();
    private final Consumer<ServerUpgradeRequest> recorder;

    GrafanaLive(Consumer<ServerUpgradeRequest> recorder) {
        this.recorder = recorder;
    }

    WebSocketUpgradeHandler handler(Server server) {
        return WebSocketUpgradeHandler.from(server, this::configure);
    }

    private void configure(ServerWebSocketContainer c) {
        c.setMaxTextMessageSize(64L << 20);
        c.setMaxBinaryMessageSize(64L << 20);
        c.setIdleTimeout(Duration.ofMinutes(10));
        c.addMapping("/api/live/*", this::create);
        c.addMapping("/grafana/api/live/*", this::create);
    }

    private Object create(ServerUpgradeRequest rq, ServerUpgradeResponse rs, org.eclipse.jetty.util.Callback cb) {
        recorder.accept(rq);
        Map<String, String> q = GrafanaStandIn.queryParams(rq.getHttpURI().getQuery());
        if (q.containsKey("refuse")) {
            Response.writeError(rq, rs, cb, Integer.parseInt(q.get("refuse")), "refused by the stand-in");
            return null;
        }
        String protocol = null;
        for (String p : rq.getSubProtocols()) {
            if (PROTOCOLS.contains(p)) {
                protocol = p;
                break;
            }
        }
        if (protocol != null) {
            rs.setAcceptedSubProtocol(protocol);
        }
        Map<String, Object> hello = new LinkedHashMap<>();
        hello.put("path", rq.getHttpURI().getPath());
        hello.put("query", rq.getHttpURI().getQuery());
        hello.put("headers", rq.getHeaders().stream().map(f -> List.of(f.getName(), f.getValue() == null ? "" : f.getValue())).toList());
        hello.put("subprotocol", protocol);
        try {
            return new Endpoint(JSON.writeValueAsString(hello), q);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** WebSocket sessions open now. */
    public int openSessions() {
        return open.size();
    }

    /** WebSocket sessions opened since start. */
    public long sessionsOpened() {
        return opened.get();
    }

    /** Flood messages written so far (all connections). */
    public long floodSent() {
        return floodSent.get();
    }

    /** Close codes and reasons received from clients, {@code "CODE REASON"}, in order. */
    public List<String> closes() {
        synchronized (closes) {
            return List.copyOf(closes);
        }
    }

    /** Waits until a received close matches; returns whether one did within the timeout. */
    public boolean awaitClose(Predicate<String> match, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (closes().stream().anyMatch(match)) {
                return true;
            }
            Thread.sleep(10);
        }
        return false;
    }

    /** Waits until {@link #openSessions()} equals {@code n}. */
    public boolean awaitOpenSessions(int n, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (openSessions() == n) {
                return true;
            }
            Thread.sleep(10);
        }
        return openSessions() == n;
    }

    /** Closes every open session (1001), as a Grafana restart would. */
    public void closeAll() {
        for (Session s : open) {
            s.close(1001, "stand-in going away", Callback.NOOP);
        }
    }

    /** One Live session (public: Jetty invokes its methods through method handles). */
    public final class Endpoint implements Session.Listener.AutoDemanding {
        private final String hello;
        private final Map<String, String> query;
        private Session session;

        Endpoint(String hello, Map<String, String> query) {
            this.hello = hello;
            this.query = query;
        }

        @Override
        public void onWebSocketOpen(Session s) {
            session = s;
            open.add(s);
            opened.incrementAndGet();
            s.sendText(hello, Callback.from(() -> {
                if (query.containsKey("flood")) {
                    flood(Long.parseLong(query.get("flood")), Integer.parseInt(query.getOrDefault("size", "1024")), 0);
                }
            }, x -> { }));
        }

        private void flood(long n, int size, long i) {
            if (i >= n || !session.isOpen()) {
                return;
            }
            byte[] b = new byte[size];
            TestData.copy(i * size, b, 0, size);
            session.sendBinary(ByteBuffer.wrap(b), Callback.from(() -> {
                floodSent.incrementAndGet();
                flood(n, size, i + 1);
            }, x -> { }));
        }

        @Override
        public void onWebSocketText(String message) {
            if (message.startsWith("close:")) {
                String[] p = message.split(":", 3);
                session.close(Integer.parseInt(p[1]), p.length > 2 ? p[2] : null, Callback.NOOP);
            } else if (message.startsWith("ping:")) {
                session.sendPing(ByteBuffer.wrap(message.substring(5).getBytes(StandardCharsets.UTF_8)), Callback.NOOP);
            } else if (message.startsWith("pong:")) {
                session.sendPong(ByteBuffer.wrap(message.substring(5).getBytes(StandardCharsets.UTF_8)), Callback.NOOP);
            } else if (message.startsWith("fragments:")) {
                String[] p = message.split(":", 3);
                fragments(p[2], Integer.parseInt(p[1]), 0);
            } else if (message.startsWith("binfragments:")) {
                String[] p = message.split(":", 3);
                int length = Integer.parseInt(p[2]);
                byte[] all = new byte[length];
                TestData.copy(0, all, 0, length);
                binFragments(all, Integer.parseInt(p[1]), 0);
            } else {
                session.sendText(message, Callback.NOOP);
            }
        }

        private void fragments(String text, int n, int i) {
            int from = text.length() * i / n;
            int to = text.length() * (i + 1) / n;
            session.sendPartialText(text.substring(from, to), i == n - 1,
                    Callback.from(() -> {
                        if (i < n - 1) {
                            fragments(text, n, i + 1);
                        }
                    }, x -> { }));
        }

        private void binFragments(byte[] all, int n, int i) {
            int from = (int) ((long) all.length * i / n);
            int to = (int) ((long) all.length * (i + 1) / n);
            session.sendPartialBinary(ByteBuffer.wrap(all, from, to - from), i == n - 1,
                    Callback.from(() -> {
                        if (i < n - 1) {
                            binFragments(all, n, i + 1);
                        }
                    }, x -> { }));
        }

        @Override
        public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
            ByteBuffer copy = ByteBuffer.allocate(payload.remaining()).put(payload).flip();
            callback.succeed();
            session.sendBinary(copy, Callback.NOOP);
        }

        @Override
        public void onWebSocketPong(ByteBuffer payload) {
            byte[] b = new byte[payload.remaining()];
            payload.get(b);
            session.sendText("pong-received:" + new String(b, StandardCharsets.UTF_8), Callback.NOOP);
        }

        @Override
        public void onWebSocketClose(int statusCode, String reason) {
            open.remove(session);
            synchronized (closes) {
                closes.add(statusCode + " " + (reason == null ? "" : reason));
            }
        }

        @Override
        public void onWebSocketError(Throwable cause) {
            open.remove(session);
        }
    }
}
