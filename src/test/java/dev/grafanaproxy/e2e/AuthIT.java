package dev.grafanaproxy.e2e;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.RSAKey;
import dev.grafanaproxy.testsupport.Containers;
import dev.grafanaproxy.testsupport.GrafanaStandIn;
import dev.grafanaproxy.testsupport.JwksServer;
import dev.grafanaproxy.testsupport.RawHttp;
import dev.grafanaproxy.testsupport.ReceivedRequest;
import dev.grafanaproxy.testsupport.ServletContainer;
import dev.grafanaproxy.testsupport.TestKeys;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Authentication end to end on both containers: RS256 session tokens verified against a real JWKS
 * endpoint, identity headers as Grafana's [auth.proxy] reads them, the answers to the
 * unauthenticated, the url_login exchange, and an attack catalogue where nothing may reach Grafana.
 */
class AuthIT {
    private static final String ISSUER = "https://app.example.com";
    private static RSAKey key;
    private static JwksServer jwks;
    private static E2E e2e;
    private static GrafanaStandIn grafana;

    @BeforeAll
    static void start() throws Exception {
        key = TestKeys.rsa("app-key-1");
        jwks = JwksServer.start(key);
        e2e = new E2E(p -> {
            p.remove("jwt.secret");
            p.put("jwt.jwk_set_url", jwks.url().toString());
            p.put("jwt.issuer", ISSUER);
            p.put("jwt.audience", "grafana");
            p.put("jwt.role_attribute_path",
                    "contains(roles[*], 'admin') && 'Admin' || contains(roles[*], 'editor') && 'Editor' || 'Viewer'");
            p.put("jwt.groups_attribute_path", "groups");
            p.put("jwt.org_attribute_path", "org");
            p.put("jwt.url_login", "true");
            p.put("login.url", "/login?next={url}");
        });
        grafana = e2e.grafana;
    }

    @AfterAll
    static void stop() {
        e2e.close();
        jwks.close();
    }

    @BeforeEach
    void clear() {
        grafana.clearReceived();
    }

    private static TestKeys.Jwt alice() {
        return TestKeys.jwt().subject("alice").issuer(ISSUER).audience("grafana").expiresIn(Duration.ofMinutes(10))
                .claim("email", "alice@example.com").claim("name", "Alice M\u00fcller")
                .claim("roles", List.of("admin")).claim("groups", List.of("ops", "dev")).claim("org", 2);
    }

