package dev.grafanaproxy.e2e;

import static dev.grafanaproxy.e2e.JwtE2E.JWKS_PATH;
import static dev.grafanaproxy.e2e.JwtE2E.get;
import static dev.grafanaproxy.e2e.JwtE2E.json;
import static dev.grafanaproxy.e2e.JwtE2E.session;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.grafanaproxy.testsupport.Containers;
import dev.grafanaproxy.testsupport.GrafanaJwtAuth;
import dev.grafanaproxy.testsupport.GrafanaStandIn;
import dev.grafanaproxy.testsupport.RawHttp;
import dev.grafanaproxy.testsupport.ReceivedRequest;
import dev.grafanaproxy.testsupport.ServletContainer;
import dev.grafanaproxy.testsupport.TestKeys;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code grafana.auth_mode=jwt} with the default {@code grafana.jwt_source=mint} and a generated key,
 * end to end on both containers, against a stand-in that verifies tokens the way Grafana's
 * {@code [auth.jwt]} does ({@link GrafanaJwtAuth}): it fetches the proxy's JWKS over HTTP, checks
 * signature, {@code exp} and claims, and shows the user it signs in at {@code /api/user}.
 */
class JwtModeIT {
    private static JwtE2E jwt;
    private static E2E e2e;
    private static GrafanaStandIn grafana;
    private GrafanaJwtAuth auth;

    @BeforeAll
    static void start() throws Exception {
        jwt = new JwtE2E();
        e2e = new E2E(jwt::jwtMode);
        grafana = e2e.grafana;
    }

    @AfterAll
    static void stop() {
        e2e.close();
        jwt.close();
    }

    @AfterEach
    void guardTokens() {
        JwtE2E.guard(auth);
    }

