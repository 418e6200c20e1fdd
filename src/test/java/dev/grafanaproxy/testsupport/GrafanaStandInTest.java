package dev.grafanaproxy.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.GZIPInputStream;
import org.eclipse.jetty.http.HttpHeader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The stand-in's routes and recording, checked on the wire with {@link RawHttp}. */
class GrafanaStandInTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static GrafanaStandIn grafana;

    @BeforeAll
    static void startStandIn() {
        grafana = new GrafanaStandIn().start();
    }

    @AfterAll
    static void stopStandIn() {
        grafana.close();
    }

    @BeforeEach
    void reset() {
        grafana.clearReceived();
        grafana.clearRoutes();
    }

    private static RawHttp.Response get(String target, String... headers) throws IOException {
        return RawHttp.exchange(grafana.port(), RawHttp.get(target, headers));
    }

    @Test
    void recordsTheRawRequestAndEchoesIt() throws Exception {
        String utf8AsLatin1 = new String("Jos\u00e9".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        RawHttp.Response r = get("/grafana/echo/a%2Fb/%2e%2E/x%20y?q=%41+b&q=2&empty",
                "x-lower-case: 1", "X-Dup: a", "X-Dup: b", "X-WEBAUTH-NAME: " + utf8AsLatin1, "Connection: keep-alive");

        assertThat(r.status()).isEqualTo(200);
        ReceivedRequest got = grafana.lastReceived();
        assertThat(got.method()).isEqualTo("GET");
        assertThat(got.rawPath()).isEqualTo("/grafana/echo/a%2Fb/%2e%2E/x%20y");
        assertThat(got.routePath()).isEqualTo("/echo/a%2Fb/%2e%2E/x%20y");
        assertThat(got.hadGrafanaPrefix()).isTrue();
        assertThat(got.rawQuery()).isEqualTo("q=%41+b&q=2&empty");
        assertThat(got.headerNames()).containsExactly("Host", "x-lower-case", "X-Dup", "X-Dup", "X-WEBAUTH-NAME", "Connection");
        assertThat(got.headers("x-dup")).containsExactly("a", "b");
        assertThat(got.header("Connection")).isEqualTo("keep-alive");
        assertThat(got.headers().get(4).valueUtf8()).isEqualTo("Jos\u00e9");
        assertThat(got.bodyLength()).isZero();
        assertThat(got.bodySha256()).isEqualTo(TestData.sha256(0));
        assertThat(got.connectionId()).isPositive();

        JsonNode echo = JSON.readTree(r.body());
        assertThat(echo.get("rawPath").asText()).isEqualTo(got.rawPath());
        assertThat(echo.get("rawQuery").asText()).isEqualTo(got.rawQuery());
        assertThat(echo.get("headers").get(4).get(0).asText()).isEqualTo("X-WEBAUTH-NAME");
        assertThat(echo.get("headers").get(4).get(1).asText()).isEqualTo(utf8AsLatin1);
        assertThat(echo.get("remoteAddress").asText()).isEqualTo(got.remoteAddress()).startsWith("127.0.0.1:");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/api/health", "/grafana/api/health"})
    void routesMatchWithOrWithoutThePrefix(String path) throws Exception {
        RawHttp.Response r = get(path);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Type")).startsWith("application/json");
        assertThat(JSON.readTree(r.body()).get("database").asText()).isEqualTo("ok");
        assertThat(grafana.lastReceived().rawPath()).isEqualTo(path);
    }

    @Test
    void unknownPathIs404Json() throws Exception {
        assertThat(get("/grafana/nope").status()).isEqualTo(404);
        assertThat(get("/grafanax/api/health").status()).isEqualTo(404); // not the prefix
    }

    @Test
    void htmlHasTheBaseHref() throws Exception {
        RawHttp.Response r = get("/grafana/html");
        assertThat(r.header("Content-Type")).startsWith("text/html");
        assertThat(r.bodyText()).contains("<base href=\"/grafana/\" />");
    }

    @Test
    void uploadHashesStreamedBodies() throws Exception {
        long n = 5_000_000;
        try (RawHttp c = RawHttp.connect(grafana.port())) {
            c.send(RawHttp.request("POST", "/grafana/upload", "Content-Length: " + n, "Content-Type: application/octet-stream"));
            c.send(TestData.stream(n));
            RawHttp.Response r = c.readResponse();
            JsonNode body = JSON.readTree(r.body());
            assertThat(body.get("length").asLong()).isEqualTo(n);
            assertThat(body.get("sha256").asText()).isEqualTo(TestData.sha256(n));

            // chunked, on the same connection
            c.send(RawHttp.request("PUT", "/upload", "Transfer-Encoding: chunked"));
            c.send("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
            r = c.readResponse();
            assertThat(JSON.readTree(r.body()).get("sha256").asText())
                    .isEqualTo(TestData.sha256("hello world".getBytes(StandardCharsets.US_ASCII)));
        }
        List<ReceivedRequest> got = grafana.received();
        assertThat(got).hasSize(2);
        assertThat(got.get(0).bodyLength()).isEqualTo(n);
        assertThat(got.get(0).bodyComplete()).isTrue();
        assertThat(got.get(1).connectionId()).isEqualTo(got.get(0).connectionId());
    }

    @Test
    void slowAnswersDoNotHoldThreads() throws Exception {
        // The stand-in has 16 threads; 50 requests each waiting 1 s must still finish together.
        int n = 50;
        ExecutorService clients = Executors.newFixedThreadPool(n);
        try {
            long start = System.nanoTime();
            List<Future<RawHttp.Response>> answers = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                answers.add(clients.submit(() -> get("/grafana/slow?ms=1000")));
            }
            for (Future<RawHttp.Response> f : answers) {
                assertThat(f.get().bodyText()).isEqualTo("slow");
            }
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertThat(ms).isBetween(1000L, 6000L);
        } finally {
            clients.shutdownNow();
        }
    }

    @Test
    void dripSendsEachChunkWhenWritten() throws Exception {
        try (RawHttp c = RawHttp.connect(grafana.port())) {
            long start = System.nanoTime();
            RawHttp.StreamingResponse s = c.send(RawHttp.get("/grafana/drip?chunks=3&intervalMs=1000&size=10")).readResponseHead();
            assertThat(s.framing()).isEqualTo(RawHttp.Framing.CHUNKED);
            byte[] first = s.body().readNBytes(10);
            assertThat((s.firstBodyByteNanos() - start) / 1_000_000).isLessThan(800);
            byte[] rest = s.body().readAllBytes();
            assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(1990);
            assertThat(s.complete()).isTrue();
            byte[] all = new byte[30];
            System.arraycopy(first, 0, all, 0, 10);
            System.arraycopy(rest, 0, all, 10, 20);
            assertThat(all).isEqualTo(TestData.bytes(30));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"false", "true"})
    void largeStreamsDeterministicContent(boolean chunked) throws Exception {
        long n = 20_000_123;
        try (RawHttp c = RawHttp.connect(grafana.port())) {
            RawHttp.StreamingResponse s = c.send(RawHttp.get("/large?bytes=" + n + "&chunked=" + chunked)).readResponseHead();
            assertThat(s.framing()).isEqualTo(chunked ? RawHttp.Framing.CHUNKED : RawHttp.Framing.CONTENT_LENGTH);
            assertThat(TestData.sha256(s.body())).isEqualTo(TestData.sha256(n));
            assertThat(s.complete()).isTrue();
        }
    }

    @Test
    void large500MegabytesInConstantMemory() throws Exception {
        long n = 500L * 1024 * 1024;
        try (RawHttp c = RawHttp.connect(grafana.port())) {
            RawHttp.StreamingResponse s = c.send(RawHttp.get("/grafana/large?bytes=" + n)).readResponseHead();
            assertThat(s.contentLength()).isEqualTo(n);
            assertThat(TestData.sha256(s.body())).isEqualTo(TestData.sha256(n));
            assertThat(s.complete()).isTrue();
        }
    }

    @Test
    void gzipIsSentCompressedAsExposed() throws Exception {
        RawHttp.Response r = get("/grafana/gzip", "Accept-Encoding: gzip");
        assertThat(r.header("Content-Encoding")).isEqualTo("gzip");
        assertThat(r.body()).isEqualTo(GrafanaStandIn.gzipBody());
        assertThat(new String(new GZIPInputStream(new ByteArrayInputStream(r.body())).readAllBytes(), StandardCharsets.UTF_8))
                .isEqualTo(GrafanaStandIn.GZIP_PLAIN);
    }

    @Test
    void sseFlushesEveryEvent() throws Exception {
        try (RawHttp c = RawHttp.connect(grafana.port())) {
            RawHttp.StreamingResponse s = c.send(RawHttp.get("/grafana/sse?events=3&intervalMs=1000")).readResponseHead();
            assertThat(s.header("Content-Type")).isEqualTo("text/event-stream");
            byte[] first = s.body().readNBytes("data: event-1\n\n".length());
            assertThat(s.millisToFirstBodyByte()).isLessThan(800);
            assertThat(new String(first, StandardCharsets.UTF_8)).isEqualTo("data: event-1\n\n");
            assertThat(new String(s.body().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("data: event-2\n\ndata: event-3\n\n");
        }
    }

    @Test
    void redirects() throws Exception {
        RawHttp.Response abs = get("/grafana/redirect?to=/grafana/login%3Fx%3D1");
        assertThat(abs.status()).isEqualTo(302);
        assertThat(abs.header("Location")).isEqualTo(grafana.baseUrl() + "/grafana/login?x=1");
        RawHttp.Response rel = get("/redirect-relative?to=/grafana/d/abc");
        assertThat(rel.header("Location")).isEqualTo("/grafana/d/abc");
    }

    @Test
    void cookies() throws Exception {
        assertThat(get("/grafana/cookie").headers("Set-Cookie"))
                .containsExactly("grafana_session=abc; Path=/; HttpOnly", "other=1; Path=/grafana/; HttpOnly");
        assertThat(get("/grafana/cookie?path=/x/").headers("Set-Cookie")).containsExactly("grafana_session=abc; Path=/x/; HttpOnly");
    }

    @Test
    void etagAndNotModified() throws Exception {
        RawHttp.Response full = get("/grafana/etag");
        assertThat(full.status()).isEqualTo(200);
        assertThat(full.header("ETag")).isEqualTo("\"v1\"");
        try (RawHttp c = RawHttp.connect(grafana.port())) {
            RawHttp.Response nm = c.send(RawHttp.get("/grafana/etag", "If-None-Match: \"v1\"")).readResponse();
            assertThat(nm.status()).isEqualTo(304);
            assertThat(nm.framing()).isEqualTo(RawHttp.Framing.NONE);
            assertThat(nm.header("ETag")).isEqualTo("\"v1\"");
            assertThat(nm.hasHeader("Content-Length")).isFalse(); // as Grafana (Go) sends it
            // the connection is still in sync after a body-less 304
            assertThat(c.send(RawHttp.get("/api/health")).readResponse().status()).isEqualTo(200);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {200, 204, 304, 404, 418, 500, 503})
    void status(int code) throws Exception {
        RawHttp.Response r = get("/grafana/status/" + code);
        assertThat(r.status()).isEqualTo(code);
        assertThat(r.bodyText()).isEqualTo(code == 204 || code == 304 ? "" : "status " + code);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void abortBreaksTheBodyOff(boolean chunked) throws Exception {
        RawHttp.Response r = get("/grafana/abort?after=3000&chunked=" + chunked);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.framing()).isEqualTo(chunked ? RawHttp.Framing.CHUNKED : RawHttp.Framing.CONTENT_LENGTH);
        if (!chunked) {
            assertThat(r.header("Content-Length")).isEqualTo("1003000");
        }
        assertThat(r.body()).isEqualTo(TestData.bytes(3000));
        assertThat(r.complete()).isFalse();
    }

    @Test
    void hopByHopHeadersAreSentAsSet() throws Exception {
        RawHttp.Response r = get("/grafana/hop");
        assertThat(r.headers("Connection")).anySatisfy(v -> assertThat(v).contains("X-Hop-Custom"));
        assertThat(r.header("X-Hop-Custom")).isEqualTo("1");
        assertThat(r.header("Keep-Alive")).isEqualTo("timeout=5");
        assertThat(r.header("Proxy-Authenticate")).isEqualTo("Basic");
        assertThat(r.header("Trailer")).isEqualTo("X-T");
        assertThat(r.header("Upgrade")).isEqualTo("h2c");
        assertThat(r.header("X-End-To-End")).isEqualTo("kept");
    }

    @Test
    void keepAliveReusesOneConnection() throws Exception {
        long before = grafana.connectionsAccepted();
        try (RawHttp c = RawHttp.connect(grafana.port())) {
            for (int i = 0; i < 3; i++) {
                assertThat(c.send(RawHttp.get("/grafana/echo/" + i)).readResponse().status()).isEqualTo(200);
            }
        }
        assertThat(grafana.connectionsAccepted()).isEqualTo(before + 1);
        assertThat(grafana.received()).extracting(ReceivedRequest::connectionId).containsOnly(before + 1);
    }

    @Test
    void neverAnswersAndNoticesTheClientLeaving() throws Exception {
        RawHttp c = RawHttp.connect(grafana.port());
        c.send(RawHttp.get("/grafana/never"));
        ReceivedRequest r = grafana.awaitReceived(x -> x.routePath().equals("/never"), Duration.ofSeconds(5));
        assertThat(r.method()).isEqualTo("GET");
        assertThat(grafana.inFlight()).isEqualTo(1);
        assertThat(c.awaitClosed(Duration.ofMillis(300))).isFalse(); // no answer, still open
        assertThat(grafana.isConnectionOpen(r.connectionId())).isTrue();
        c.close();
        assertThat(grafana.awaitConnectionClosed(r.connectionId(), Duration.ofSeconds(5))).isTrue();
        assertThat(grafana.awaitInFlight(0, Duration.ofSeconds(5))).isTrue();
    }

    @Test
    void idleTimeoutClosesKeepAliveConnections() throws Exception {
        grafana.idleTimeout(Duration.ofMillis(200));
        try (RawHttp c = RawHttp.connect(grafana.port())) {
            assertThat(c.send(RawHttp.get("/grafana/api/health")).readResponse().status()).isEqualTo(200);
            assertThat(c.awaitClosed(Duration.ofSeconds(3))).isTrue();
        } finally {
            grafana.idleTimeout(Duration.ofSeconds(30));
        }
    }

    @Test
    void closeConnectionsDropsPooledConnections() throws Exception {
        try (RawHttp c = RawHttp.connect(grafana.port())) {
            assertThat(c.send(RawHttp.get("/grafana/api/health")).readResponse().status()).isEqualTo(200);
            grafana.closeConnections();
            assertThat(c.awaitClosed(Duration.ofSeconds(3))).isTrue();
        }
    }

    @Test
    void customRoutesComeFirst() throws Exception {
        grafana.route("/api/health", (rec, req, resp, cb) -> GrafanaStandIn.respond(resp, cb, 503, "text/plain",
                "down".getBytes(StandardCharsets.US_ASCII)));
        grafana.route("/api/datasources/*", (rec, req, resp, cb) -> {
            resp.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
            GrafanaStandIn.respondJson(resp, cb, 200, java.util.Map.of("path", rec.routePath()));
        });
        assertThat(get("/grafana/api/health").status()).isEqualTo(503);
        RawHttp.Response ds = get("/grafana/api/datasources/uid/x");
        assertThat(ds.header("Cache-Control")).isEqualTo("no-store");
        assertThat(JSON.readTree(ds.body()).get("path").asText()).isEqualTo("/api/datasources/uid/x");
    }

    @Test
    void restartsOnTheSamePort() throws Exception {
        try (GrafanaStandIn g = new GrafanaStandIn().start()) {
            int port = g.port();
            assertThat(RawHttp.exchange(port, RawHttp.get("/api/health")).status()).isEqualTo(200);
            g.stop();
            assertThat(g.isRunning()).isFalse();
            assertThatThrownBy(() -> RawHttp.exchange(port, RawHttp.get("/api/health"))).isInstanceOf(ConnectException.class);
            g.start();
            assertThat(g.port()).isEqualTo(port);
            assertThat(RawHttp.exchange(port, RawHttp.get("/api/health")).status()).isEqualTo(200);
            assertThat(g.received()).hasSize(2);
            assertThat(g.connectionsAccepted()).isEqualTo(2);
        }
    }
}
