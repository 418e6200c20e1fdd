package dev.grafanaproxy.e2e;

import dev.grafanaproxy.testsupport.Containers;
import dev.grafanaproxy.testsupport.GrafanaStandIn;
import dev.grafanaproxy.testsupport.RawHttp;
import dev.grafanaproxy.testsupport.ReceivedRequest;
import dev.grafanaproxy.testsupport.ServletContainer;
import dev.grafanaproxy.testsupport.TestData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import jakarta.servlet.ServletException;
import org.apache.catalina.valves.ValveBase;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The proxy's wire behaviour (contract section 3) on both containers, against the Grafana stand-in,
 * all over loopback with exact assertions on what each side received. Paths are public here
 * ({@code public_paths=/*}) so these tests isolate proxying from authentication.
 */
class ProxyIT {
    private static E2E e2e;
    private static GrafanaStandIn grafana;

    @BeforeAll
    static void start() throws Exception {
        e2e = new E2E(p -> p.put("public_paths", "/*"));
        grafana = e2e.grafana;
    }

    @AfterAll
    static void stop() {
        e2e.close();
    }

    @BeforeEach
    void clear() {
        grafana.clearReceived();
    }

    private static RawHttp.Response send(Containers kind, String request) throws Exception {
        return RawHttp.exchange(e2e.server(kind).port(), request);
    }

    private static RawHttp.Response send(Containers kind, String request, byte[] body) throws Exception {
        return RawHttp.exchange(e2e.server(kind).port(), request, body);
    }

    private static String raw(String method, String target, String host, String... headers) {
        StringBuilder sb = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: ").append(host).append("\r\n");
        for (String h : headers) {
            sb.append(h).append("\r\n");
        }
        return sb.append("\r\n").toString();
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void pathAndQueryReachGrafanaByteForByte(Containers kind) throws Exception {
        List<String[]> cases = List.of(
                new String[] {"/grafana/echo/a%20b?q=1+2&q=&r", "/grafana/echo/a%20b?q=1+2&q=&r"},
                new String[] {"/grafana/echo/x%3Fy?a=%3F&b=%E2%9C%93", "/grafana/echo/x%3Fy?a=%3F&b=%E2%9C%93"},
                new String[] {"/grafana/echo/%E2%9C%93/./z/../w?x=1&x=2&&y=", "/grafana/echo/%E2%9C%93/w?x=1&x=2&&y="},
                new String[] {"/grafana/echo/plus+sign/~tilde?%41=%61", "/grafana/echo/plus+sign/~tilde?%41=%61"},
                new String[] {"/grafana/echo?", "/grafana/echo?"});
        for (String[] c : cases) {
            grafana.clearReceived();
            RawHttp.Response r = send(kind, RawHttp.get(c[0]));
            assertThat(r.status()).as(c[0]).isEqualTo(200);
            assertThat(grafana.lastReceived().rawTarget()).as(c[0]).isEqualTo(c[1]);
        }
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void forwardedHeadersAreSetAndCredentialsHopByHopAndSpoofedIdentityAreNot(Containers kind) throws Exception {
        RawHttp.Response r = send(kind, raw("GET", "/grafana/echo/h", "app.example.com:8443",
                "X-Forwarded-For: 10.0.0.1",
                "X-Forwarded-Host: evil.example",
                "X-Forwarded-Proto: https",
                "Authorization: Bearer abc.def.ghi",
                "Cookie: a=1; app_session=tok.en.x; grafana_session=g",
                "X-WEBAUTH-USER: evil",
                "x-webauth-user: evil2",
                "X-Webauth-Role: Admin",
                "x-WEBAUTH-groups: admins",
                "X-WEBAUTH-EMAIL: evil@example.com",
                "X-WEBAUTH-NAME: Evil",
                "X-Grafana-Org-Id: 2",
                "x-jwt-assertion: forged",
                "Connection: X-Hop",
                "X-Hop: 1",
                "Keep-Alive: timeout=5",
                "TE: trailers",
                "Proxy-Authorization: Basic eA==",
                "Proxy-Connection: keep-alive",
                "X-Custom: kept",
                "Accept-Language: de, en;q=0.5"));
        assertThat(r.status()).isEqualTo(200);
        ReceivedRequest got = grafana.lastReceived();
        assertThat(got.headers("Host")).containsExactly("app.example.com:8443");
        assertThat(got.headers("X-Forwarded-For")).containsExactly("10.0.0.1, 127.0.0.1");
        assertThat(got.headers("X-Forwarded-Host")).containsExactly("app.example.com:8443");
        assertThat(got.headers("X-Forwarded-Proto")).containsExactly("http");
        assertThat(got.headers("Cookie")).containsExactly("a=1; grafana_session=g");
        assertThat(got.headers("X-Custom")).containsExactly("kept");
        assertThat(got.headers("Accept-Language")).containsExactly("de, en;q=0.5");
        for (String absent : List.of("Authorization", "X-WEBAUTH-USER", "X-WEBAUTH-ROLE", "X-WEBAUTH-GROUPS",
                "X-WEBAUTH-EMAIL", "X-WEBAUTH-NAME", "X-Grafana-Org-Id", "X-JWT-Assertion", "X-Hop", "Keep-Alive", "TE",
                "Proxy-Authorization", "Proxy-Connection")) {
            assertThat(got.hasHeader(absent)).as(absent).isFalse();
        }
        assertThat(r.headers("Set-Cookie")).as("the proxy never creates a session").isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void everyMethodAndItsBodyPasses(Containers kind) throws Exception {
        byte[] body = "{\"dashboard\":{\"title\":\"caf\u00e9\"}}".getBytes(StandardCharsets.UTF_8);
        for (String method : List.of("POST", "PUT", "PATCH", "DELETE")) {
            grafana.clearReceived();
            RawHttp.Response r = send(kind, RawHttp.request(method, "/grafana/echo/m",
                    "Content-Type: application/json", "Content-Length: " + body.length), body);
            assertThat(r.status()).as(method).isEqualTo(200);
            ReceivedRequest got = grafana.lastReceived();
            assertThat(got.method()).isEqualTo(method);
            assertThat(got.bodyLength()).as(method).isEqualTo(body.length);
            assertThat(got.bodySha256()).as(method).isEqualTo(TestData.sha256(body));
            assertThat(got.headers("Content-Type")).containsExactly("application/json");
            assertThat(got.headers("Content-Length")).containsExactly(String.valueOf(body.length));
        }
        RawHttp.Response options = send(kind, RawHttp.request("OPTIONS", "/grafana/echo/o"));
        assertThat(options.status()).isEqualTo(200);
        assertThat(grafana.lastReceived().method()).isEqualTo("OPTIONS");

        RawHttp.Response get = send(kind, RawHttp.get("/grafana/large?bytes=12345"));
        RawHttp.Response head = send(kind, RawHttp.request("HEAD", "/grafana/large?bytes=12345"));
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.header("Content-Length")).isEqualTo("12345").isEqualTo(get.header("Content-Length"));
        assertThat(head.bodyLength()).isZero();
        assertThat(grafana.lastReceived().method()).isEqualTo("HEAD");

        RawHttp.Response emptyPost = send(kind, RawHttp.request("POST", "/grafana/echo/e", "Content-Length: 0"));
        assertThat(emptyPost.status()).isEqualTo(200);
        assertThat(grafana.lastReceived().headers("Content-Length")).containsExactly("0");
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void aChunkedUploadStreamsThrough(Containers kind) throws Exception {
        String chunked = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
        RawHttp.Response r = send(kind, RawHttp.request("POST", "/grafana/upload", "Transfer-Encoding: chunked")
                + chunked);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.bodyText()).contains("\"length\":11")
                .contains(TestData.sha256("hello world".getBytes(StandardCharsets.US_ASCII)));
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void statusCodesPass(Containers kind) throws Exception {
        for (int code : new int[] {201, 202, 204, 400, 403, 404, 409, 418, 500, 503}) {
            RawHttp.Response r = send(kind, RawHttp.get("/grafana/status/" + code));
            assertThat(r.status()).as("status %d", code).isEqualTo(code);
        }
    }

    /**
     * Container work never runs on the proxy's HttpCore I/O threads. Tomcat runs a write listener's
     * first call on the thread that registers it when that is not one of its own, and then goes on
     * there to complete the request and serve the connection's next one, pipelined or kept alive:
     * the host's filters and the token check on a thread every exchange of the web app shares. A
     * body-less answer (204, 304) is where that happened; pipelining makes the next request ready.
     */
    @ParameterizedTest
    @EnumSource(Containers.class)
    void containerWorkNeverRunsOnTheProxysIoThreads(Containers kind) throws Exception {
        List<String> threads = new CopyOnWriteArrayList<>();
        try (ServletContainer c = kind.builder().contextParams(e2e.baseParams())
                .tomcatCustomizer(t -> t.getHost().getPipeline().addValve(new ValveBase(true) {
                    @Override
                    public void invoke(org.apache.catalina.connector.Request request,
                                       org.apache.catalina.connector.Response response) throws IOException, ServletException {
                        threads.add(Thread.currentThread().getName());
                        getNext().invoke(request, response);
                    }
                }))
                .jettyCustomizer(server -> server.setHandler(new Handler.Wrapper(server.getHandler()) {
                    @Override
                    public boolean handle(Request request, Response response, Callback callback) throws Exception {
                        threads.add(Thread.currentThread().getName());
                        return super.handle(request, response, callback);
                    }
                }))
                .start();
             RawHttp conn = RawHttp.connect(c.port())) {
            String[] targets = {"/grafana/status/204", "/grafana/status/201", "/grafana/status/204", "/grafana/etag"};
            StringBuilder pipelined = new StringBuilder();
            for (String t : targets) {
                pipelined.append(RawHttp.get(t));
            }
            conn.send(pipelined.toString());
            int[] expected = {204, 201, 204, 200};
            for (int i = 0; i < targets.length; i++) {
                assertThat(conn.readResponse().status()).as(targets[i]).isEqualTo(expected[i]);
            }
            assertThat(threads).hasSize(targets.length)
                    .noneMatch(name -> name.startsWith("grafana-proxy-io"));
        }
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void etagsAndNotModifiedPass(Containers kind) throws Exception {
        RawHttp.Response first = send(kind, RawHttp.get("/grafana/etag"));
        assertThat(first.status()).isEqualTo(200);
        assertThat(first.header("ETag")).isEqualTo("\"v1\"");
        RawHttp.Response again = send(kind, RawHttp.get("/grafana/etag", "If-None-Match: \"v1\""));
        assertThat(again.status()).isEqualTo(304);
        assertThat(again.bodyLength()).isZero();
        assertThat(grafana.lastReceived().headers("If-None-Match")).containsExactly("\"v1\"");
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void compressedBodiesPassUnchanged(Containers kind) throws Exception {
        RawHttp.Response r = send(kind, RawHttp.get("/grafana/gzip", "Accept-Encoding: gzip"));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Encoding")).isEqualTo("gzip");
        assertThat(r.body()).isEqualTo(GrafanaStandIn.gzipBody());
        assertThat(grafana.lastReceived().headers("Accept-Encoding")).containsExactly("gzip");
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void hopByHopResponseHeadersAreRemovedAndTheRestPass(Containers kind) throws Exception {
        RawHttp.Response r = send(kind, RawHttp.get("/grafana/hop"));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("X-End-To-End")).isEqualTo("kept");
        for (String absent : List.of("X-Hop-Custom", "Keep-Alive", "Proxy-Authenticate", "Trailer", "Upgrade")) {
            assertThat(r.hasHeader(absent)).as(absent).isFalse();
        }
        assertThat(r.headers("Connection")).noneMatch(v -> v.contains("X-Hop-Custom"));
        // a singleton field: Grafana's, never next to the container's own
        assertThat(r.headers("Date")).hasSize(1);
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void locationsOnGrafanaBecomePublicUrlsAndCookiesPass(Containers kind) throws Exception {
        RawHttp.Response abs = send(kind, raw("GET", "/grafana/redirect?to=/grafana/login%3Fx%3D1", "app.example.com"));
        assertThat(abs.status()).isEqualTo(302);
        assertThat(abs.header("Location")).isEqualTo("http://app.example.com/grafana/login?x=1");

        RawHttp.Response rel = send(kind, RawHttp.get("/grafana/redirect-relative?to=/grafana/d/abc"));
        assertThat(rel.header("Location")).isEqualTo("/grafana/d/abc");

        RawHttp.Response cookies = send(kind, RawHttp.get("/grafana/cookie"));
        assertThat(cookies.headers("Set-Cookie"))
                .containsExactly("grafana_session=abc; Path=/; HttpOnly", "other=1; Path=/grafana/; HttpOnly");
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void grafanaHtmlPassesUnchanged(Containers kind) throws Exception {
        RawHttp.Response r = send(kind, RawHttp.get("/grafana/html"));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.bodyText()).isEqualTo(GrafanaStandIn.HTML_PAGE);
        assertThat(r.header("Content-Type")).startsWith("text/html");
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void serverSentEventsArriveOneByOne(Containers kind) throws Exception {
        try (RawHttp c = RawHttp.connect(e2e.server(kind).port())) {
            c.send(RawHttp.get("/grafana/sse?events=3&intervalMs=400"));
            RawHttp.StreamingResponse s = c.readResponseHead();
            assertThat(s.status()).isEqualTo(200);
            assertThat(s.header("Content-Type")).startsWith("text/event-stream");
            InputStream in = s.body();
            String first = readUntil(in, "\n\n");
            long firstAt = System.nanoTime();
            assertThat(first).isEqualTo("data: event-1\n\n");
            byte[] rest = in.readAllBytes();
            long endAt = System.nanoTime();
            assertThat(new String(rest, StandardCharsets.UTF_8)).isEqualTo("data: event-2\n\ndata: event-3\n\n");
            assertThat(Duration.ofNanos(endAt - firstAt)).as("first event not held back").isGreaterThan(Duration.ofMillis(600));
            assertThat(s.complete()).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void aDrippingResponseReachesTheClientBeforeGrafanaFinishes(Containers kind) throws Exception {
        try (RawHttp c = RawHttp.connect(e2e.server(kind).port())) {
            c.send(RawHttp.get("/grafana/drip?chunks=4&intervalMs=400&size=7"));
            RawHttp.StreamingResponse s = c.readResponseHead();
            assertThat(s.status()).isEqualTo(200);
            InputStream in = s.body();
            int b = in.read();
            long firstAt = System.nanoTime();
            assertThat(b).isNotNegative();
            byte[] rest = in.readAllBytes();
            long endAt = System.nanoTime();
            assertThat(1 + rest.length).isEqualTo(28);
            assertThat(Duration.ofNanos(endAt - firstAt)).isGreaterThan(Duration.ofMillis(900));
            assertThat(s.complete()).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void chunkedAndLengthDelimitedDownloadsPassWhole(Containers kind) throws Exception {
        RawHttp.Response sized = send(kind, RawHttp.get("/grafana/large?bytes=3000000"));
        assertThat(sized.header("Content-Length")).isEqualTo("3000000");
        assertThat(sized.bodySha256()).isEqualTo(TestData.sha256(3_000_000));
        RawHttp.Response chunked = send(kind, RawHttp.get("/grafana/large?bytes=3000001&chunked=true"));
        assertThat(chunked.framing()).isEqualTo(RawHttp.Framing.CHUNKED);
        assertThat(chunked.complete()).isTrue();
        assertThat(chunked.bodySha256()).isEqualTo(TestData.sha256(3_000_001));
    }

    private static String readUntil(InputStream in, String end) throws Exception {
        StringBuilder sb = new StringBuilder();
        while (!sb.toString().endsWith(end)) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            sb.append((char) b);
        }
        return sb.toString();
    }
}
