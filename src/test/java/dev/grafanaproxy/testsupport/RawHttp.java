package dev.grafanaproxy.testsupport;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A tiny HTTP/1.1 client over a raw socket, for tests that need the exact bytes on the wire
 * (the JDK client forbids {@code Host}, {@code Connection}, ... and may rewrite the URI).
 *
 * <p>One instance is one TCP connection: send any bytes with {@code send(...)}, then read a
 * response with {@link #readResponse()} (whole body) or {@link #readResponseHead()} (headers, then
 * the body as a stream). Keep-alive and pipelining work by reading several responses. Every read
 * has a timeout ({@link #DEFAULT_TIMEOUT} unless given); running out throws
 * {@link SocketTimeoutException}. Text is sent and headers are read as ISO-8859-1, so each char is
 * one byte.
 *
 * <p>Body framing follows RFC 9112 §6.3: none for {@code HEAD}, 1xx, 204 and 304; chunked if
 * {@code Transfer-Encoding} ends in chunked; else {@code Content-Length}; else until the server
 * closes. A body that ends early (connection closed or reset before {@code Content-Length} bytes
 * or before the terminating 0-chunk) is returned as far as it got, with
 * {@link Response#complete()} {@code == false}.
 *
 * <pre>{@code
 * RawHttp.Response r = RawHttp.exchange(port, "GET /grafana/api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
 * assertThat(r.status()).isEqualTo(200);
 * }</pre>
 */
public final class RawHttp implements Closeable {

    /** Timeout for connecting and for every single read, unless one is given. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    private static final Pattern REQUEST_LINE = Pattern.compile("^([A-Za-z]+) \\S+ HTTP/\\d\\.\\d\r?\n");

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private String lastMethod = "GET";
    private StreamingResponse open;

    private RawHttp(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
        this.out = socket.getOutputStream();
    }

    /** Opens a connection to {@code 127.0.0.1:port} with {@link #DEFAULT_TIMEOUT}. */
    public static RawHttp connect(int port) throws IOException {
        return connect("127.0.0.1", port, DEFAULT_TIMEOUT);
    }

    /** Opens a connection to {@code host:port}; {@code timeout} bounds the connect and every read. */
    public static RawHttp connect(String host, int port, Duration timeout) throws IOException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
            s.setSoTimeout((int) timeout.toMillis());
            return new RawHttp(s);
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    /**
     * Opens a TLS connection to {@code 127.0.0.1:port} (e.g. a TLS-terminating load balancer in
     * front of the containers) and completes the handshake. Any certificate is accepted: tests
     * use throw-away self-signed ones.
     */
    public static RawHttp connectTls(int port) throws IOException {
        Socket plain = new Socket();
        try {
            plain.setTcpNoDelay(true);
            plain.connect(new InetSocketAddress("127.0.0.1", port), (int) DEFAULT_TIMEOUT.toMillis());
            plain.setSoTimeout((int) DEFAULT_TIMEOUT.toMillis());
            javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getInstance("TLS");
            tls.init(null, new javax.net.ssl.TrustManager[] {new TrustAnything()}, null);
            javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) tls.getSocketFactory().createSocket(plain, "127.0.0.1", port, true);
            s.startHandshake();
            return new RawHttp(s);
        } catch (java.security.GeneralSecurityException e) {
            plain.close();
            throw new IOException(e);
        } catch (IOException e) {
            plain.close();
            throw e;
        }
    }

    /** Like {@link #exchange(int, String)} over TLS ({@link #connectTls(int)}). */
    public static Response exchangeTls(int port, String request) throws IOException {
        try (RawHttp c = connectTls(port)) {
            c.send(request);
            return c.readResponse();
        }
    }

    private static final class TrustAnything implements javax.net.ssl.X509TrustManager {
        @Override
        public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType) {
        }

        @Override
        public java.security.cert.X509Certificate[] getAcceptedIssuers() {
            return new java.security.cert.X509Certificate[0];
        }
    }

    /** One request on a fresh connection to {@code 127.0.0.1:port}: send {@code request}, read the whole response, close. */
    public static Response exchange(int port, String request) throws IOException {
        return exchange(port, request, null);
    }

    /** Like {@link #exchange(int, String)}, then {@code body} (may be {@code null}) after the head. */
    public static Response exchange(int port, String request, byte[] body) throws IOException {
        try (RawHttp c = connect(port)) {
            c.send(request);
            if (body != null) {
                c.send(body);
            }
            return c.readResponse();
        }
    }

    /**
     * Builds a request head: request line, {@code Host: 127.0.0.1}, the given header lines
     * (each {@code "Name: value"}, without CRLF), and the blank line.
     */
    public static String request(String method, String target, String... headerLines) {
        StringBuilder sb = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for (String h : headerLines) {
            sb.append(h).append("\r\n");
        }
        return sb.append("\r\n").toString();
    }

    /** Shorthand for {@code request("GET", target, headerLines)}. */
    public static String get(String target, String... headerLines) {
        return request("GET", target, headerLines);
    }

    /**
     * Sends {@code text} as ISO-8859-1 bytes (so {@code \u00e9} is the single byte 0xE9) and flushes.
     * If it starts with a request line, its method is remembered for {@link #readResponse()}.
     */
    public RawHttp send(String text) throws IOException {
        Matcher m = REQUEST_LINE.matcher(text);
        if (m.lookingAt()) {
            lastMethod = m.group(1);
        }
        return send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Sends raw bytes and flushes. */
    public RawHttp send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** Copies all of {@code body} to the connection (constant memory) and flushes; does not close it. */
    public RawHttp send(InputStream body) throws IOException {
        body.transferTo(out);
        out.flush();
        return this;
    }

    /** Half-closes: the server sees end of input, responses can still be read. */
    public RawHttp shutdownOutput() throws IOException {
        socket.shutdownOutput();
        return this;
    }

    /** Changes the per-read timeout for what follows. */
    public RawHttp timeout(Duration timeout) throws IOException {
        socket.setSoTimeout((int) timeout.toMillis());
        return this;
    }

    /** Reads one whole response to the last request sent (its method decides about HEAD). */
    public Response readResponse() throws IOException {
        return readResponse(lastMethod);
    }

    /** Reads one whole response to a request with {@code method} (only {@code HEAD} matters). */
    public Response readResponse(String method) throws IOException {
        StreamingResponse s = readResponseHead(method);
        byte[] body = s.body().readAllBytes();
        return new Response(s, body);
    }

    /** Reads the status line and headers; the body is then read from {@link StreamingResponse#body()}. */
    public StreamingResponse readResponseHead() throws IOException {
        return readResponseHead(lastMethod);
    }

    /** Like {@link #readResponseHead()} for a request with {@code method}. */
    public StreamingResponse readResponseHead(String method) throws IOException {
        if (open != null && !open.bodyDone) {
            throw new IllegalStateException("read the previous response's body first");
        }
        String statusLine = readLine();
        if (statusLine == null) {
            throw new EOFException("connection closed before a response");
        }
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
            throw new IOException("not an HTTP status line: " + statusLine);
        }
        List<Header> headers = readFields();
        open = new StreamingResponse(statusLine, parts[0], Integer.parseInt(parts[1]), parts.length > 2 ? parts[2] : "",
                headers, "HEAD".equalsIgnoreCase(method));
        return open;
    }

    /**
     * Waits for the server to close the connection (EOF or reset), discarding anything it sends.
     *
     * @return {@code true} if it closed within {@code timeout}, {@code false} if still open
     */
    public boolean awaitClosed(Duration timeout) throws IOException {
        int old = socket.getSoTimeout();
        long end = System.nanoTime() + timeout.toNanos();
        try {
            byte[] buf = new byte[8192];
            while (true) {
                long left = (end - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    return false;
                }
                socket.setSoTimeout((int) Math.max(1, left));
                try {
                    if (in.read(buf) < 0) {
                        return true;
                    }
                } catch (SocketTimeoutException e) {
                    return false;
                } catch (IOException reset) {
                    return true;
                }
            }
        } finally {
            if (!socket.isClosed()) {
                socket.setSoTimeout(old);
            }
        }
    }

    /** The local port of this connection (what the server sees as the client port). */
    public int localPort() {
        return socket.getLocalPort();
    }

    /** The underlying socket, for anything not covered here. */
    public Socket socket() {
        return socket;
    }

    /** Closes the connection. */
    @Override
    public void close() throws IOException {
        socket.close();
    }

    // --- wire parsing ---------------------------------------------------------------------------

    /** One line without its CRLF (a bare LF is accepted); {@code null} at EOF before any byte. */
    private String readLine() throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            int b = in.read();
            if (b < 0) {
                if (sb.length() == 0) {
                    return null;
                }
                throw new EOFException("connection closed inside a line: " + sb);
            }
            if (b == '\n') {
                int len = sb.length();
                if (len > 0 && sb.charAt(len - 1) == '\r') {
                    sb.setLength(len - 1);
                }
                return sb.toString();
            }
            sb.append((char) b);
            if (sb.length() > 1_000_000) {
                throw new IOException("line too long");
            }
        }
    }

    private List<Header> readFields() throws IOException {
        List<Header> headers = new ArrayList<>();
        while (true) {
            String line = readLine();
            if (line == null) {
                throw new EOFException("connection closed inside the header block");
            }
            if (line.isEmpty()) {
                return headers;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IOException("malformed header line: " + line);
            }
            headers.add(new Header(line.substring(0, colon), line.substring(colon + 1).strip()));
        }
    }

    /** How a response body is delimited. */
    public enum Framing {
        /** No body (HEAD, 1xx, 204, 304). */
        NONE,
        /** {@code Content-Length}. */
        CONTENT_LENGTH,
        /** {@code Transfer-Encoding: chunked}. */
        CHUNKED,
        /** Neither: the body runs until the server closes the connection. */
        CLOSE_DELIMITED
    }

    /** Status and headers of a response, common to both reading modes. */
    public abstract static class Head {
        private final String statusLine;
        private final String version;
        private final int status;
        private final String reason;
        private final List<Header> headers;
        private final long headersAtNanos = System.nanoTime();

        Head(String statusLine, String version, int status, String reason, List<Header> headers) {
            this.statusLine = statusLine;
            this.version = version;
            this.status = status;
            this.reason = reason;
            this.headers = List.copyOf(headers);
        }

        /** The status line as received, e.g. {@code HTTP/1.1 200 OK}. */
        public String statusLine() {
            return statusLine;
        }

        /** The protocol version, e.g. {@code HTTP/1.1}. */
        public String version() {
            return version;
        }

        /** The status code. */
        public int status() {
            return status;
        }

        /** The reason phrase (may be empty). */
        public String reason() {
            return reason;
        }

        /** Every header in order, duplicates kept, names as received. */
        public List<Header> headers() {
            return headers;
        }

        /** First value of header {@code name} (any letter case), or {@code null}. */
        public String header(String name) {
            return Header.first(headers, name);
        }

        /** Every value of header {@code name} (any letter case), in order. */
        public List<String> headers(String name) {
            return Header.all(headers, name);
        }

        /** Whether header {@code name} (any letter case) is present. */
        public boolean hasHeader(String name) {
            return header(name) != null;
        }

        /** {@link System#nanoTime()} when the header block had been read. */
        public long headersAtNanos() {
            return headersAtNanos;
        }

        /** Whether the server said it will close the connection ({@code Connection: close}, or HTTP/1.0 without keep-alive). */
        public boolean connectionClose() {
            for (String v : headers("Connection")) {
                for (String t : v.split(",")) {
                    if (t.trim().equalsIgnoreCase("close")) {
                        return true;
                    }
                }
            }
            return version.equals("HTTP/1.0") && headers("Connection").stream().noneMatch(v -> v.toLowerCase(Locale.ROOT).contains("keep-alive"));
        }
    }

    /**
     * A response whose body is read as a stream: {@link #body()} yields the de-framed body bytes
     * and ends (-1) at the end of the body, at a clean or premature close alike; then
     * {@link #complete()} tells which.
     */
    public final class StreamingResponse extends Head {
        private final Framing framing;
        private final long contentLength;
        private final InputStream body;
        private final List<Header> trailers = new ArrayList<>();
        private volatile long firstBodyByteNanos = -1;
        private volatile boolean bodyDone;
        private volatile boolean complete;
        private volatile IOException failure;

        StreamingResponse(String statusLine, String version, int status, String reason, List<Header> headers, boolean head) {
            super(statusLine, version, status, reason, headers);
            String te = header("Transfer-Encoding");
            String cl = header("Content-Length");
            if (head || status < 200 || status == 204 || status == 304) {
                framing = Framing.NONE;
                contentLength = 0;
            } else if (te != null && te.toLowerCase(Locale.ROOT).trim().endsWith("chunked")) {
                framing = Framing.CHUNKED;
                contentLength = -1;
            } else if (cl != null) {
                framing = Framing.CONTENT_LENGTH;
                contentLength = Long.parseLong(cl.trim());
            } else {
                framing = Framing.CLOSE_DELIMITED;
                contentLength = -1;
            }
            body = new BodyStream();
            if (framing == Framing.NONE || contentLength == 0) {
                finish(true);
            }
        }

        /** How the body is delimited. */
        public Framing framing() {
            return framing;
        }

        /** The announced {@code Content-Length}, or -1. */
        public long contentLength() {
            return contentLength;
        }

        /** The body, de-framed (chunk sizes removed). Each read waits at most the read timeout. */
        public InputStream body() {
            return body;
        }

        /** {@link System#nanoTime()} when the first body byte was read, or -1 if none yet. */
        public long firstBodyByteNanos() {
            return firstBodyByteNanos;
        }

        /** Milliseconds from the end of the header block to the first body byte, or -1 if none yet. */
        public long millisToFirstBodyByte() {
            return firstBodyByteNanos < 0 ? -1 : (firstBodyByteNanos - headersAtNanos()) / 1_000_000;
        }

        /** Whether the body has been read to its end (complete or not). */
        public boolean bodyDone() {
            return bodyDone;
        }

        /**
         * Whether the body ended properly: all {@code Content-Length} bytes, the terminating
         * 0-chunk, or a clean EOF for a close-delimited body. Meaningful once {@link #bodyDone()}.
         */
        public boolean complete() {
            return complete;
        }

        /** The I/O error that ended the body early (e.g. connection reset), or {@code null}. */
        public IOException failure() {
            return failure;
        }

        /** Trailer fields after a chunked body (once the body is done). */
        public List<Header> trailers() {
            return List.copyOf(trailers);
        }

        private void finish(boolean ok) {
            bodyDone = true;
            complete = ok;
        }

        private final class BodyStream extends InputStream {
            private long remaining = contentLength; // CONTENT_LENGTH: bytes left; CHUNKED: left in chunk
            private boolean chunkedStarted;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                if (bodyDone) {
                    return -1;
                }
                try {
                    return switch (framing) {
                        case NONE -> -1;
                        case CONTENT_LENGTH -> readLength(b, off, len);
                        case CHUNKED -> readChunked(b, off, len);
                        case CLOSE_DELIMITED -> readToClose(b, off, len);
                    };
                } catch (SocketTimeoutException timeout) {
                    throw timeout; // still open, just slow: let the test fail loudly
                } catch (IOException broken) {
                    failure = broken;
                    finish(false);
                    return -1;
                }
            }

            private int got(int n) {
                if (n > 0 && firstBodyByteNanos < 0) {
                    firstBodyByteNanos = System.nanoTime();
                }
                return n;
            }

            private int readLength(byte[] b, int off, int len) throws IOException {
                int n = in.read(b, off, (int) Math.min(len, remaining));
                if (n < 0) {
                    finish(false);
                    return -1;
                }
                remaining -= n;
                if (remaining == 0) {
                    finish(true);
                }
                return got(n);
            }

            private int readToClose(byte[] b, int off, int len) throws IOException {
                int n = in.read(b, off, len);
                if (n < 0) {
                    finish(true);
                    return -1;
                }
                return got(n);
            }

            private int readChunked(byte[] b, int off, int len) throws IOException {
                if (remaining <= 0) {
                    if (chunkedStarted && readLine() == null) { // CRLF after the previous chunk's data
                        finish(false);
                        return -1;
                    }
                    chunkedStarted = true;
                    String sizeLine = readLine();
                    if (sizeLine == null) {
                        finish(false);
                        return -1;
                    }
                    int semi = sizeLine.indexOf(';');
                    remaining = Long.parseLong((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
                    if (remaining == 0) {
                        trailers.addAll(readFields());
                        finish(true);
                        return -1;
                    }
                }
                int n = in.read(b, off, (int) Math.min(len, remaining));
                if (n < 0) {
                    finish(false);
                    return -1;
                }
                remaining -= n;
                return got(n);
            }
        }
    }

    /** A response read whole: head, body bytes and how the body ended. */
    public static final class Response extends Head {
        private final byte[] body;
        private final Framing framing;
        private final boolean complete;
        private final IOException failure;
        private final List<Header> trailers;
        private final long firstBodyByteNanos;

        Response(StreamingResponse s, byte[] body) {
            super(s.statusLine(), s.version(), s.status(), s.reason(), s.headers());
            this.body = body;
            this.framing = s.framing();
            this.complete = s.complete();
            this.failure = s.failure();
            this.trailers = s.trailers();
            this.firstBodyByteNanos = s.firstBodyByteNanos();
        }

        /** The de-framed body bytes (possibly cut short, see {@link #complete()}). */
        public byte[] body() {
            return body.clone();
        }

        /** The body decoded as UTF-8. */
        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** The body length in bytes. */
        public int bodyLength() {
            return body.length;
        }

        /** Lower-case hex SHA-256 of the body. */
        public String bodySha256() {
            return TestData.sha256(body);
        }

        /** How the body was delimited. */
        public Framing framing() {
            return framing;
        }

        /** Whether the body ended properly (see {@link StreamingResponse#complete()}). */
        public boolean complete() {
            return complete;
        }

        /** The I/O error that ended the body early, or {@code null}. */
        public IOException failure() {
            return failure;
        }

        /** Trailer fields of a chunked body. */
        public List<Header> trailers() {
            return trailers;
        }

        /** {@link System#nanoTime()} of the first body byte, or -1 for an empty body. */
        public long firstBodyByteNanos() {
            return firstBodyByteNanos;
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder(statusLine()).append('\n');
            headers().forEach(h -> sb.append(h).append('\n'));
            String text = bodyText();
            return sb.append('\n').append(text.length() > 2000 ? text.substring(0, 2000) + "..." : text).toString();
        }
    }
}
