package dev.grafanaproxy.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.grafanaproxy.testsupport.Containers;
import dev.grafanaproxy.testsupport.GrafanaStandIn;
import dev.grafanaproxy.testsupport.RawHttp;
import dev.grafanaproxy.testsupport.ServletContainer;
import dev.grafanaproxy.testsupport.TestData;
import dev.grafanaproxy.testsupport.TestKeys;
import dev.grafanaproxy.testsupport.WsClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Grafana Live through the mount on both containers: authenticated upgrade, identity and cookies
 * as Grafana sees them on the upgrade, frames both ways (text, binary, 10 MB messages, fragments,
 * ping/pong), close codes both ways, refusals, Grafana down, idle timeout and undeploy.
 */
class WebSocketIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ORIGIN = "http://app.example.com";
    private static E2E e2e;
    private static GrafanaStandIn grafana;

    @BeforeAll
    static void start() throws Exception {
        e2e = new E2E(p -> {
            p.put("jwt.role_attribute_path", "role");
            p.put("grafana.headers_encoded", "true"); // non-ASCII identities on a WebSocket need it, see below
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
    }

    static String token(Duration validFor) {
        return TestKeys.jwt().subject("alice").expiresIn(validFor).claim("email", "alice@example.com")
                .claim("name", "Alice M\u00fcller").claim("role", "Editor").sign(TestKeys.hmac(E2E.SECRET));
    }

    private static URI live(ServletContainer c, String query) {
        return URI.create("ws://127.0.0.1:" + c.port() + "/grafana/api/live/ws" + (query == null ? "" : "?" + query));
    }

    private static Map<String, String> session(String... more) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Cookie", "grafana_session=g1; app_session=" + token(Duration.ofMinutes(5)));
        h.put("Origin", ORIGIN);
        for (int i = 0; i < more.length; i += 2) {
            h.put(more[i], more[i + 1]);
        }
        return h;
    }

    /** The stand-in's first message: the upgrade request as Grafana saw it. */
    private static JsonNode hello(WsClient ws) throws Exception {
        WsClient.Event e = ws.next();
        assertThat(e.type()).as(e.toString()).isEqualTo("TEXT");
        return JSON.readTree(e.text());
    }

    private static List<String> header(JsonNode hello, String name) {
        List<String> values = new ArrayList<>();
        for (JsonNode h : hello.get("headers")) {
            if (h.get(0).asText().equalsIgnoreCase(name)) {
                values.add(h.get(1).asText());
            }
        }
        return values;
    }

    private static String upgradeRequest(String target, String... headers) {
        List<String> all = new ArrayList<>(List.of("Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13",
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Origin: " + ORIGIN));
        all.addAll(List.of(headers));
        return RawHttp.get(target, all.toArray(new String[0]));
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void anAuthenticatedUpgradeEchoesTextAndBinaryIncludingTenMegabyteMessages(Containers kind) throws Exception {
        ServletContainer c = e2e.server(kind);
        try (WsClient ws = WsClient.connect(live(c, "x=1%202"), session(), List.of())) {
            JsonNode hello = hello(ws);
            assertThat(hello.get("path").asText()).isEqualTo("/grafana/api/live/ws");
            assertThat(hello.get("query").asText()).isEqualTo("x=1%202");
            ws.sendText("hello \u2713");
            assertThat(ws.next().text()).isEqualTo("hello \u2713");
            ws.sendBinary(new byte[] {0, 1, 2, (byte) 255});
            assertThat(ws.next().bytes()).containsExactly(0, 1, 2, 255);

            byte[] big = new byte[10 * 1024 * 1024];
            TestData.copy(0, big, 0, big.length);
            ws.sendBinary(big);
            WsClient.Event echoed = ws.next(Duration.ofSeconds(60));
            assertThat(echoed.type()).isEqualTo("BINARY");
            assertThat(TestData.sha256(echoed.bytes())).isEqualTo(TestData.sha256(big));

            String bigText = "\u00e9x".repeat(5 * 1024 * 1024);
            ws.sendText(bigText);
            WsClient.Event echoedText = ws.next(Duration.ofSeconds(60));
            assertThat(echoedText.type()).isEqualTo("TEXT");
            assertThat(echoedText.text()).isEqualTo(bigText);
        }
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void grafanaSeesTheSessionIdentityCookiesOriginAndForwardedHeadersOnTheUpgrade(Containers kind) throws Exception {
        ServletContainer c = e2e.server(kind);
        try (WsClient ws = WsClient.connect(live(c, null), session("X-Custom", "kept"), List.of())) {
            JsonNode hello = hello(ws);
            assertThat(header(hello, "X-WEBAUTH-USER")).containsExactly("alice");
            assertThat(header(hello, "X-WEBAUTH-EMAIL")).containsExactly("alice@example.com");
            assertThat(header(hello, "X-WEBAUTH-NAME")).as("quoted-printable, as Grafana's headers_encoded reads it")
                    .containsExactly("Alice M=C3=BCller");
            assertThat(header(hello, "X-WEBAUTH-ROLE")).containsExactly("Editor");
            assertThat(header(hello, "Cookie")).as("the app's JWT is cut out").containsExactly("grafana_session=g1");
            assertThat(header(hello, "Origin")).containsExactly(ORIGIN);
            assertThat(header(hello, "X-Forwarded-Host")).containsExactly("127.0.0.1:" + c.port());
            assertThat(header(hello, "X-Forwarded-Proto")).containsExactly("http");
            assertThat(header(hello, "X-Forwarded-For")).containsExactly("127.0.0.1");
            assertThat(header(hello, "X-Custom")).containsExactly("kept");
            assertThat(header(hello, "Authorization")).isEmpty();
            assertThat(header(hello, "Sec-WebSocket-Version")).containsExactly("13");
            assertThat(header(hello, "Upgrade")).containsExactly("websocket");
        }
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void spoofedIdentityHeadersOnTheUpgradeAreStripped(Containers kind) throws Exception {
        ServletContainer c = e2e.server(kind);
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Authorization", "Bearer " + token(Duration.ofMinutes(5)));
        h.put("X-WEBAUTH-USER", "evil");
        h.put("x-webauth-role", "Admin");
        h.put("X-Grafana-Org-Id", "7");
        h.put("X-JWT-Assertion", "forged");
        h.put("X-WEBAUTH-GROUPS", "admins");
        try (WsClient ws = WsClient.connect(live(c, null), h, List.of())) {
            JsonNode hello = hello(ws);
            assertThat(header(hello, "X-WEBAUTH-USER")).containsExactly("alice");
            assertThat(header(hello, "X-WEBAUTH-ROLE")).containsExactly("Editor");
            assertThat(header(hello, "X-Grafana-Org-Id")).isEmpty();
            assertThat(header(hello, "X-JWT-Assertion")).isEmpty();
            assertThat(header(hello, "X-WEBAUTH-GROUPS")).isEmpty();
            assertThat(header(hello, "Authorization")).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void withoutASessionTheUpgradeGets401AndNothingReachesGrafana(Containers kind) throws Exception {
        ServletContainer c = e2e.server(kind);
        long connections = grafana.connectionsAccepted();
        long sessions = grafana.live().sessionsOpened();

        RawHttp.Response none = RawHttp.exchange(c.port(), upgradeRequest("/grafana/api/live/ws"));
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.bodyText()).contains("\"message\"");
        assertThat(none.hasHeader("Sec-WebSocket-Accept")).isFalse();

        String expired = TestKeys.jwt().subject("alice").expiresAt(java.time.Instant.now().minusSeconds(3600))
                .claim("role", "Editor").sign(TestKeys.hmac(E2E.SECRET));
        RawHttp.Response old = RawHttp.exchange(c.port(), upgradeRequest("/grafana/api/live/ws", "Cookie: app_session=" + expired));
        assertThat(old.status()).isEqualTo(401);
        assertThat(old.header("WWW-Authenticate")).contains("invalid_token");

        assertThat(WsClient.refusedStatus(live(c, null), Map.of("Origin", ORIGIN))).isEqualTo(401);
        assertThat(grafana.connectionsAccepted()).as("no connection towards Grafana").isEqualTo(connections);
        assertThat(grafana.live().sessionsOpened()).isEqualTo(sessions);
        assertThat(grafana.received()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void grafanasRefusalReachesTheClientAsItsStatus(Containers kind) throws Exception {
        ServletContainer c = e2e.server(kind);
        assertThat(WsClient.refusedStatus(live(c, "refuse=403"), session())).isEqualTo(403);
        assertThat(WsClient.refusedStatus(live(c, "refuse=503"), session())).isEqualTo(503);
        assertThat(grafana.received()).hasSize(2);
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void theSubProtocolGrafanaSelectsIsTheOneTheClientGets(Containers kind) throws Exception {
        ServletContainer c = e2e.server(kind);
        try (WsClient ws = WsClient.connect(live(c, null), session(), List.of("x-unknown", "centrifuge-json", "centrifuge-protobuf"))) {
            JsonNode hello = hello(ws);
            assertThat(header(hello, "Sec-WebSocket-Protocol")).containsExactly("x-unknown, centrifuge-json, centrifuge-protobuf");
            assertThat(hello.get("subprotocol").asText()).isEqualTo("centrifuge-json");
            assertThat(ws.subprotocol()).isEqualTo("centrifuge-json");
        }
        try (WsClient ws = WsClient.connect(live(c, null), session(), List.of())) {
            assertThat(hello(ws).get("subprotocol").isNull()).isTrue();
            assertThat(ws.subprotocol()).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void fragmentedMessagesPingsAndPongsPassBothWays(Containers kind) throws Exception {
        ServletContainer c = e2e.server(kind);
        try (WsClient ws = WsClient.connect(live(c, null), session(), List.of())) {
            hello(ws);
            String text = "fragment-\u00fc-".repeat(3000);
            ws.sendText("fragments:5:" + text);
            WsClient.Event t = ws.next();
            assertThat(t.type()).isEqualTo("TEXT");
            assertThat(t.text()).isEqualTo(text);

            ws.sendText("binfragments:4:300000");
            WsClient.Event b = ws.next();
            assertThat(b.type()).isEqualTo("BINARY");
            assertThat(TestData.sha256(b.bytes())).isEqualTo(TestData.sha256(300_000));

            ws.sendTextInParts("echo-in-parts-".repeat(1000), 7);
            assertThat(ws.next().text()).isEqualTo("echo-in-parts-".repeat(1000));

            ws.sendText("ping:from-grafana");
            List<String> got2 = new ArrayList<>();
            got2.add(ws.next().toString());
            got2.add(ws.next().toString());
            assertThat(got2).as("the client sees the ping, Grafana one pong").containsExactlyInAnyOrder(
                    "PING(from-grafana)", "TEXT(pong-received:from-grafana)");
            assertThat(ws.poll(Duration.ofMillis(300))).as("no second pong for one ping").isNull();

            ws.sendText("pong:unsolicited");
            WsClient.Event pong = ws.next();
            assertThat(pong.type()).isEqualTo("PONG");
            assertThat(pong.text()).isEqualTo("unsolicited");

            ws.sendPong("from-client");
            assertThat(ws.next().text()).isEqualTo("pong-received:from-client");
        }
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void closeCodesAndReasonsPropagateBothWays(Containers kind) throws Exception {
        ServletContainer c = e2e.server(kind);
        try (WsClient ws = WsClient.connect(live(c, null), session(), List.of())) {
            hello(ws);
            ws.close(4001, "client says bye");
            assertThat(grafana.live().awaitClose(s -> s.equals("4001 client says bye"), Duration.ofSeconds(10)))
                    .as("stand-in got %s", grafana.live().closes()).isTrue();
            assertThat(ws.next("CLOSE", Duration.ofSeconds(10)).code()).isEqualTo(4001);
        }
        try (WsClient ws = WsClient.connect(live(c, null), session(), List.of())) {
            hello(ws);
            ws.close(1000, "");
            assertThat(grafana.live().awaitClose(s -> s.startsWith("1000"), Duration.ofSeconds(10))).isTrue();
        }
        try (WsClient ws = WsClient.connect(live(c, null), session(), List.of())) {
            hello(ws);
            ws.sendText("close:4002:grafana says bye");
            WsClient.Event close = ws.next("CLOSE", Duration.ofSeconds(10));
            assertThat(close.code()).isEqualTo(4002);
            assertThat(close.text()).isEqualTo("grafana says bye");
        }
        try (WsClient ws = WsClient.connect(live(c, null), session(), List.of())) {
            hello(ws);
            ws.sendText("close:1001:restart");
            WsClient.Event close = ws.next("CLOSE", Duration.ofSeconds(10));
            assertThat(close.code()).isEqualTo(1001);
            assertThat(close.text()).isEqualTo("restart");
        }
        assertThat(grafana.live().awaitOpenSessions(0, Duration.ofSeconds(10))).isTrue();
        try (WsClient ws = WsClient.connect(live(c, null), session(), List.of())) {
            hello(ws);
            assertThat(grafana.live().openSessions()).isEqualTo(1);
            ws.close(); // abort: no Close frame
            assertThat(grafana.live().awaitOpenSessions(0, Duration.ofSeconds(10)))
                    .as("a client lost without a Close frame drops Grafana's side too").isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void grafanaDownGives502AndIdleTimeoutAndUndeployCloseRelays(Containers kind) throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        try (ServletContainer down = kind.builder().contextParam("grafana.url", "http://127.0.0.1:" + closedPort)
                .contextParam("jwt.secret", E2E.SECRET).contextParam("jwt.cookie_name", "app_session")
                .contextParam("grafana.headers_encoded", "true").start()) {
            assertThat(WsClient.refusedStatus(live(down, null), session())).isEqualTo(502);
            RawHttp.Response r = RawHttp.exchange(down.port(), upgradeRequest("/grafana/api/live/ws",
                    "Cookie: app_session=" + token(Duration.ofMinutes(5))));
            assertThat(r.status()).isEqualTo(502);
            assertThat(r.bodyText()).contains("\"message\"");
        }

        ServletContainer c = kind.builder().contextParam("grafana.url", grafana.baseUrl()).contextParam("jwt.secret", E2E.SECRET)
                .contextParam("jwt.cookie_name", "app_session").contextParam("websocket.idle_timeout", "1s").start();
        try {
            String ascii0 = TestKeys.jwt().subject("bob").expiresIn(Duration.ofMinutes(5)).claim("name", "Bob")
                    .sign(TestKeys.hmac(E2E.SECRET));
            try (WsClient idle = WsClient.connect(live(c, null), Map.of("Cookie", "app_session=" + ascii0), List.of())) {
                hello(idle);
                long start = System.nanoTime();
                WsClient.Event close = idle.next(Duration.ofSeconds(10));
                Duration took = Duration.ofNanos(System.nanoTime() - start);
                assertThat(took).isGreaterThan(Duration.ofMillis(900)).isLessThan(Duration.ofSeconds(3));
                assertThat(close.type()).as(close.toString()).isEqualTo("CLOSE");
                assertThat(close.code()).isEqualTo(1001);
                assertThat(grafana.live().awaitClose(x -> x.equals("1001 idle timeout"), Duration.ofSeconds(5))).isTrue();
            }
            // headers_encoded=false: the JDK client cannot send UTF-8 header bytes, and an altered
            // identity must never reach Grafana, so the upgrade is refused
            long sessions = grafana.live().sessionsOpened();
            assertThat(WsClient.refusedStatus(live(c, null), session())).isEqualTo(500);
            assertThat(grafana.live().sessionsOpened()).isEqualTo(sessions);
            String ascii = TestKeys.jwt().subject("bob").expiresIn(Duration.ofMinutes(5)).claim("name", "Bob")
                    .sign(TestKeys.hmac(E2E.SECRET));
            WsClient open = WsClient.connect(live(c, null), Map.of("Cookie", "app_session=" + ascii), List.of());
            hello(open);
            open.sendText("keep");
            assertThat(open.next().text()).isEqualTo("keep");
            c.undeploy();
            WsClient.Event close = open.next(Duration.ofSeconds(10));
            assertThat(close.type()).as(close.toString()).isEqualTo("CLOSE");
            assertThat(close.code()).isEqualTo(1001);
            assertThat(grafana.live().awaitClose(s -> s.equals("1001 Grafana proxy is shutting down"), Duration.ofSeconds(10)))
                    .as("%s", grafana.live().closes()).isTrue();
            open.close();
        } finally {
            c.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void anUpgradeOnAPathNotInWebsocketPathsIsProxiedAsPlainHttp(Containers kind) throws Exception {
        ServletContainer c = e2e.server(kind);
        RawHttp.Response r = RawHttp.exchange(c.port(), upgradeRequest("/grafana/echo/ws",
                "Cookie: app_session=" + token(Duration.ofMinutes(5))));
        assertThat(r.status()).isEqualTo(200);
        assertThat(grafana.lastReceived().hasHeader("Upgrade")).isFalse();
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).contains("/grafana/echo/ws");
    }
}