    private static RawHttp.Response get(Containers kind, String target, String... headers) throws Exception {
        return RawHttp.exchange(e2e.server(kind).port(), RawHttp.get(target, headers));
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void aValidCookieSessionReachesGrafanaAsThatUser(Containers kind) throws Exception {
        String token = alice().sign(key);
        RawHttp.Response r = get(kind, "/grafana/echo/me", "Cookie: theme=dark; app_session=" + token + "; grafana_session=s1");
        assertThat(r.status()).isEqualTo(200);
        ReceivedRequest got = grafana.lastReceived();
        assertThat(got.headers("X-WEBAUTH-USER")).containsExactly("alice");
        assertThat(got.headers("X-WEBAUTH-EMAIL")).containsExactly("alice@example.com");
        assertThat(got.headers("X-WEBAUTH-NAME")).containsExactly(
                new String("Alice M\u00fcller".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1));
        assertThat(got.headers("X-WEBAUTH-ROLE")).containsExactly("Admin");
        assertThat(got.headers("X-WEBAUTH-GROUPS")).containsExactly("ops,dev");
        assertThat(got.headers("X-Grafana-Org-Id")).containsExactly("2");
        assertThat(got.headers("Cookie")).containsExactly("theme=dark; grafana_session=s1");
        assertThat(got.hasHeader("Authorization")).isFalse();
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void bearerWorksAndTheCookieWinsOverIt(Containers kind) throws Exception {
        String bob = alice().subject("bob").claim("roles", List.of("editor")).sign(key);
        assertThat(get(kind, "/grafana/echo/b", "Authorization: Bearer " + bob).status()).isEqualTo(200);
        assertThat(grafana.lastReceived().headers("X-WEBAUTH-USER")).containsExactly("bob");
        assertThat(grafana.lastReceived().headers("X-WEBAUTH-ROLE")).containsExactly("Editor");
        assertThat(grafana.lastReceived().hasHeader("Authorization")).isFalse();

        String alice = alice().sign(key);
        assertThat(get(kind, "/grafana/echo/b", "Authorization: Bearer " + bob, "Cookie: app_session=" + alice).status())
                .isEqualTo(200);
        assertThat(grafana.lastReceived().headers("X-WEBAUTH-USER")).containsExactly("alice");
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void spoofedIdentityHeadersNeverArrive(Containers kind) throws Exception {
        String token = alice().claim("roles", List.of()).sign(key);
        RawHttp.Response r = get(kind, "/grafana/echo/s", "Cookie: app_session=" + token,
                "X-WEBAUTH-USER: admin", "x-webauth-user: root", "X-Webauth-Role: Admin", "X-WEBAUTH-GROUPS: admins",
                "x-grafana-org-id: 1", "X-JWT-Assertion: forged");
        assertThat(r.status()).isEqualTo(200);
        ReceivedRequest got = grafana.lastReceived();
        assertThat(got.headers("X-WEBAUTH-USER")).containsExactly("alice");
        assertThat(got.headers("X-WEBAUTH-ROLE")).containsExactly("Viewer");
        assertThat(got.headers("X-WEBAUTH-GROUPS")).containsExactly("ops,dev");
        assertThat(got.headers("X-Grafana-Org-Id")).containsExactly("2");
        assertThat(got.hasHeader("X-JWT-Assertion")).isFalse();

        // public paths carry no identity at all, whatever the client sends
        RawHttp.Response health = get(kind, "/grafana/api/health", "X-WEBAUTH-USER: admin", "X-Webauth-Role: Admin");
        assertThat(health.status()).isEqualTo(200);
        assertThat(grafana.lastReceived().hasHeader("X-WEBAUTH-USER")).isFalse();
        assertThat(grafana.lastReceived().hasHeader("X-WEBAUTH-ROLE")).isFalse();
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void withoutATokenApiCallsGet401JsonAndBrowsersGoToTheLoginPage(Containers kind) throws Exception {
        RawHttp.Response api = get(kind, "/grafana/api/dashboards/uid/x", "Accept: application/json");
        assertThat(api.status()).isEqualTo(401);
        assertThat(api.header("Content-Type")).startsWith("application/json");
        assertThat(api.bodyText()).isEqualTo("{\"message\":\"authentication required\"}");
        assertThat(api.header("WWW-Authenticate")).isEqualTo("Bearer");

        RawHttp.Response page = get(kind, "/grafana/d/abc?orgId=1&kiosk", "Accept: text/html,application/xhtml+xml");
        assertThat(page.status()).isEqualTo(302);
        assertThat(page.header("Location"))
                .isEqualTo("/login?next=http%3A%2F%2F127.0.0.1%2Fgrafana%2Fd%2Fabc%3ForgId%3D1%26kiosk");

        RawHttp.Response notPublic = get(kind, "/grafana/api/healthx");
        assertThat(notPublic.status()).isEqualTo(401);
        assertThat(grafana.received()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void aRejectedTokenGets401WithInvalidTokenAndNothingReachesGrafana(Containers kind) throws Exception {
        String expired = alice().expiresAt(Instant.now().minusSeconds(3600)).sign(key);
        RawHttp.Response r = get(kind, "/grafana/api/search", "Authorization: Bearer " + expired);
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.bodyText()).isEqualTo("{\"message\":\"token expired\"}");
        assertThat(r.header("WWW-Authenticate")).isEqualTo("Bearer error=\"invalid_token\", error_description=\"token expired\"");
        assertThat(grafana.received()).isEmpty();
        // written by the audit thread: wait for it
        assertThat(e2e.server(kind).awaitLogLine(l -> l.contains("outcome=rejected reason=\"token expired\" sub=alice method=GET path=/grafana/api/search client=127.0.0.1 status=401"),
                Duration.ofSeconds(10))).as(e2e.server(kind).logText()).isTrue();
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void attackCatalogue(Containers kind) throws Exception {
        RSAKey attacker = TestKeys.rsa("app-key-1");
        String good = alice().sign(key);
        String[] parts = good.split("\\.");
        Map<String, String> attacks = new LinkedHashMap<>();
        for (String none : List.of("none", "None", "NONE", "nOnE")) {
            attacks.put("alg " + none, alice().unsigned(none));
        }
        attacks.put("HS256 with the RSA public key", alice().alg(JWSAlgorithm.HS256).kid("app-key-1")
                .signHmac(TestKeys.publicKey(key).getEncoded()));
        attacks.put("tampered payload", parts[0] + "." + TestKeys.base64url("{\"sub\":\"admin\",\"iss\":\"" + ISSUER
                + "\",\"aud\":\"grafana\",\"exp\":" + (Instant.now().getEpochSecond() + 600) + "}") + "." + parts[2]);
        attacks.put("signature stripped", TestKeys.stripSignature(good));
        attacks.put("wrong key, same kid", alice().sign(attacker));
        attacks.put("unknown kid", alice().sign(TestKeys.rsa("other-kid")));
        attacks.put("jku to attacker keys", alice().header("jku", "http://127.0.0.1:1/jwks.json").sign(attacker));
        attacks.put("embedded jwk", alice().header("jwk", attacker.toPublicJWK().toJSONObject()).sign(attacker));
        attacks.put("nbf in the future", alice().notBefore(Instant.now().plusSeconds(3600)).sign(key));
        attacks.put("iat far in the future", alice().issuedAt(Instant.now().plusSeconds(86400)).sign(key));
        attacks.put("wrong iss", alice().issuer("https://evil.example").sign(key));
        attacks.put("wrong aud", alice().audience("other-app").sign(key));
        attacks.put("missing exp", alice().expiresAt(null).sign(key));
        attacks.put("malformed base64", "eyJhbGciOiJSUzI1NiJ9.e%%%.abc");
        attacks.put("JWE where a JWS is expected", "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d");
        for (Map.Entry<String, String> attack : attacks.entrySet()) {
            RawHttp.Response r = get(kind, "/grafana/api/admin/users", "Authorization: Bearer " + attack.getValue());
            assertThat(r.status()).as(attack.getKey()).isEqualTo(401);
            assertThat(r.header("WWW-Authenticate")).as(attack.getKey()).startsWith("Bearer error=\"invalid_token\"");
        }
        // a 100 KB token is refused before it is parsed, by the container's header limit or by the proxy
        String huge = alice().claim("pad", "x".repeat(100_000)).sign(key);
        RawHttp.Response big = get(kind, "/grafana/api/admin/users", "Authorization: Bearer " + huge);
        assertThat(big.status()).isIn(400, 401, 413, 431);
        assertThat(grafana.received()).as("nothing reached Grafana").isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void aValidTokenWithoutAUsableIdentityGets403AndNothingIsForwarded(Containers kind) throws Exception {
        RawHttp.Response noSub = get(kind, "/grafana/echo/x", "Cookie: app_session=" + alice().subject(null).sign(key));
        assertThat(noSub.status()).isEqualTo(403);
        assertThat(noSub.header("Content-Type")).startsWith("application/json");
        assertThat(noSub.bodyText()).startsWith("{\"message\":\"no usable Grafana identity in the session: ");
        RawHttp.Response crlf = get(kind, "/grafana/echo/x",
                "Cookie: app_session=" + alice().claim("name", "Eve\r\nX-WEBAUTH-ROLE: Admin").sign(key));
        assertThat(crlf.status()).isEqualTo(403);
        assertThat(grafana.received()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void urlLoginExchangesTheTokenForACookieAndRedirectsToTheCleanUrl(Containers kind) throws Exception {
        String token = alice().sign(key);
        RawHttp.Response r = get(kind, "/grafana/d/abc?orgId=1&auth_token=" + token + "&kiosk",
                "Accept: text/html");
        assertThat(r.status()).isEqualTo(303);
        assertThat(r.header("Location")).isEqualTo("http://127.0.0.1/grafana/d/abc?orgId=1&kiosk");
        String cookie = r.header("Set-Cookie");
        assertThat(cookie).startsWith("app_session=" + token + "; Max-Age=")
                .endsWith("; Path=/grafana; HttpOnly; SameSite=Lax");
        long maxAge = Long.parseLong(cookie.replaceAll(".*Max-Age=(\\d+);.*", "$1"));
        assertThat(maxAge).isBetween(500L, 600L);
        assertThat(grafana.received()).as("Grafana never sees the token in a URL").isEmpty();

        RawHttp.Response next = get(kind, "/grafana/echo/d/abc?orgId=1&kiosk", "Cookie: app_session=" + token);
        assertThat(next.status()).isEqualTo(200);
        assertThat(grafana.lastReceived().rawQuery()).isEqualTo("orgId=1&kiosk");

        RawHttp.Response bad = get(kind, "/grafana/d/abc?auth_token=" + alice().sign(TestKeys.rsa("x")), "Accept: text/html");
        assertThat(bad.status()).isEqualTo(302);
        assertThat(bad.header("Location")).isEqualTo("/login?next=http%3A%2F%2F127.0.0.1%2Fgrafana%2Fd%2Fabc");
        assertThat(bad.hasHeader("Set-Cookie")).isFalse();
    }
}
