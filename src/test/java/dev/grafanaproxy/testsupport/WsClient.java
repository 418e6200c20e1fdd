package dev.grafanaproxy.testsupport;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A WebSocket test client on the JDK's {@link WebSocket}: messages are joined from their parts and
 * queued as {@link Event}s with the number of parts they came in; pings, pongs, close and errors are
 * queued too. With {@code autoRead=false} it reads only what {@link #request(long)} allows (a
 * slow-reading client).
 */
public final class WsClient implements AutoCloseable {
    private static final HttpClient SHARED = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /** One thing received. {@code type} is TEXT, BINARY, PING, PONG, CLOSE or ERROR. */
    public record Event(String type, String text, byte[] bytes, int parts, int code, Throwable error) {
        @Override
        public String toString() {
            return type + (text != null ? "(" + (text.length() > 80 ? text.substring(0, 80) + "..." : text) + ")" : "")
                    + (bytes != null ? "[" + bytes.length + " bytes]" : "") + (type.equals("CLOSE") ? " " + code : "")
                    + (error != null ? " " + error : "");
        }
    }

    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final boolean autoRead;
    private WebSocket ws;

    private WsClient(boolean autoRead) {
        this.autoRead = autoRead;
    }

    /** Connects, auto-reading; headers may not include JDK-restricted names (Host, Connection...). */
    public static WsClient connect(URI uri, Map<String, String> headers, List<String> protocols) throws Exception {
        return connect(uri, headers, protocols, true);
    }

    public static WsClient connect(URI uri, Map<String, String> headers, List<String> protocols, boolean autoRead) throws Exception {
        WsClient c = new WsClient(autoRead);
        c.ws = connectAsync(uri, headers, protocols, c.listener()).get(30, TimeUnit.SECONDS);
        return c;
    }

    /** The status the server answered a refused handshake with (fails if it was accepted). */
    public static int refusedStatus(URI uri, Map<String, String> headers) throws Exception {
        try {
            WebSocket w = connectAsync(uri, headers, List.of(), new WebSocket.Listener() { }).get(30, TimeUnit.SECONDS);
            w.abort();
            throw new AssertionError("the upgrade was accepted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException h) {
                return h.getResponse().statusCode();
            }
            throw e;
        }
    }

    private static CompletableFuture<WebSocket> connectAsync(URI uri, Map<String, String> headers, List<String> protocols,
            WebSocket.Listener listener) {
        WebSocket.Builder b = SHARED.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
        headers.forEach(b::header);
        if (!protocols.isEmpty()) {
            b.subprotocols(protocols.get(0), protocols.subList(1, protocols.size()).toArray(new String[0]));
        }
        return b.buildAsync(uri, listener);
    }

    private WebSocket.Listener listener() {
        return new WebSocket.Listener() {
            private final StringBuilder text = new StringBuilder();
            private final ByteArrayOutputStream binary = new ByteArrayOutputStream();
            private int parts;

            @Override
            public void onOpen(WebSocket webSocket) {
                webSocket.request(1);
            }

            @Override
            public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                text.append(data);
                parts++;
                if (last) {
                    events.add(new Event("TEXT", text.toString(), null, parts, 0, null));
                    text.setLength(0);
                    parts = 0;
                }
                more(w);
                return null;
            }

            @Override
            public CompletionStage<?> onBinary(WebSocket w, ByteBuffer data, boolean last) {
                byte[] b = new byte[data.remaining()];
                data.get(b);
                binary.writeBytes(b);
                parts++;
                if (last) {
                    events.add(new Event("BINARY", null, binary.toByteArray(), parts, 0, null));
                    binary.reset();
                    parts = 0;
                }
                more(w);
                return null;
            }

            @Override
            public CompletionStage<?> onPing(WebSocket w, ByteBuffer message) {
                events.add(new Event("PING", StandardCharsets.UTF_8.decode(message).toString(), null, 1, 0, null));
                more(w);
                return null;
            }

            @Override
            public CompletionStage<?> onPong(WebSocket w, ByteBuffer message) {
                events.add(new Event("PONG", StandardCharsets.UTF_8.decode(message).toString(), null, 1, 0, null));
                more(w);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket w, int statusCode, String reason) {
                events.add(new Event("CLOSE", reason, null, 1, statusCode, null));
                return null;
            }

            @Override
            public void onError(WebSocket w, Throwable error) {
                events.add(new Event("ERROR", null, null, 0, 0, error));
            }

            private void more(WebSocket w) {
                if (autoRead) {
                    w.request(1);
                }
            }
        };
    }

    public WebSocket socket() {
        return ws;
    }

    /** The sub-protocol the server selected ("" for none). */
    public String subprotocol() {
        return ws.getSubprotocol();
    }

    /** Allows {@code n} more deliveries (for {@code autoRead=false}). */
    public void request(long n) {
        ws.request(n);
    }

    public void sendText(String text) throws Exception {
        ws.sendText(text, true).get(60, TimeUnit.SECONDS);
    }

    public void sendBinary(byte[] bytes) throws Exception {
        ws.sendBinary(ByteBuffer.wrap(bytes), true).get(60, TimeUnit.SECONDS);
    }

    /** Sends one text message in {@code n} parts. */
    public void sendTextInParts(String text, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            ws.sendText(text.substring(text.length() * i / n, text.length() * (i + 1) / n), i == n - 1).get(60, TimeUnit.SECONDS);
        }
    }

    public void sendPong(String payload) throws Exception {
        ws.sendPong(ByteBuffer.wrap(payload.getBytes(StandardCharsets.UTF_8))).get(10, TimeUnit.SECONDS);
    }

    public void close(int code, String reason) throws Exception {
        ws.sendClose(code, reason).get(10, TimeUnit.SECONDS);
    }

    /** The next event; fails if none arrives within {@code timeout}. */
    public Event next(Duration timeout) throws InterruptedException {
        Event e = events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (e == null) {
            throw new AssertionError("nothing received within " + timeout);
        }
        return e;
    }

    /** The next event, waiting up to 10 s. */
    public Event next() throws InterruptedException {
        return next(Duration.ofSeconds(10));
    }

    /** The next event of this type, skipping others; fails after {@code timeout}. */
    public Event next(String type, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = end - System.nanoTime();
            Event e = events.poll(Math.max(0, left), TimeUnit.NANOSECONDS);
            if (e == null) {
                throw new AssertionError("no " + type + " received within " + timeout);
            }
            if (e.type().equals(type)) {
                return e;
            }
        }
    }

    /** The next event if one arrives within {@code timeout}, else null. */
    public Event poll(Duration timeout) throws InterruptedException {
        return events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        if (ws != null) {
            ws.abort();
        }
    }
}