    /** The container, with Grafana's jwk_set_url pointing at it (each container has its own key). */
    private ServletContainer server(Containers kind) throws Exception {
        ServletContainer s = e2e.server(kind);
        auth = grafana.authJwt(JwtE2E.mintedTokenAuth(s).build());
        grafana.clearReceived();
        return s;
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void grafanaVerifiesTheMintedTokenWithTheProxysJwksAndSignsInTheMappedUser(Containers kind) throws Exception {
        ServletContainer server = server(kind);
        String session = session("alice").sign(jwt.appKey);
        RawHttp.Response r = get(server, "/grafana/api/user", "Cookie: theme=dark; app_session=" + session);
        assertThat(r.status()).as(r.bodyText()).isEqualTo(200);
        JsonNode user = json(r);
        assertThat(user.get("authId").asText()).isEqualTo("alice");
        assertThat(user.get("login").asText()).isEqualTo("alice");
        assertThat(user.get("email").asText()).isEqualTo("alice@example.com");
        assertThat(user.get("name").asText()).isEqualTo("Alice M\u00fcller");
        assertThat(user.get("role").asText()).isEqualTo("Admin");
        assertThat(user.get("isGrafanaAdmin").asBoolean()).isFalse();
        assertThat(user.get("groups")).extracting(JsonNode::asText).containsExactly("ops", "dev");
        assertThat(user.get("orgs")).extracting(JsonNode::asText).containsExactly("2");

        ReceivedRequest got = grafana.lastReceived();
        assertThat(got.headers("X-JWT-Assertion")).hasSize(1);
        assertThat(got.headerNames()).as("no [auth.proxy] header in jwt mode").noneMatch(n ->
                n.toLowerCase(Locale.ROOT).startsWith("x-webauth") || n.equalsIgnoreCase("X-Grafana-Org-Id"));
        assertThat(got.hasHeader("Authorization")).isFalse();
        assertThat(got.headers("Cookie")).containsExactly("theme=dark");

        SignedJWT minted = SignedJWT.parse(got.header("X-JWT-Assertion"));
        JWTClaimsSet claims = minted.getJWTClaimsSet();
        assertThat(minted.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.RS256);
        assertThat(claims.getExpirationTime().getTime() - claims.getIssueTime().getTime()).isEqualTo(300_000);
        assertThat(claims.getIssuer()).isEqualTo("grafana-proxy");
        assertThat(auth.jwksFetches()).as("Grafana fetched the proxy's JWKS").isEqualTo(1);
        assertThat(auth.jwksCacheControls()).containsExactly("public, max-age=60");

        // the generated key's kid is in the start-up log, and it is what the JWKS publishes
        String kid = minted.getHeader().getKeyID();
        assertThat(server.logLines()).anyMatch(l -> l.contains("generated at start-up (RS256 key kid=" + kid + ")"));
        assertThat(JWKSet.parse(get(server, JWKS_PATH).bodyText()).getKeys()).extracting(JWK::getKeyID).containsExactly(kid);
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void grafanaAdminReachesGrafanaAsServerAdmin(Containers kind) throws Exception {
        ServletContainer server = server(kind);
        // the [auth.proxy] Role header can only say Admin; a minted token keeps GrafanaAdmin
        String session = session("frank").claim("roles", List.of("root")).sign(jwt.appKey);
        RawHttp.Response r = get(server, "/grafana/api/user", "Cookie: app_session=" + session);
        assertThat(r.status()).isEqualTo(200);
        assertThat(json(r).get("role").asText()).isEqualTo("Admin");
        assertThat(json(r).get("isGrafanaAdmin").asBoolean()).isTrue();
        assertThat(SignedJWT.parse(grafana.lastReceived().header("X-JWT-Assertion")).getJWTClaimsSet()
                .getStringClaim("role")).isEqualTo("GrafanaAdmin");
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void oneSignaturePerIdentityPerTokenLifetime(Containers kind) throws Exception {
        ServletContainer server = server(kind);
        server.clearLogLines();
        String carol = "carol-" + kind;
        String dave = "dave-" + kind;
        // ten sequential requests, each with a freshly issued session token of the same user
        for (int i = 0; i < 10; i++) {
            String session = session(carol).claim("jti", "s" + i).sign(jwt.appKey);
            assertThat(get(server, "/grafana/api/user", "Cookie: app_session=" + session).status()).isEqualTo(200);
        }
        // then 24 concurrent ones, carol and dave interleaved
        String carolSession = session(carol).sign(jwt.appKey);
        String daveSession = session(dave).claim("roles", List.of("editor")).sign(jwt.appKey);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Integer>> statuses = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                String s = i % 2 == 0 ? carolSession : daveSession;
                statuses.add(pool.submit(() -> get(server, "/grafana/echo/x", "Cookie: app_session=" + s).status()));
            }
            for (Future<Integer> f : statuses) {
                assertThat(f.get()).isEqualTo(200);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(auth.results()).hasSize(34).allMatch(GrafanaJwtAuth.Result::authenticated);
        Map<String, Set<String>> tokensByUser = auth.results().stream().collect(Collectors.groupingBy(
                x -> x.user().login(), Collectors.mapping(GrafanaJwtAuth.Result::token, Collectors.toSet())));
        assertThat(tokensByUser.get(carol)).as("22 requests, one signature").hasSize(1);
        assertThat(tokensByUser.get(dave)).as("12 requests, one signature").hasSize(1);
        assertThat(server.logLines().stream().filter(l -> l.contains("minted a Grafana token for"))).hasSize(2);
        assertThat(auth.jwksFetches()).as("Grafana's JWKS cache held").isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void theJwksIsPublicCacheableAndNeverForwarded(Containers kind) throws Exception {
        ServletContainer server = server(kind);
        RawHttp.Response r = get(server, JWKS_PATH, "Cookie: app_session=not-a-token", "X-JWT-Assertion: forged");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Type")).startsWith("application/jwk-set+json");
        assertThat(r.header("Cache-Control")).isEqualTo("public, max-age=60");
        JWKSet set = JWKSet.parse(r.bodyText());
        assertThat(set.getKeys()).hasSize(1).allMatch(k -> !k.isPrivate() && k instanceof RSAKey);
        assertThat(r.bodyText()).doesNotContain("\"d\"");

        String etag = r.header("ETag");
        assertThat(get(server, JWKS_PATH, "If-None-Match: " + etag).status()).isEqualTo(304);
        RawHttp.Response head = RawHttp.exchange(server.port(), RawHttp.request("HEAD", JWKS_PATH));
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        RawHttp.Response post = RawHttp.exchange(server.port(), RawHttp.request("POST", JWKS_PATH, "Content-Length: 0"));
        assertThat(post.status()).isEqualTo(405);
        assertThat(post.header("Allow")).isEqualTo("GET, HEAD");
        assertThat(grafana.received()).as("answered by the proxy itself").isEmpty();

        // only that exact path is the proxy's: its neighbours are Grafana's and need a session
        assertThat(get(server, JWKS_PATH + "x").status()).isEqualTo(401);
        assertThat(get(server, "/grafana/.well-known/").status()).isEqualTo(401);
        assertThat(grafana.received()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void aForgedAssertionFromTheClientNeverArrives(Containers kind) throws Exception {
        ServletContainer server = server(kind);
        String kid = JWKSet.parse(get(server, JWKS_PATH).bodyText()).getKeys().get(0).getKeyID();
        RSAKey attacker = TestKeys.rsa(kid); // same kid as the proxy's key
        String forged = TestKeys.jwt().subject("admin").issuer("grafana-proxy").audience("grafana")
                .claim("role", "GrafanaAdmin").sign(attacker);
        String session = session("erin").claim("roles", List.of()).sign(jwt.appKey);

        RawHttp.Response r = get(server, "/grafana/api/user", "Cookie: app_session=" + session,
                "X-JWT-Assertion: " + forged, "x-jwt-assertion: Bearer " + forged);
        assertThat(r.status()).isEqualTo(200);
        assertThat(json(r).get("login").asText()).isEqualTo("erin");
        assertThat(json(r).get("role").asText()).isEqualTo("Viewer");
        assertThat(grafana.lastReceived().headers("X-JWT-Assertion")).hasSize(1).doesNotContain(forged, "Bearer " + forged);

        RawHttp.Response health = get(server, "/grafana/api/health", "X-JWT-Assertion: " + forged);
        assertThat(health.status()).isEqualTo(200);
        assertThat(grafana.lastReceived().hasHeader("X-JWT-Assertion")).as("public paths carry no token").isFalse();
        assertThat(auth.lastResult().token()).isNull();

        grafana.clearReceived();
        assertThat(get(server, "/grafana/api/user", "X-JWT-Assertion: " + forged).status()).isEqualTo(401);
        assertThat(grafana.received()).as("no session: nothing reaches Grafana").isEmpty();

        // and had it arrived, Grafana would have refused it: the stand-in checks signatures
        RawHttp.Response direct = RawHttp.exchange(grafana.port(), RawHttp.get("/grafana/api/user", "X-JWT-Assertion: " + forged));
        assertThat(direct.status()).isEqualTo(401);
        assertThat(auth.lastResult().error()).contains("cryptographic");
    }
}
