package dev.grafanaproxy.proxy;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.nio.AsyncResponseConsumer;
import org.apache.hc.core5.http.nio.CapacityChannel;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.List;

/**
 * The response half of one exchange: "server to proxy response" (an HttpCore
 * {@link AsyncResponseConsumer}) and "proxy to client response" (a Servlet {@link WriteListener}).
 *
 * <p>Flow control: HttpCore delivers at most its capacity window before it stops reading from
 * Grafana; this relay grants the window back only for bytes the client's connection has accepted.
 * So a slow browser slows Grafana's socket, never the heap. Whatever arrives is written at once and
 * flushed when nothing more is queued, so a small first chunk or an SSE event is not held back.
 *
 * <p>Failures: before anything reached the client, the client gets a 502/504 JSON answer. After the
 * response was committed, the client connection is aborted, never completed, so a truncated body
 * cannot look whole. If the client goes away, the exchange with Grafana is cancelled.
 */
final class ResponseRelay implements AsyncResponseConsumer<Void>, WriteListener, AsyncListener {
    private static final Logger LOG = LoggerFactory.getLogger(ResponseRelay.class);

    private final ProxyServlet servlet;
    private final Upstream upstreamConfig;
    private final HttpServletRequest request;
    private final HttpServletResponse response;
    private final AsyncContext async;
    private final String logTarget;
    private final String targetName;
    private final long startNanos = System.nanoTime();

    private final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>();
    /**
     * Chunk buffers the client's connection has taken, kept for the next chunks: a download then
     * allocates a window's worth per exchange instead of a copy per read (200 MB streamed made
     * 200 MB of garbage, and the collections that go with it). Only full-size chunks are kept, so an
     * event stream that sends small events holds nothing extra while it waits.
     */
    private final ArrayDeque<ByteBuffer> spare = new ArrayDeque<>();
    /** The chunk written last: the container may still read from it until {@code isReady()} says true. */
    private ByteBuffer lastWritten;
    private ServletOutputStream out;
    private CapacityChannel capacity;
    /** Bytes written to the client but not yet granted back to HttpCore (no capacity channel yet). */
    private int ungranted;
    private boolean headersSent;
    /** The relay answers with its own error (a refusal, a 502/504): Grafana's callbacks no longer count. */
    private boolean ownAnswer;
    /** Grafana's head while its small body is still arriving (see {@link #WHOLE_BODY_LIMIT}). */
    private HttpResponse heldHead;
    private boolean upstreamEnded;
    private boolean finished;
    private volatile UpstreamExchange upstream;
    /** A filter's listener for the end of the request, told directly when the client goes away. */
    private volatile AsyncListener completion;
    /** Completes the exchange's future: HttpClient's contract for a response consumer. */
    private FutureCallback<Void> result;

    ResponseRelay(ProxyServlet servlet, Upstream upstreamConfig, HttpServletRequest request, HttpServletResponse response,
                  AsyncContext async, String logTarget) {
        this(servlet, upstreamConfig, request, response, async, logTarget, "Grafana");
    }

    /** @param targetName how failures name the target, e.g. {@code Grafana} */
    ResponseRelay(ProxyServlet servlet, Upstream upstreamConfig, HttpServletRequest request, HttpServletResponse response,
                  AsyncContext async, String logTarget, String targetName) {
        this.targetName = targetName;
        this.servlet = servlet;
        this.upstreamConfig = upstreamConfig;
        this.request = request;
        this.response = response;
        this.async = async;
        this.logTarget = logTarget;
    }

    void completionListener(AsyncListener listener) {
        this.completion = listener;
    }

    void upstream(UpstreamExchange exchange) {
        this.upstream = exchange;
        if (isFinished()) {
            cancelUpstream();
        }
    }

    private synchronized boolean isFinished() {
        return finished;
    }

