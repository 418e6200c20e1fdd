package dev.grafanaproxy.e2e;

import dev.grafanaproxy.testsupport.Containers;
import dev.grafanaproxy.testsupport.GrafanaStandIn;
import dev.grafanaproxy.testsupport.RawHttp;
import dev.grafanaproxy.testsupport.ReceivedRequest;
import dev.grafanaproxy.testsupport.ServletContainer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What happens when something breaks: Grafana down, too slow, breaking off mid-body, closing idle
 * connections; the client going away. Each failure must give a clear status and short JSON body,
 * or an aborted client connection, never a body that looks complete, never a stack trace.
 */
class ProxyFailuresIT {
    private static E2E e2e;
    private static GrafanaStandIn grafana;

    @BeforeAll
    static void start() throws Exception {
        e2e = new E2E(p -> {
            p.put("public_paths", "/*");
            p.put("proxy.response_timeout", "1500ms");
        });
        grafana = e2e.grafana;
    }

    @AfterAll
    static void stop() {
        e2e.close();
    }

    @BeforeEach
    void clear() {
        grafana.clearReceived();
        grafana.idleTimeout(Duration.ofSeconds(30));
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void grafanaUnreachableGives502WithJson(Containers kind) throws Exception {
        int deadPort;
        try (ServerSocket s = new ServerSocket(0)) {
            deadPort = s.getLocalPort();
        }
        try (ServletContainer c = kind.builder()
                .contextParam("grafana.url", "http://127.0.0.1:" + deadPort)
                .contextParam("jwt.secret", E2E.SECRET)
                .contextParam("public_paths", "/*")
                .start()) {
            RawHttp.Response r = RawHttp.exchange(c.port(), RawHttp.get("/grafana/api/dashboards/uid/x"));
            assertThat(r.status()).isEqualTo(502);
            assertThat(r.header("Content-Type")).startsWith("application/json");
            assertThat(r.bodyText()).isEqualTo("{\"message\":\"Grafana is unreachable\"}");
            assertThat(c.logLines()).filteredOn(l -> l.contains("Grafana is unreachable")).hasSize(1);
            assertThat(c.logText()).doesNotContain("\tat dev.grafanaproxy");
        }
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void noAnswerWithinTheResponseTimeoutGives504(Containers kind) throws Exception {
        long start = System.nanoTime();
        RawHttp.Response r = RawHttp.exchange(e2e.server(kind).port(), RawHttp.get("/grafana/never"));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(r.status()).isEqualTo(504);
        assertThat(r.bodyText()).isEqualTo("{\"message\":\"Grafana did not answer within 1500ms\"}");
        assertThat(took).isBetween(Duration.ofMillis(1400), Duration.ofSeconds(8));
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void aResponseBrokenOffMidBodyIsBrokenOffForTheClient(Containers kind) throws Exception {
        for (String target : new String[] {"/grafana/abort?after=100000", "/grafana/abort?after=100000&chunked=true"}) {
            RawHttp.Response r = RawHttp.exchange(e2e.server(kind).port(), RawHttp.get(target));
            if (r.status() == 502) {
                // Grafana broke off before anything was flushed to the client (Tomcat flushes only
                // after its first onWritePossible): then a clean error is still possible, and due
                assertThat(r.header("Content-Type")).as(target).startsWith("application/json");
                assertThat(r.bodyText()).as(target).contains("broke off");
                assertThat(r.complete()).as(target).isTrue();
                continue;
            }
            assertThat(r.status()).as(target).isEqualTo(200);
            assertThat(r.complete()).as(target + ": a truncated body must not look complete").isFalse();
            assertThat(r.bodyLength()).as(target).isLessThanOrEqualTo(100000);
        }
    }

    /**
     * A body small enough to be relayed whole (see ResponseRelay.WHOLE_BODY_LIMIT) has sent the
     * client nothing yet when Grafana breaks it off: the client gets a clean 502, never a cut body.
     */
    @ParameterizedTest
    @EnumSource(Containers.class)
    void aSmallResponseBrokenOffMidBodyGives502(Containers kind) throws Exception {
        int port = e2e.server(kind).port();
        RawHttp.Response r = RawHttp.exchange(port, RawHttp.get("/grafana/abort?after=1000&missing=500"));
        assertThat(r.status()).isEqualTo(502);
        assertThat(r.header("Content-Type")).isEqualTo("application/json;charset=utf-8");
        assertThat(r.bodyText()).isEqualTo("{\"message\":\"Grafana's response broke off\"}");
        assertThat(r.complete()).isTrue();
        // just under and just over the limit: the second one is streamed, so it is cut, not answered
        RawHttp.Response whole = RawHttp.exchange(port, RawHttp.get("/grafana/abort?after=100000&missing=31071"));
        assertThat(whole.status()).isEqualTo(502);
        RawHttp.Response streamed = RawHttp.exchange(port, RawHttp.get("/grafana/abort?after=100000&missing=31073"));
        assertThat(streamed.status()).isEqualTo(200);
        assertThat(streamed.complete()).isFalse();
        // and the connection the client used is still good for its next request
        RawHttp.Response next = RawHttp.exchange(port, RawHttp.get("/grafana/api/health"));
        assertThat(next.status()).isEqualTo(200);
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void whenTheClientGoesAwayTheRequestToGrafanaIsCancelled(Containers kind) throws Exception {
        int port = e2e.server(kind).port();
        for (boolean pooled : new boolean[] {false, true}) {
            grafana.clearReceived();
            long warmConnection = -1;
            if (pooled) {
                // an idle pooled connection, which the drip then takes: the case HttpClient's own
                // Future.cancel misses (see UpstreamExchange)
                assertThat(RawHttp.exchange(port, RawHttp.get("/grafana/echo/warm")).status()).isEqualTo(200);
                warmConnection = grafana.received("/echo/warm").get(0).connectionId();
            }
            RawHttp c = RawHttp.connect(port);
            c.send(RawHttp.get("/grafana/drip?chunks=100&intervalMs=100&size=1000"));
            RawHttp.StreamingResponse s = c.readResponseHead();
            assertThat(s.status()).isEqualTo(200);
            InputStream in = s.body();
            assertThat(in.read()).isNotNegative();
            ReceivedRequest upstream = grafana.awaitReceived(r -> r.routePath().equals("/drip"), Duration.ofSeconds(5));
            if (pooled) {
                assertThat(upstream.connectionId()).as("the drip went over the pooled connection").isEqualTo(warmConnection);
            }
            c.close();
            assertThat(grafana.awaitConnectionClosed(upstream.connectionId(), Duration.ofSeconds(10)))
                    .as("pooled=%s: the proxy closed its connection to Grafana", pooled).isTrue();
        }
    }

    /**
     * A client that goes away mid-upload: Grafana must see the body broken off and the connection
     * closed, never a request that looks whole, and the proxy's connection must not linger (an
     * earlier version left it registered for writing with nothing to write, spinning an I/O thread).
     */
    @ParameterizedTest
    @EnumSource(Containers.class)
    void whenTheClientGoesAwayMidUploadGrafanaSeesABrokenOffBodyAndAClosedConnection(Containers kind)
            throws Exception {
        long declared = 10L << 20;
        byte[] part = new byte[1 << 20];
        e2e.server(kind).clearLogLines();
        for (int attempt = 0; attempt < 5; attempt++) {
            grafana.clearReceived();
            RawHttp c = RawHttp.connect(e2e.server(kind).port());
            c.send(RawHttp.request("POST", "/grafana/upload", "Content-Length: " + declared,
                    "Content-Type: application/octet-stream"));
            c.send(part);
            assertThat(grafana.awaitInFlight(1, Duration.ofSeconds(5))).as("Grafana is reading the body").isTrue();
            c.send(part); // more in flight while the client goes away
            c.socket().setSoLinger(true, 0); // a reset, as a closed tab or a killed load generator gives
            c.close();
            ReceivedRequest upstream = grafana.awaitReceived(r -> r.routePath().equals("/upload"), Duration.ofSeconds(10));
            assertThat(upstream).as("attempt %d: Grafana saw the request end", attempt).isNotNull();
            assertThat(upstream.bodyComplete()).as("attempt %d: a broken-off body must not look whole", attempt)
                    .isFalse();
            assertThat(upstream.bodyLength()).isLessThan(declared);
            assertThat(grafana.awaitConnectionClosed(upstream.connectionId(), Duration.ofSeconds(10)))
                    .as("attempt %d: the proxy closed its connection to Grafana", attempt).isTrue();
        }
        // and the proxy still serves
        assertThat(RawHttp.exchange(e2e.server(kind).port(), RawHttp.get("/grafana/api/health")).status())
                .isEqualTo(200);
        // the audit log tells the broken-off uploads from answered ones (its lines are written by a thread of its own)
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (e2e.server(kind).logLines().stream().filter(l -> l.contains("path=/grafana/upload")).count() < 5
                && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(e2e.server(kind).logLines())
                .filteredOn(l -> l.contains("path=/grafana/upload"))
                .hasSize(5)
                .allMatch(l -> l.contains("outcome=client_gone user=- method=POST path=/grafana/upload client=127.0.0.1 status=499"));
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void connectionsGrafanaClosedWhileIdleAreNeverUsed(Containers kind) throws Exception {
        int port = e2e.server(kind).port();
        assertThat(RawHttp.exchange(port, RawHttp.get("/grafana/echo/warm")).status()).isEqualTo(200);
        grafana.idleTimeout(Duration.ofMillis(200));
        byte[] body = "{\"x\":1}".getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < 3; i++) {
            Thread.sleep(600); // Grafana closes the pooled connection meanwhile
            grafana.clearReceived();
            RawHttp.Response r = RawHttp.exchange(port,
                    RawHttp.request("POST", "/grafana/echo/after-idle", "Content-Length: " + body.length), body);
            assertThat(r.status()).as("attempt %d", i).isEqualTo(200);
            assertThat(grafana.received("/echo/after-idle")).as("sent exactly once").hasSize(1);
        }
        grafana.closeConnections(); // as a Grafana restart would
        Thread.sleep(200);
        grafana.clearReceived();
        RawHttp.Response r = RawHttp.exchange(port,
                RawHttp.request("POST", "/grafana/echo/after-restart", "Content-Length: " + body.length), body);
        assertThat(r.status()).isEqualTo(200);
        assertThat(grafana.received("/echo/after-restart")).hasSize(1);
    }
}
