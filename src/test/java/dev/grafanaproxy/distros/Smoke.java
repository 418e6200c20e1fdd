package dev.grafanaproxy.distros;

import com.nimbusds.jose.jwk.JWK;
import dev.grafanaproxy.testsupport.ConfFiles;
import dev.grafanaproxy.testsupport.DistributionServer;
import dev.grafanaproxy.testsupport.GrafanaStandIn;
import dev.grafanaproxy.testsupport.HostAppServlet;
import dev.grafanaproxy.testsupport.RawHttp;
import dev.grafanaproxy.testsupport.ReceivedRequest;
import dev.grafanaproxy.testsupport.TestData;
import dev.grafanaproxy.testsupport.TestKeys;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The end-to-end smoke steps shared by the distribution tests: each talks to a server port over
 * loopback with {@link RawHttp}, checks what the {@link GrafanaStandIn} received, and remembers
 * every token it used so that the server's logs can be searched for them afterwards.
 */
final class Smoke {
    /** The user the tokens are for, with the claims {@code conf/} maps to Grafana's identity. */
    static final String USER = "alice";
    static final String EMAIL = "alice@example.com";
    static final String NAME = "Alice Example";
    /** {@code roles: ["editor"]} maps to this with conf/'s {@code jwt.role_attribute_path}. */
    static final String ROLE = "Editor";

    private final GrafanaStandIn grafana;
    private final List<String> tokens = new ArrayList<>();

    Smoke(GrafanaStandIn grafana) {
        this.grafana = grafana;
    }

    /** A session token as the host app issues it: conf/'s issuer and audience, signed with {@code key}. */
    String token(JWK key) {
        return remember(TestKeys.jwt().subject(USER).issuer(ConfFiles.ISSUER).audience(ConfFiles.AUDIENCE)
                .claim("email", EMAIL).claim("name", NAME).claim("roles", List.of("editor")).sign(key));
    }

    /** Records a token (or any secret) that must never appear in a server log. */
    String remember(String secret) {
        tokens.add(secret);
        return secret;
    }

    /** Every token and secret used so far. */
    List<String> secrets() {
        return List.copyOf(tokens);
    }

    /**
     * Logs in at the host app ({@code POST /login}) and returns the {@code Cookie} header value the
     * browser then sends everywhere on the origin: the host app's {@code app_session} with
     * {@code Path=/}, so it reaches {@code /grafana/} too.
     */
    static String loginAtHostApp(int port, String token) throws IOException {
        byte[] form = ("token=" + token).getBytes(StandardCharsets.US_ASCII);
        RawHttp.Response r = RawHttp.exchange(port, RawHttp.request("POST", "/login",
                "Content-Type: application/x-www-form-urlencoded", "Content-Length: " + form.length), form);
        assertThat(r.status()).as("host app login").isEqualTo(303);
        String setCookie = r.header("Set-Cookie");
        assertThat(setCookie).as("the host app's session cookie")
                .startsWith(HostAppServlet.COOKIE + "=" + token + ";").contains("Path=/;");
        return setCookie.substring(0, setCookie.indexOf(';')) + "; theme=dark";
    }

    /** {@code /} is the host app, not the WAR. */
    static void assertHostAppAtRoot(int port) throws IOException {
        RawHttp.Response index = RawHttp.exchange(port, RawHttp.get("/"));
        assertThat(index.status()).isEqualTo(200);
        assertThat(index.bodyText()).contains("<h1>host app</h1>");
        assertThat(RawHttp.exchange(port, RawHttp.get("/ping")).bodyText()).isEqualTo("pong");
    }

    /**
     * With the host app's cookie, a request reaches Grafana with the identity headers that
     * {@code conf/grafana.ini}'s {@code [auth.proxy]} section tells Grafana to read, without the
     * app's JWT and without client-sent identity headers (spoofed in mixed letter case).
     */
    ReceivedRequest assertAuthenticated(int port, String cookie) throws IOException {
        grafana.clearReceived();
        RawHttp.Response r = RawHttp.exchange(port, RawHttp.get("/grafana/echo/api/dashboards/uid/abc?orgId=1",
                "Cookie: " + cookie, "Accept: application/json",
                "X-WEBAUTH-USER: mallory", "x-webauth-role: Admin", "X-Webauth-Email: mallory@evil.example"));
        assertThat(r.status()).as("authenticated request: %s", r.bodyText()).isEqualTo(200);
        ReceivedRequest got = grafana.lastReceived();
        assertThat(got.rawTarget()).isEqualTo("/grafana/echo/api/dashboards/uid/abc?orgId=1");
        assertIdentity(got);
        assertThat(got.headers("Cookie")).as("the app's JWT is cut out of Cookie").containsExactly("theme=dark");
        assertThat(got.hasHeader("Authorization")).isFalse();
        return got;
    }