    /**
     * Breaks off the exchange with Grafana, unless Grafana's answer is already complete: then there
     * is nothing left to stop, and its connection goes back to the pool.
     */
    private void cancelUpstream() {
        UpstreamExchange u = upstream;
        boolean ended;
        synchronized (this) {
            ended = upstreamEnded;
        }
        if (u != null && !ended) {
            u.cancel();
        }
    }

    // --- server to proxy response -----------------------------------------------------------

    @Override
    public void consumeResponse(HttpResponse upstreamResponse, EntityDetails entity, HttpContext context,
                                FutureCallback<Void> resultCallback) throws IOException {
        boolean whole = entity != null && entity.getContentLength() >= 0
                && entity.getContentLength() <= WHOLE_BODY_LIMIT;
        synchronized (this) {
            if (finished || ownAnswer) {
                return;
            }
            result = resultCallback;
            servlet.metrics().upstreamResponse(System.nanoTime() - startNanos);
            if (whole) {
                heldHead = upstreamResponse;
            } else {
                sendHead(upstreamResponse);
            }
            if (entity == null) {
                upstreamEnded = true;
            }
        }
        if (entity == null) {
            resultCallback.completed(null);
        }
        drain(); // sends the headers at once (an event stream's first event may be long in coming)
    }

    /**
     * Registers this relay as the response's write listener. Called on the container thread that
     * runs the servlet, before the exchange starts: Tomcat runs the first {@code onWritePossible}
     * on the calling thread, and from an HttpCore I/O thread that would go on to complete the
     * request and serve the connection's next one there, stalling every exchange of that thread.
     */
    void startWriting() throws IOException {
        ServletOutputStream o = response.getOutputStream();
        synchronized (this) {
            out = o;
        }
        o.setWriteListener(this);
    }

    /** Applies Grafana's status and headers to the client's response; the lock is held. */
    private void sendHead(HttpResponse upstreamResponse) {
        servlet.onServerResponseHeaders(request, response, upstreamConfig, upstreamResponse);
        headersSent = true;
    }

    @Override
    public void informationResponse(HttpResponse info, HttpContext context) {
        // 1xx from Grafana are hop-level: the container speaks 100-continue with the client itself
    }

    @Override
    public void updateCapacity(CapacityChannel channel) throws IOException {
        int grant;
        synchronized (this) {
            capacity = channel;
            grant = ungranted;
            ungranted = 0;
        }
        if (grant > 0) {
            channel.update(grant);
        }
    }

    @Override
    public void consume(ByteBuffer src) throws IOException {
        int length = src.remaining();
        if (length == 0) {
            return;
        }
        synchronized (this) {
            if (finished || ownAnswer) {
                return;
            }
            while (src.hasRemaining()) {
                ByteBuffer chunk = src.remaining() >= CHUNK / 2 ? takeSpare() : ByteBuffer.allocate(src.remaining());
                int n = Math.min(chunk.remaining(), src.remaining());
                int limit = src.limit();
                src.limit(src.position() + n);
                chunk.put(src).flip();
                src.limit(limit);
                queue.addLast(chunk);
            }
        }
        drain();
    }

    @Override
    public void streamEnd(List<? extends Header> trailers) {
        FutureCallback<Void> done;
        synchronized (this) {
            if (ownAnswer) {
                return;
            }
            upstreamEnded = true;
            done = result;
            if (heldHead != null && !finished) {
                sendHead(heldHead); // the small body is all in: head and body now leave together
            }
            heldHead = null;
        }
        if (done != null) {
            done.completed(null); // Grafana's side is complete; the client side drains on its own
        }
        drain();
    }

    @Override
    public void failed(Exception cause) {
        upstreamFailed(cause);
    }

    @Override
    public void releaseResources() {
        // buffers are plain heap arrays owned by this relay
    }

    // --- proxy to client response -----------------------------------------------------------

    @Override
    public void onWritePossible() {
        drain();
    }

    @Override
    public void onError(Throwable t) {
        clientFailed(t);
    }

