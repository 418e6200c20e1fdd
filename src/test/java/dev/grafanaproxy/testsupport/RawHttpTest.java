package dev.grafanaproxy.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link RawHttp}'s parsing, against a scripted socket server that writes exact bytes. */
class RawHttpTest {

    /** What the scripted server does on its one connection after reading the request head. */
    private interface Script {
        void run(InputStream in, OutputStream out, Socket socket) throws Exception;
    }

    private ServerSocket server;
    private CompletableFuture<String> requestSeen;

    @AfterEach
    void closeServer() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    private int serve(Script script) throws IOException {
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        requestSeen = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try (Socket s = server.accept()) {
                InputStream in = s.getInputStream();
                requestSeen.complete(readHead(in));
                script.run(in, s.getOutputStream(), s);
            } catch (Exception e) {
                requestSeen.completeExceptionally(e);
            }
        }, "scripted-server");
        t.setDaemon(true);
        t.start();
        return server.getLocalPort();
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        while (!sb.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            sb.append((char) b);
        }
        return sb.toString();
    }

    private static void write(OutputStream out, String latin1) throws IOException {
        out.write(latin1.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    @Test
    void sendsExactBytesAndKeepsHeadersAsReceived() throws Exception {
        int port = serve((in, out, s) -> write(out,
                "HTTP/1.1 200 OK\r\nset-cookie: a=1\r\nSet-Cookie: b=2\r\nX-Name: Jos\u00e9\r\nContent-Length: 2\r\n\r\nok"));
        String request = "GET /a%2Fb?x=%41 HTTP/1.1\r\nHost: weird:1\r\nConnection: Upgrade\r\nX-Raw: \u00e9\r\n\r\n";
        RawHttp.Response r = RawHttp.exchange(port, request);
        assertThat(requestSeen.get(5, TimeUnit.SECONDS)).isEqualTo(request);
        assertThat(r.statusLine()).isEqualTo("HTTP/1.1 200 OK");
        assertThat(r.headers()).extracting(Header::name).containsExactly("set-cookie", "Set-Cookie", "X-Name", "Content-Length");
        assertThat(r.headers("SET-COOKIE")).containsExactly("a=1", "b=2");
        assertThat(r.header("x-name")).isEqualTo("Jos\u00e9");
        assertThat(r.bodyText()).isEqualTo("ok");
        assertThat(r.complete()).isTrue();
        assertThat(r.framing()).isEqualTo(RawHttp.Framing.CONTENT_LENGTH);
    }

    @Test
    void shortContentLengthBodyIsIncomplete() throws Exception {
        int port = serve((in, out, s) -> write(out, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"));
        RawHttp.Response r = RawHttp.exchange(port, RawHttp.get("/"));
        assertThat(r.bodyText()).isEqualTo("abc");
        assertThat(r.complete()).isFalse();
    }

    @Test
    void chunkedWithExtensionsAndTrailers() throws Exception {
        int port = serve((in, out, s) -> write(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "3;ext=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nX-T: done\r\n\r\n"));
        RawHttp.Response r = RawHttp.exchange(port, RawHttp.get("/"));
        assertThat(r.framing()).isEqualTo(RawHttp.Framing.CHUNKED);
        assertThat(r.bodyText()).isEqualTo("abc0123456789abcdef");
        assertThat(r.complete()).isTrue();
        assertThat(r.trailers()).containsExactly(new Header("X-T", "done"));
    }

    @Test
    void chunkedWithoutTerminatorIsIncomplete() throws Exception {
        int port = serve((in, out, s) -> write(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"));
        RawHttp.Response r = RawHttp.exchange(port, RawHttp.get("/"));
        assertThat(r.bodyText()).isEqualTo("abc");
        assertThat(r.complete()).isFalse();
    }

    @Test
    void resetMidBodyIsIncompleteWithTheFailure() throws Exception {
        int port = serve((in, out, s) -> {
            write(out, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc");
            Thread.sleep(100);
            s.setSoLinger(true, 0); // close with RST
        });
        RawHttp.Response r = RawHttp.exchange(port, RawHttp.get("/"));
        assertThat(r.bodyText()).isEqualTo("abc");
        assertThat(r.complete()).isFalse();
    }

    @Test
    void closeDelimitedBody() throws Exception {
        int port = serve((in, out, s) -> write(out, "HTTP/1.0 200 OK\r\n\r\nuntil close"));
        RawHttp.Response r = RawHttp.exchange(port, "GET / HTTP/1.0\r\n\r\n");
        assertThat(r.framing()).isEqualTo(RawHttp.Framing.CLOSE_DELIMITED);
        assertThat(r.bodyText()).isEqualTo("until close");
        assertThat(r.complete()).isTrue();
        assertThat(r.connectionClose()).isTrue();
    }

    @Test
    void headAnd204And304HaveNoBodyAndTheConnectionStaysInSync() throws Exception {
        int port = serve((in, out, s) -> {
            write(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
            readHead(in);
            write(out, "HTTP/1.1 204 No Content\r\n\r\n");
            readHead(in);
            write(out, "HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n");
            readHead(in);
            write(out, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlast");
        });
        try (RawHttp c = RawHttp.connect(port)) {
            RawHttp.Response head = c.send(RawHttp.request("HEAD", "/")).readResponse();
            assertThat(head.framing()).isEqualTo(RawHttp.Framing.NONE);
            assertThat(head.header("Content-Length")).isEqualTo("5");
            assertThat(c.send(RawHttp.get("/")).readResponse().status()).isEqualTo(204);
            assertThat(c.send(RawHttp.get("/")).readResponse().bodyLength()).isZero();
            assertThat(c.send(RawHttp.get("/")).readResponse().bodyText()).isEqualTo("last");
        }
    }

    @Test
    void interimResponsesAreReadOneByOne() throws Exception {
        int port = serve((in, out, s) -> {
            write(out, "HTTP/1.1 100 Continue\r\n\r\n");
            in.readNBytes(4);
            write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        });
        try (RawHttp c = RawHttp.connect(port)) {
            c.send(RawHttp.request("POST", "/", "Content-Length: 4", "Expect: 100-continue"));
            assertThat(c.readResponse().status()).isEqualTo(100);
            c.send("body".getBytes(StandardCharsets.US_ASCII));
            assertThat(c.readResponse().bodyText()).isEqualTo("ok");
        }
    }

    @Test
    void streamingGivesTheFirstByteTimeAndEveryReadTimesOut() throws Exception {
        int port = serve((in, out, s) -> {
            write(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
            Thread.sleep(300);
            write(out, "1\r\nx\r\n");
            Thread.sleep(5_000); // then silence
        });
        try (RawHttp c = RawHttp.connect("127.0.0.1", port, Duration.ofMillis(1500))) {
            RawHttp.StreamingResponse s = c.send(RawHttp.get("/")).readResponseHead();
            assertThat(s.firstBodyByteNanos()).isEqualTo(-1);
            assertThat(s.body().read()).isEqualTo('x');
            assertThat(s.millisToFirstBodyByte()).isBetween(200L, 1500L);
            assertThatThrownBy(() -> s.body().read()).isInstanceOf(SocketTimeoutException.class);
            assertThat(s.bodyDone()).isFalse();
        }
    }

    @Test
    void awaitClosedSeesTheServerHangUp() throws Exception {
        int port = serve((in, out, s) -> Thread.sleep(300));
        try (RawHttp c = RawHttp.connect(port)) {
            c.send(RawHttp.get("/"));
            assertThat(c.awaitClosed(Duration.ofMillis(100))).isFalse();
            assertThat(c.awaitClosed(Duration.ofSeconds(5))).isTrue();
        }
    }
}
