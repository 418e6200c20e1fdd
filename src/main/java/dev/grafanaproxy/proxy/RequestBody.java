package dev.grafanaproxy.proxy;

import dev.grafanaproxy.metrics.ProxyMetrics;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import org.apache.hc.core5.http.nio.AsyncEntityProducer;
import org.apache.hc.core5.http.nio.DataStreamChannel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Streams the client's request body to Grafana: the "client to proxy" half reads with Servlet
 * non-blocking I/O ({@link ReadListener}), the "proxy to server" half is an HttpCore
 * {@link AsyncEntityProducer}. Between them sits one bounded buffer. When it is full the proxy stops
 * reading from the client (TCP pushes back on the browser); when Grafana has taken it, reading
 * resumes from the I/O thread. When it is empty the producer reports nothing available and HttpCore
 * stops asking until data arrives. Memory per request is the buffer, whatever the body size.
 */
final class RequestBody implements AsyncEntityProducer, ReadListener {
    static final int BUFFER_SIZE = 32 * 1024;

    private final ServletInputStream input;
    private final long contentLength;
    private final Consumer<Throwable> onClientError;
    private final ProxyMetrics metrics;
    private final byte[] chunk = new byte[BUFFER_SIZE];
    private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_SIZE); // write mode between calls

    private DataStreamChannel channel;
    private boolean clientEof;
    private boolean streamEnded;
    /** Reading stopped because the buffer was full, not because the client had nothing: resume ourselves. */
    private boolean pausedOnFullBuffer;
    /** A thread is in {@link #pump}, reading outside the lock. */
    private boolean reading;
    /** Someone wanted to pump while another thread was: the reader looks again before it stops. */
    private boolean pumpAgain;
    private boolean failed;
    /** Bytes read from the client so far: a body with a length is complete when all are in. */
    private long received;
    /** The container called {@link #onAllDataRead}; see there for why that alone is not the end. */
    private boolean allDataSignalled;

    /**
     * @param contentLength the client's {@code Content-Length}, or -1 to send chunked
     */
    RequestBody(ServletInputStream input, long contentLength, Consumer<Throwable> onClientError, ProxyMetrics metrics) {
        this.input = input;
        this.contentLength = contentLength;
        this.onClientError = onClientError;
        this.metrics = metrics;
    }

    /** Starts reading; call once the upstream exchange is under way. */
    void start() {
        input.setReadListener(this);
    }

    // --- client to proxy ------------------------------------------------------------------------

    @Override
    public void onDataAvailable() throws IOException {
        pump();
    }

    /**
     * Reads while the client has data and the buffer has room, then asks HttpCore to send.
     *
     * <p>Never calls the container while holding this object's lock: Tomcat holds its own
     * per-connection dispatch lock while it calls {@link #onAllDataRead} (which takes ours), and its
     * {@code isReady()} on a non-container thread may take that dispatch lock. Taking them in the
     * other order here deadlocked an I/O thread under concurrent uploads. One thread reads at a
     * time; a caller that finds another reading leaves it a note to look again instead.
     */
    private void pump() throws IOException {
        synchronized (this) {
            if (reading) {
                pumpAgain = true;
                return;
            }
            reading = true;
        }
        DataStreamChannel ch = null;
        try {
            while (true) {
                int room;
                synchronized (this) {
                    pumpAgain = false;
                    pausedOnFullBuffer = false;
                    room = buffer.remaining();
                    if (failed || clientEof || room == 0) {
                        pausedOnFullBuffer = room == 0 && !failed && !clientEof;
                        reading = false;
                        ch = channel;
                        break;
                    }
                }
                if (!input.isReady()) {
                    synchronized (this) {
                        if (pumpAgain) {
                            continue;
                        }
                        if (allDataSignalled && contentLength < 0) {
                            clientEof = true; // nothing left to read, and the container said so
                        }
                        reading = false; // the container calls onDataAvailable when more arrives
                        ch = channel;
                        break;
                    }
                }
                int n = input.read(chunk, 0, Math.min(room, chunk.length));
                synchronized (this) {
                    if (n < 0) {
                        clientEof = true;
                    } else {
                        buffer.put(chunk, 0, n);
                        received += n;
                        if (contentLength >= 0 && received >= contentLength) {
                            clientEof = true; // all of it: no need to wait for the container to say so
                        }
                    }
                }
                if (n > 0) {
                    metrics.bytesFromClient(n);
                }
            }
        } catch (IOException | RuntimeException e) {
            synchronized (this) {
                reading = false;
            }
            throw e;
        }
        if (ch != null) {
            ch.requestOutput();
        }
    }

    /**
     * The container says the body is complete, which is not always so on Tomcat: when this relay
     * reads on HttpCore's I/O thread (after the buffer was full) while a container thread finishes
     * an {@code onDataAvailable} dispatch, Tomcat can see its input buffer empty in the middle of
     * a refill, find the socket's share of the body consumed, and call this while the last bytes
     * still sit in its buffer (seen in {@code ProxyLoadIT}: 98 304 of 100 003 bytes read, the rest
     * never sent, and Grafana waiting for them until its read timed out). So a body with a length
     * ends only when all its bytes are in, and any body only once the stream has nothing more to
     * read: this reads on until then.
     */
    @Override
    public void onAllDataRead() throws IOException {
        synchronized (this) {
            allDataSignalled = true;
        }
        pump();
    }

    @Override
    public void onError(Throwable t) {
        DataStreamChannel ch;
        synchronized (this) {
            if (failed) {
                return;
            }
            failed = true;
            ch = channel;
        }
        // the client went away mid-upload: cancel, so Grafana never sees a request that looks whole
        onClientError.accept(t);
        if (ch != null) {
            ch.requestOutput(); // produce() then breaks the connection off, whatever the cancellation did
        }
    }

    // --- proxy to server ------------------------------------------------------------------------

    @Override
    public synchronized int available() {
        if (failed) {
            return 1; // so that produce() is called, and aborts
        }
        int buffered = buffer.position();
        return buffered > 0 ? buffered : (clientEof && !streamEnded ? 1 : 0);
    }

    /**
     * Sends what is buffered. After the client failed, it throws instead: a body that can never be
     * completed must not leave the connection to Grafana waiting for the rest (or, with bytes still
     * buffered, registered for writing with nothing it may write, spinning the I/O thread). HttpCore
     * closes the connection on the exception, so Grafana sees the body broken off.
     */
    @Override
    public void produce(DataStreamChannel ch) throws IOException {
        boolean resume;
        synchronized (this) {
            channel = ch;
            if (failed) {
                throw new ClientAbortedBody();
            }
            if (streamEnded) {
                return;
            }
            if (buffer.position() > 0) {
                buffer.flip();
                try {
                    ch.write(buffer);
                } finally {
                    buffer.compact();
                }
            }
            resume = pausedOnFullBuffer && buffer.remaining() > 0;
            if (!resume) {
                if (clientEof && buffer.position() == 0) {
                    streamEnded = true;
                    ch.endStream();
                } else if (buffer.position() > 0) {
                    ch.requestOutput();
                }
                return;
            }
            pausedOnFullBuffer = false;
        }
        // room again after the buffer was full: the container will not call onDataAvailable for
        // data it already reported ready, so read on from here (outside the lock, see pump)
        try {
            pump();
        } catch (IOException | RuntimeException e) {
            synchronized (this) {
                failed = true;
            }
            onClientError.accept(e);
            throw new ClientAbortedBody();
        }
    }

    /** The client's body broke off; stackless, as it is an expected event, not a fault here. */
    static final class ClientAbortedBody extends IOException {
        ClientAbortedBody() {
            super("the client went away before its request body was complete");
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    @Override
    public boolean isRepeatable() {
        return false;
    }

    @Override
    public long getContentLength() {
        return contentLength;
    }

    @Override
    public String getContentType() {
        return null; // copied verbatim as a header
    }

    @Override
    public String getContentEncoding() {
        return null; // copied verbatim as a header
    }

    @Override
    public boolean isChunked() {
        return contentLength < 0;
    }

    @Override
    public Set<String> getTrailerNames() {
        return null;
    }

    @Override
    public void failed(Exception cause) {
        synchronized (this) {
            failed = true;
        }
    }

    @Override
    public void releaseResources() {
        // nothing pooled: the buffer goes with this object
    }
}