    /**
     * A body whose Content-Length is at most this is relayed whole: the client's response starts
     * only once all of it is in. Head and body then leave in one write, from one container thread
     * that also completes the request, instead of a write for the head, another for the body and
     * a further hand-over to complete (1 KB answers: measured below in benchmarks/run). And should
     * Grafana break off within such a body, the client still gets a clean 502/504, not a cut body.
     * Half the flow-control window, so the whole body always fits without a capacity grant.
     */
    static final long WHOLE_BODY_LIMIT = UpstreamClient.WINDOW / 2;
    /** Chunk size: HttpCore's read size, so a read fills one chunk. */
    private static final int CHUNK = UpstreamClient.BUFFER_SIZE;
    /** Enough for a full window in flight; more are never needed. */
    private static final int MAX_SPARE = UpstreamClient.WINDOW / CHUNK + 1;

    private ByteBuffer takeSpare() {
        ByteBuffer b = spare.pollFirst();
        return b != null ? b : ByteBuffer.allocate(CHUNK);
    }

    /** The last chunk written is free again (called once {@code isReady()} said true). */
    private void recycleWritten() {
        ByteBuffer b = lastWritten;
        if (b != null) {
            lastWritten = null;
            if (b.capacity() == CHUNK && spare.size() < MAX_SPARE) {
                spare.addFirst(b.clear());
            }
        }
    }