    /** The identity headers named in conf/grafana.ini carry alice's identity, once each. */
    static void assertIdentity(ReceivedRequest got) {
        Map<String, String> authProxy = ConfFiles.iniSection(ConfFiles.GRAFANA_INI, "auth.proxy");
        assertThat(got.headers(authProxy.get("header_name"))).as(authProxy.get("header_name")).containsExactly(USER);
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("Name", NAME);
        expected.put("Email", EMAIL);
        expected.put("Role", ROLE);
        Map<String, String> headerOf = new LinkedHashMap<>();
        for (String pair : authProxy.get("headers").split("\\s+")) {
            String[] p = pair.split(":", 2);
            headerOf.put(p[0], p[1]);
        }
        for (Map.Entry<String, String> e : expected.entrySet()) {
            String header = headerOf.get(e.getKey());
            assertThat(header).as("grafana.ini [auth.proxy] headers names a header for " + e.getKey()).isNotNull();
            assertThat(got.headers(header)).as(header).containsExactly(e.getValue());
        }
    }

    /** {@code Authorization: Bearer} works as well as the cookie, and never reaches Grafana. */
    void assertBearer(int port, String token) throws IOException {
        grafana.clearReceived();
        RawHttp.Response r = RawHttp.exchange(port, RawHttp.get("/grafana/echo/api/search",
                "Authorization: Bearer " + token, "Accept: application/json"));
        assertThat(r.status()).isEqualTo(200);
        ReceivedRequest got = grafana.lastReceived();
        assertIdentity(got);
        assertThat(got.hasHeader("Authorization")).isFalse();
    }

