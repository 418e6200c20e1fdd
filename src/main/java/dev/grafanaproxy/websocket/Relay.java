package dev.grafanaproxy.websocket;

import dev.grafanaproxy.config.ProxyConfig;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.PongMessage;
import jakarta.websocket.SendResult;
import jakarta.websocket.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * One relayed WebSocket: the upstream side is a JDK {@link WebSocket.Listener}, the client side a
 * Jakarta {@link Endpoint} ({@link RelayEndpoint}). No thread belongs to a relay; work happens in the
 * callbacks of either side, and buffering is bounded both ways:
 *
 * <ul>
 *   <li><b>Grafana to client.</b> The JDK client reads a message only on demand. The relay asks for
 *       the next one ({@code request(1)}) only when the container reports the previous one written
 *       to the client's connection, so at most one message is held per connection; a slow client
 *       stops the reading from Grafana, whose own slow-client policy then applies. The Jakarta API
 *       sends partial messages only with blocking calls, so the parts of a fragmented message are
 *       joined (up to {@link WebSocketRelays#MAX_MESSAGE}) and sent whole, asynchronously; the
 *       message is unchanged (RFC 6455 section 5.4 lets an intermediary re-fragment).</li>
 *   <li><b>Client to Grafana.</b> Parts are passed on as parts ({@code MessageHandler.Partial} to the
 *       JDK's {@code sendText/sendBinary(part, last)}), queued behind each other up to
 *       {@link WebSocketRelays#CLIENT_WINDOW}. The Jakarta API cannot pause reading, so beyond that
 *       the container's reading thread waits until Grafana has taken the queue (at most
 *       {@code proxy.response_timeout}); meanwhile the container reads nothing more from that
 *       client, which TCP passes back to the client. Only a connection whose Grafana side is
 *       congested holds a thread, and only for that time.</li>
 * </ul>
 *
 * Pings from Grafana are answered by the JDK client and also passed to the client (whose answer is
 * then not passed back, so Grafana gets one pong per ping); other pongs pass both ways. Pings from the client are answered by the container (the Jakarta API does not deliver them).
 * Close codes and reasons pass both ways; a connection lost without a Close frame is aborted on the
 * other side too.
 */
final class Relay implements WebSocket.Listener {
    private static final Logger LOG = LoggerFactory.getLogger(Relay.class);
    private static final long CLOSE_GRACE_MS = 5_000;
    private static final int CLOSE_ABNORMAL = 1006;
    private static final int CLOSE_NO_STATUS = 1005;
    private static final int CLOSE_TLS = 1015;
    private static final int CLOSE_TOO_BIG = 1009;
    private static final int CLOSE_ERROR = 1011;

    private final WebSocketRelays owner;
    private final ProxyConfig config;
    private final String target;
    private final RelayEndpoint clientSide = new RelayEndpoint(this);

    private volatile WebSocket upstream;
    /** {@link System#nanoTime()} of the last message either way, for {@code websocket.idle_timeout}. */
    private volatile long lastActivity = System.nanoTime();
    private volatile Session client;
    private CloseReason pendingClientClose; // guarded by this: Grafana closed before the client's session opened

    // Grafana to client: touched only by the JDK listener's calls, which are sequential
    private StringBuilder text;
    private byte[] binary;
    private int binaryLength;

    // client to Grafana: touched only by the container's handler calls for this session, which are sequential
    private volatile CompletableFuture<WebSocket> lastSend;
    private final java.util.concurrent.atomic.AtomicLong queued = new java.util.concurrent.atomic.AtomicLong();

    /** The payload of the last ping passed to the client: its pong is not passed back (the JDK already answered). */
    private volatile ByteBuffer forwardedPing;

    private final AtomicBoolean upstreamClosed = new AtomicBoolean();
    private final AtomicBoolean clientClosing = new AtomicBoolean();
    private final AtomicBoolean finished = new AtomicBoolean();

    Relay(WebSocketRelays owner, ProxyConfig config, String target) {
        this.owner = owner;
        this.config = config;
        this.target = target;
    }

    RelayEndpoint clientSide() {
        return clientSide;
    }

    void upstream(WebSocket ws) {
        this.upstream = ws;
    }

    /** The container did not switch protocols after all: let Grafana go. */
    void upgradeFailed() {
        upstreamClosed.set(true);
        upstream.abort();
    }

    /** A client session that never opens must not leave Grafana's side open. */
    void expectClientOpen(Duration timeout) {
        owner.timer().schedule(() -> {
            synchronized (this) {
                if (client != null) {
                    return;
                }
            }
            LOG.debug("WebSocket {}: the client session did not open; closing Grafana's side", target);
            upgradeFailed();
        }, timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Undeploy: a Close (1001) to both sides; {@link #abort()} follows if they do not finish. */
    void shutdown() {
        String reason = "Grafana proxy is shutting down";
        closeClient(CloseReason.CloseCodes.GOING_AWAY.getCode(), reason);
        closeUpstream(CloseReason.CloseCodes.GOING_AWAY.getCode(), reason);
    }

    /** Whether nothing passed either way for longer than {@code websocket.idle_timeout} (never when zero). */
    boolean idleTimedOut() {
        long idle = config.websocketIdleTimeout().toNanos();
        return idle > 0 && System.nanoTime() - lastActivity > idle;
    }

    /** {@code websocket.idle_timeout} expired: a Close (1001) to both sides. */
    void idleTimeout() {
        LOG.debug("WebSocket {}: idle timeout", target);
        String reason = "idle timeout";
        closeClient(CloseReason.CloseCodes.GOING_AWAY.getCode(), reason);
        closeUpstream(CloseReason.CloseCodes.GOING_AWAY.getCode(), reason);
    }

    /** Drops both connections now. */
    void abort() {
        upstreamClosed.set(true);
        WebSocket ws = upstream;
        if (ws != null) {
            ws.abort();
        }
        Session s = client;
        if (s != null && s.isOpen()) {
            try {
                s.close(new CloseReason(CloseReason.CloseCodes.GOING_AWAY, "Grafana proxy is shutting down"));
            } catch (IOException | RuntimeException e) {
                LOG.debug("WebSocket {}: closing the client failed: {}", target, e.toString());
            }
        }
        finish();
    }

    private void finish() {
        if (finished.compareAndSet(false, true)) {
            owner.finished(this);
        }
    }

    // --- Grafana to client (JDK listener) ------------------------------------------------------

    @Override
    public void onOpen(WebSocket webSocket) {
        // no demand until the client's session is open: ClientSide.onOpen asks for the first message
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
        lastActivity = System.nanoTime();
        if (text == null && last) {
            sendTextToClient(data.toString());
            return null;
        }
        if (text == null) {
            text = new StringBuilder(Math.max(16, data.length() * 2));
        }
        if ((long) text.length() + data.length() > WebSocketRelays.MAX_MESSAGE) {
            text = null;
            tooBig();
            return null;
        }
        text.append(data);
        if (!last) {
            ws.request(1);
            return null;
        }
        String message = text.toString();
        text = null;
        sendTextToClient(message);
        return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
        lastActivity = System.nanoTime();
        if (binary == null && last) {
            // the JDK keeps the buffer until the returned stage completes: no copy needed
            CompletableFuture<Void> reclaim = new CompletableFuture<>();
            try {
                client.getAsyncRemote().sendBinary(data, r -> {
                    reclaim.complete(null);
                    clientSent(r);
                });
            } catch (RuntimeException e) {
                reclaim.complete(null);
                clientFailed(e);
            }
            return reclaim;
        }
        int n = data.remaining();
        if ((long) binaryLength + n > WebSocketRelays.MAX_MESSAGE) {
            binary = null;
            binaryLength = 0;
            tooBig();
            return null;
        }
        if (binary == null) {
            binary = new byte[Math.max(8192, n * 2)];
        } else if (binary.length - binaryLength < n) {
            byte[] bigger = new byte[(int) Math.min(WebSocketRelays.MAX_MESSAGE, Math.max((long) binary.length * 2, (long) binaryLength + n))];
            System.arraycopy(binary, 0, bigger, 0, binaryLength);
            binary = bigger;
        }
        data.get(binary, binaryLength, n);
        binaryLength += n;
        if (!last) {
            ws.request(1);
            return null;
        }
        ByteBuffer message = ByteBuffer.wrap(binary, 0, binaryLength);
        binary = null;
        binaryLength = 0;
        try {
            client.getAsyncRemote().sendBinary(message, this::clientSent);
        } catch (RuntimeException e) {
            clientFailed(e);
        }
        return null;
    }

    @Override
    public CompletionStage<?> onPing(WebSocket ws, ByteBuffer message) {
        lastActivity = System.nanoTime();
        // The JDK client has already answered Grafana with a pong; the client gets the ping too.
        // No message is being sent to the client now (demand follows completion), so this small
        // control frame goes out at once.
        try {
            ByteBuffer payload = copy(message);
            forwardedPing = payload.duplicate();
            client.getAsyncRemote().sendPing(payload);
            ws.request(1);
        } catch (IOException | RuntimeException e) {
            clientFailed(e);
        }
        return null;
    }

    @Override
    public CompletionStage<?> onPong(WebSocket ws, ByteBuffer message) {
        lastActivity = System.nanoTime();
        try {
            client.getAsyncRemote().sendPong(copy(message));
            ws.request(1);
        } catch (IOException | RuntimeException e) {
            clientFailed(e);
        }
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
        upstreamClosed.set(true);
        LOG.debug("WebSocket {}: Grafana closed with {} {}", target, statusCode, reason);
        closeClient(toClientCode(statusCode), reason);
        return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
        upstreamClosed.set(true);
        LOG.debug("WebSocket {}: connection to Grafana failed: {}", target, error.toString());
        closeClient(CLOSE_ERROR, "Grafana connection failed");
    }

    private void sendTextToClient(String message) {
        try {
            client.getAsyncRemote().sendText(message, this::clientSent);
        } catch (RuntimeException e) {
            clientFailed(e);
        }
    }

    /** The container has written the last message to the client: read the next one from Grafana. */
    private void clientSent(SendResult result) {
        if (result.isOK()) {
            upstream.request(1);
        } else {
            clientFailed(result.getException());
        }
    }

    private void clientFailed(Throwable t) {
        LOG.debug("WebSocket {}: sending to the client failed: {}", target, String.valueOf(t));
        // the client's connection is gone or going: Grafana's side goes the same way
        upstreamClosed.set(true);
        WebSocket ws = upstream;
        if (ws != null) {
            ws.abort();
        }
    }

    private void tooBig() {
        String reason = "message larger than " + (WebSocketRelays.MAX_MESSAGE >> 20) + " MiB";
        LOG.info("WebSocket {}: Grafana sent a {}; closing", target, reason);
        closeClient(CLOSE_TOO_BIG, reason);
        closeUpstream(CLOSE_TOO_BIG, reason);
    }

    /** Codes that never appear in a Close frame become the nearest one that may. */
    private static int toClientCode(int code) {
        if (code == CLOSE_NO_STATUS) {
            return CloseReason.CloseCodes.NORMAL_CLOSURE.getCode();
        }
        if (code == CLOSE_ABNORMAL || code == CLOSE_TLS || code < 1000 || code > 4999) {
            return CLOSE_ERROR;
        }
        return code;
    }

    private void closeClient(int code, String reason) {
        if (!clientClosing.compareAndSet(false, true)) {
            return;
        }
        CloseReason close = new CloseReason(CloseReason.CloseCodes.getCloseCode(code), truncate(reason));
        Session s;
        synchronized (this) {
            s = client;
            if (s == null) {
                pendingClientClose = close;
                return;
            }
        }
        closeClient(s, close);
    }

    private void closeClient(Session s, CloseReason close) {
        try {
            s.close(close);
        } catch (IOException | RuntimeException e) {
            LOG.debug("WebSocket {}: closing the client failed: {}", target, e.toString());
        }
    }

    /** Sends a Close to Grafana after whatever is being sent, and aborts if Grafana does not finish. */
    private void closeUpstream(int code, String reason) {
        if (!upstreamClosed.compareAndSet(false, true)) {
            return;
        }
        WebSocket ws = upstream;
        if (ws == null) {
            return;
        }
        String r = truncate(reason);
        CompletableFuture<WebSocket> prev = lastSend;
        CompletableFuture<?> before = prev == null ? CompletableFuture.completedFuture(null) : prev.handle((x, t) -> null);
        before.thenCompose(x -> sendClose(ws, code, r)).whenComplete((x, t) -> {
            if (t != null) {
                ws.abort();
            }
        });
        owner.timer().schedule(ws::abort, CLOSE_GRACE_MS, TimeUnit.MILLISECONDS);
    }

    /** The JDK client may not send some codes (1002, 1003, 1007, 1009, 1011...): those go as 1000 with the reason. */
    private static CompletableFuture<WebSocket> sendClose(WebSocket ws, int code, String reason) {
        CompletableFuture<WebSocket> f;
        try {
            f = ws.sendClose(code, reason);
        } catch (IllegalArgumentException e) {
            f = CompletableFuture.failedFuture(e);
        }
        return f.exceptionallyCompose(t -> {
            Throwable cause = t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
            if (cause instanceof IllegalArgumentException && code != WebSocket.NORMAL_CLOSURE) {
                return ws.sendClose(WebSocket.NORMAL_CLOSURE, reason);
            }
            return CompletableFuture.failedFuture(t);
        });
    }

    /** Close reasons are at most 123 bytes of UTF-8. */
    static String truncate(String reason) {
        if (reason == null) {
            return "";
        }
        byte[] b = reason.getBytes(StandardCharsets.UTF_8);
        if (b.length <= 123) {
            return reason;
        }
        int end = reason.length();
        while (reason.substring(0, end).getBytes(StandardCharsets.UTF_8).length > 123) {
            end--;
        }
        if (end > 0 && Character.isHighSurrogate(reason.charAt(end - 1))) {
            end--;
        }
        return reason.substring(0, end);
    }

    private static ByteBuffer copy(ByteBuffer b) {
        ByteBuffer c = ByteBuffer.allocate(b.remaining());
        c.put(b.duplicate()).flip();
        return c;
    }

    // --- client to Grafana (Jakarta endpoint) --------------------------------------------------

    private void fromClientText(String part, boolean last) {
        toUpstream(part.length(), () -> upstream.sendText(part, last));
    }

    private void fromClientBinary(ByteBuffer part, boolean last) {
        ByteBuffer copy = copy(part); // the container reuses its buffer once the handler returns
        toUpstream(copy.remaining(), () -> upstream.sendBinary(copy, last));
    }

    private void fromClientPong(PongMessage pong) {
        ByteBuffer copy = copy(pong.getApplicationData());
        ByteBuffer answered = forwardedPing;
        if (answered != null && answered.equals(copy)) {
            forwardedPing = null; // the client's answer to Grafana's ping, which the JDK client has answered already
            return;
        }
        toUpstream(copy.remaining(), () -> upstream.sendPong(copy));
    }

    /**
     * Queues the next send to Grafana behind the previous ones (the JDK client takes one at a time).
     * Up to {@link WebSocketRelays#CLIENT_WINDOW} may wait in the queue; beyond that the container's
     * reading thread waits here until Grafana has taken everything queued, which is what stops the
     * container reading more from this client.
     */
    private void toUpstream(long size, Supplier<CompletableFuture<WebSocket>> send) {
        lastActivity = System.nanoTime();
        if (upstreamClosed.get()) {
            return;
        }
        CompletableFuture<WebSocket> prev = lastSend;
        if (prev != null && queued.get() >= WebSocketRelays.CLIENT_WINDOW) {
            try {
                prev.get(config.responseTimeout().toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                LOG.info("WebSocket {}: Grafana took nothing for {} ms; closing", target, config.responseTimeout().toMillis());
                closeClient(CLOSE_ERROR, "Grafana is not reading");
                upstreamClosed.set(true);
                upstream.abort();
                return;
            } catch (ExecutionException e) {
                return; // the upstream failed: onError closes the client
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        queued.addAndGet(size);
        CompletableFuture<WebSocket> next = prev == null ? send.get() : prev.thenCompose(x -> send.get());
        next.whenComplete((x, t) -> queued.addAndGet(-size));
        lastSend = next;
    }

    void clientClosed(CloseReason reason) {
        clientClosing.set(true);
        int code = reason == null ? CLOSE_ABNORMAL : reason.getCloseCode().getCode();
        String phrase = reason == null ? "" : reason.getReasonPhrase();
        LOG.debug("WebSocket {}: client closed with {} {}", target, code, phrase);
        if (code == CLOSE_ABNORMAL || code == CLOSE_TLS) {
            // lost without a Close frame: Grafana's connection is dropped the same way
            if (upstreamClosed.compareAndSet(false, true)) {
                upstream.abort();
            }
        } else {
            closeUpstream(code == CLOSE_NO_STATUS ? WebSocket.NORMAL_CLOSURE : code, phrase);
        }
        finish();
    }

    // --- the Jakarta endpoint's events (see RelayEndpoint) ----------------------------------------

    void clientOpened(Session session) {
        // the relay keeps its own idle timer over both sides (Tomcat checks its own only every 10 s)
        session.setMaxIdleTimeout(0);
        // Tomcat gives a Close frame with a code other than 1000 only 50 ms to find the connection
        // free; a message still being written to the client would turn a clean close into 1006.
        session.getUserProperties().put("org.apache.tomcat.websocket.ABNORMAL_SESSION_CLOSE_SEND_TIMEOUT", CLOSE_GRACE_MS);
        session.setMaxTextMessageBufferSize(WebSocketRelays.CLIENT_PART_SIZE);
        session.setMaxBinaryMessageBufferSize(WebSocketRelays.CLIENT_PART_SIZE);
        session.addMessageHandler(String.class, (MessageHandler.Partial<String>) this::fromClientText);
        session.addMessageHandler(ByteBuffer.class, (MessageHandler.Partial<ByteBuffer>) this::fromClientBinary);
        session.addMessageHandler(PongMessage.class, (MessageHandler.Whole<PongMessage>) this::fromClientPong);
        CloseReason pending;
        synchronized (this) {
            client = session;
            pending = pendingClientClose;
        }
        owner.opened(this);
        LOG.debug("WebSocket {}: relaying (sub-protocol \"{}\")", target, session.getNegotiatedSubprotocol());
        if (pending != null) {
            closeClient(session, pending);
            return;
        }
        upstream.request(1);
    }

    void clientError(Throwable thr) {
        LOG.debug("WebSocket {}: client connection error: {}", target, String.valueOf(thr));
    }
}