    /**
     * Writes queued bytes while the client's connection accepts them; grants the written amount back
     * to HttpCore; completes once Grafana's body has ended and everything is out. Runs on the I/O
     * thread (new data) or a container thread (client writable again); the lock makes it exclusive.
     */
    private void drain() {
        int written = 0;
        CapacityChannel grantTo = null;
        boolean complete = false;
        try {
            synchronized (this) {
                if (finished || out == null || !headersSent) {
                    return; // Grafana's head is not in yet, or held until its small body is
                }
                try {
                    ByteBuffer head;
                    while ((head = queue.peekFirst()) != null) {
                        if (!out.isReady()) {
                            break; // the container calls onWritePossible when the client catches up
                        }
                        recycleWritten();
                        out.write(head.array(), head.arrayOffset() + head.position(), head.remaining());
                        written += head.remaining();
                        queue.pollFirst();
                        lastWritten = head;
                    }
                    if (queue.isEmpty() && out.isReady()) {
                        recycleWritten();
                        if (upstreamEnded) {
                            finished = true;
                            complete = true;
                        } else {
                            out.flush(); // nothing more to send right now: don't sit on what we have
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    // fall out of the lock first: failure handling calls back into the container
                    throw new ClientGone(e);
                }
                if (written > 0) {
                    if (capacity != null) {
                        grantTo = capacity;
                    } else {
                        ungranted += written;
                    }
                }
            }
            if (written > 0) {
                servlet.metrics().bytesToClient(written);
            }
            if (grantTo != null) {
                grantTo.update(written);
            }
        } catch (ClientGone e) {
            clientFailed(e.getCause());
            return;
        } catch (IOException e) {
            upstreamFailed(e);
            return;
        }
        if (complete) {
            async.complete();
        }
    }

    // --- failures ------------------------------------------------------------------------------

    /** Grafana failed or broke off: answer 502/504 if we still can, else abort the client. */
    void upstreamFailed(Throwable cause) {
        boolean committed;
        boolean midBody;
        boolean resetHead;
        synchronized (this) {
            if (finished || upstreamEnded || ownAnswer) {
                // once Grafana's answer is complete, a late cancellation cannot truncate anything:
                // what is queued still drains to the client
                return;
            }
            // Grafana's head may be on the response without having reached the client: Tomcat's
            // isReady() says false until its first onWritePossible, so nothing was flushed yet.
            // Then the client can still get a clean 502 (aborting an uncommitted response made
            // Tomcat send the status line "HTTP/1.1 -1").
            committed = response.isCommitted();
            resetHead = headersSent && !committed;
            if (committed) {
                finished = true;
            } else {
                ownAnswer = true;
                headersSent = false; // drain() sends nothing until the error answer is queued
            }
            midBody = heldHead != null || resetHead;
            queue.clear();
            heldHead = null;
        }
        if (resetHead && !resetResponse()) {
            committed = true;
        }
        if (!committed) {
            UpstreamFailure f = UpstreamFailure.classify(cause, upstreamConfig.responseTimeoutText(), targetName);
            if (midBody) {
                f = f.midBody(targetName);
            }
            LOG.warn("{} -> {}: {} ({})", logTarget, f.status(), f.message(), UpstreamFailure.describe(cause));
            answer(f.status(), f.message());
        } else {
            LOG.warn("{}: " + targetName + "'s response broke off mid-body, aborting the client connection ({})", logTarget,
                    UpstreamFailure.describe(cause));
            ClientAbort.abort(request, response, async);
        }
    }

    /** Clears Grafana's status, headers and buffered body off an uncommitted response; false if it was committed after all. */
    private boolean resetResponse() {
        try {
            response.reset();
            return true;
        } catch (IllegalStateException committedMeanwhile) {
            synchronized (this) {
                finished = true;
            }
            return false;
        }
    }

    /**
     * Answers the client with the proxy's own error before any exchange started (e.g. no access
     * token for a route); nothing happens when the client already went away.
     */
    void refuse(int status, String message) {
        synchronized (this) {
            if (finished || ownAnswer) {
                return;
            }
            ownAnswer = true;
            queue.clear();
            heldHead = null;
        }
        answer(status, message);
    }

    /**
     * Sends the proxy's own error as the response, through {@link #drain()} like Grafana's bodies:
     * the response is in non-blocking mode, so it is written only when the container is ready.
     */
    private void answer(int status, String message) {
        byte[] body = ErrorResponses.prepare(response, status, message);
        synchronized (this) {
            if (finished) {
                return;
            }
            if (body != null) {
                queue.addLast(ByteBuffer.wrap(body));
            }
            headersSent = true;
            upstreamEnded = true;
        }
        drain();
    }

    /** The client went away: cancel the exchange with Grafana. */
    void clientFailed(Throwable cause) {
        synchronized (this) {
            if (finished) {
                return;
            }
            finished = true;
            queue.clear();
        }
        LOG.debug("{}: client went away, cancelling the request to Grafana ({})", logTarget,
                cause == null ? "no detail" : UpstreamFailure.describe(cause));
        cancelUpstream();
        try {
            request.setAttribute(ProxyServlet.CLIENT_GONE_ATTRIBUTE, Boolean.TRUE);
        } catch (IllegalStateException | NullPointerException recycled) {
            // the container already finished the request on its own
        }
        try {
            async.complete();
        } catch (IllegalStateException e) {
            // already completed by the container's error handling
        }
        // Tomcat calls no AsyncListener after a client reset mid-upload: tell the filter ourselves
        AsyncListener end = completion;
        if (end != null) {
            try {
                end.onComplete(new AsyncEvent(async, request, response));
            } catch (IOException | RuntimeException e) {
                LOG.debug("{}: end-of-request listener failed ({})", logTarget, e.toString());
            }
        }
    }

    // --- container async events -------------------------------------------------------------

    @Override
    public void onComplete(AsyncEvent event) {
        cancelUpstream(); // e.g. the container completed it on an error of its own
    }

    @Override
    public void onTimeout(AsyncEvent event) {
        clientFailed(event.getThrowable());
    }

    @Override
    public void onError(AsyncEvent event) {
        clientFailed(event.getThrowable());
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
        // not re-dispatched
    }

    /** Carries a client-side I/O failure out of the lock. */
    private static final class ClientGone extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ClientGone(Throwable cause) {
            super(null, cause, false, false);
        }
    }
}