    /** A public path passes without a session, but a spoofed identity header still never reaches Grafana. */
    void assertPublicPathStripsSpoofedIdentity(int port) throws IOException {
        grafana.clearReceived();
        RawHttp.Response r = RawHttp.exchange(port, RawHttp.get("/grafana/api/health", "X-WEBAUTH-USER: admin",
                "x-webauth-ROLE: Admin", "X-Grafana-Org-Id: 1"));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.bodyText()).contains("stand-in");
        ReceivedRequest got = grafana.lastReceived();
        assertThat(got.hasHeader("X-WEBAUTH-USER")).isFalse();
        assertThat(got.hasHeader("X-WEBAUTH-ROLE")).isFalse();
        assertThat(got.hasHeader("X-Grafana-Org-Id")).isFalse();
    }

    /**
     * No session: an API call gets 401 JSON; a rejected token also {@code WWW-Authenticate:
     * Bearer error="invalid_token"}; nothing reaches Grafana.
     */
    void assertUnauthenticated(int port, String rejectedToken) throws IOException {
        grafana.clearReceived();
        RawHttp.Response none = RawHttp.exchange(port, RawHttp.get("/grafana/api/dashboards/uid/abc", "Accept: application/json"));
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.header("Content-Type")).startsWith("application/json");
        assertThat(none.bodyText()).contains("\"message\"");

        RawHttp.Response bad = RawHttp.exchange(port, RawHttp.get("/grafana/api/dashboards/uid/abc",
                "Accept: application/json", "Cookie: " + HostAppServlet.COOKIE + "=" + remember(rejectedToken)));
        assertThat(bad.status()).isEqualTo(401);
        assertThat(bad.header("WWW-Authenticate")).contains("invalid_token");
        assertThat(grafana.received()).as("nothing unauthenticated reaches Grafana").isEmpty();
    }

    /**
     * A browser navigating without a session is sent to conf/'s {@code login.url}
     * ({@code /login?next={url}}), which the host app answers.
     */
    static void assertBrowserRedirectedToLogin(int port) throws IOException {
        RawHttp.Response r = RawHttp.exchange(port, RawHttp.get("/grafana/d/abc/overview?orgId=1",
                "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"));
        assertThat(r.status()).isEqualTo(302);
        String location = r.header("Location");
        assertThat(location).startsWith("/login?next=");
        String next = java.net.URLDecoder.decode(location.substring("/login?next=".length()), StandardCharsets.UTF_8);
        assertThat(next).endsWith("/grafana/d/abc/overview?orgId=1");
        RawHttp.Response login = RawHttp.exchange(port, RawHttp.get(location));
        assertThat(login.status()).isEqualTo(200);
        assertThat(login.bodyText()).isEqualTo("host app login page");
    }

    /**
     * A download streams through whole and unchanged (SHA-256, Content-Length kept), and a dripping
     * answer's first chunk arrives before Grafana has sent the rest.
     */
    static void assertStreaming(int port, String cookie, long bytes) throws IOException {
        try (RawHttp c = RawHttp.connect(port)) {
            c.send(RawHttp.get("/grafana/large?bytes=" + bytes, "Cookie: " + cookie));
            RawHttp.StreamingResponse r = c.readResponseHead();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("Content-Length")).isEqualTo(String.valueOf(bytes));
            assertThat(TestData.sha256(r.body())).isEqualTo(TestData.sha256(bytes));
            assertThat(r.complete()).isTrue();
        }
        try (RawHttp c = RawHttp.connect(port)) {
            long start = System.nanoTime();
            c.send(RawHttp.get("/grafana/drip?chunks=3&intervalMs=700&size=16", "Cookie: " + cookie));
            RawHttp.StreamingResponse r = c.readResponseHead();
            assertThat(r.status()).isEqualTo(200);
            byte[] first = new byte[1];
            assertThat(r.body().read(first)).isEqualTo(1);
            long firstMs = (System.nanoTime() - start) / 1_000_000;
            assertThat(firstMs).as("first chunk passed on at once, not after the last one (1400 ms)").isLessThan(1000);
            String rest = TestData.sha256(new java.io.SequenceInputStream(new java.io.ByteArrayInputStream(first), r.body()));
            assertThat(rest).isEqualTo(TestData.sha256(48));
            assertThat(r.complete()).isTrue();
        }
    }

    /** Grafana down: 502 with a short JSON body; Grafana back: requests pass again. */
    void assertBadGatewayWhileGrafanaIsDown(int port, String cookie) throws IOException {
        grafana.stop();
        try {
            RawHttp.Response r = RawHttp.exchange(port, RawHttp.get("/grafana/echo/down", "Cookie: " + cookie,
                    "Accept: application/json"));
            assertThat(r.status()).isEqualTo(502);
            assertThat(r.header("Content-Type")).startsWith("application/json");
            assertThat(r.bodyText()).contains("\"message\"").doesNotContain("Exception").hasSizeLessThan(300);
        } finally {
            grafana.start();
        }
        assertThat(RawHttp.exchange(port, RawHttp.get("/grafana/echo/up", "Cookie: " + cookie)).status()).isEqualTo(200);
    }

    /**
     * After the server stopped: no SEVERE/ERROR line, and none of the tokens or secrets used, whole
     * or by their signature, in any of its logs (console, catalina, localhost, access log...).
     */
    void assertCleanLogs(DistributionServer server) {
        assertThat(server.problemLines()).as("SEVERE/ERROR lines in the logs of %s", server).isEmpty();
        java.util.Set<String> all = new java.util.LinkedHashSet<>(secrets());
        all.addAll(TestKeys.ISSUED); // every token and secret TestKeys made in this JVM
        assertNoSecretsIn(server.logText(), all, server.toString());
    }

    static void assertNoSecretsIn(String logs, Collection<String> secrets, String where) {
        for (String secret : secrets) {
            assertThat(logs).as("a token or secret in the logs of %s", where).doesNotContain(secret);
            int dot = secret.lastIndexOf('.');
            if (dot > 0 && dot < secret.length() - 1) {
                assertThat(logs).as("a token's signature in the logs of %s", where).doesNotContain(secret.substring(dot + 1));
            }
        }
    }
}
