package dev.grafanaproxy.e2e;

import static dev.grafanaproxy.e2e.JwtE2E.JWKS_PATH;
import static dev.grafanaproxy.e2e.JwtE2E.get;
import static dev.grafanaproxy.e2e.JwtE2E.json;
import static dev.grafanaproxy.e2e.JwtE2E.session;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.grafanaproxy.testsupport.Containers;
import dev.grafanaproxy.testsupport.GrafanaJwtAuth;
import dev.grafanaproxy.testsupport.GrafanaStandIn;
import dev.grafanaproxy.testsupport.RawHttp;
import dev.grafanaproxy.testsupport.ReceivedRequest;
import dev.grafanaproxy.testsupport.ServletContainer;
import dev.grafanaproxy.testsupport.TestKeys;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code grafana.auth_mode=jwt} with {@code grafana.jwt_source=forward} on both containers: the
 * verified app token reaches Grafana unchanged, and the stand-in verifies it the way Grafana's
 * {@code [auth.jwt]} does, with the app's own JWKS.
 */
class JwtForwardIT {
    private static JwtE2E jwt;
    private static E2E e2e;
    private static GrafanaStandIn grafana;
    private static GrafanaJwtAuth auth;

    @BeforeAll
    static void start() throws Exception {
        jwt = new JwtE2E();
        e2e = new E2E(p -> {
            jwt.jwtMode(p);
            p.put("grafana.jwt_source", "forward");
        });
        grafana = e2e.grafana;
        auth = grafana.authJwt(jwt.forwardedTokenAuth().build());
    }

    @AfterAll
    static void stop() {
        e2e.close();
        jwt.close();
    }

    @BeforeEach
    void clear() {
        grafana.clearReceived();
        auth.clearResults();
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void theVerifiedAppTokenReachesGrafanaUnchangedAndGrafanaMapsItsClaimsItself(Containers kind) throws Exception {
        ServletContainer server = e2e.server(kind);
        String session = session("alice").claim("roles", List.of("editor")).sign(jwt.appKey);
        RawHttp.Response r = get(server, "/grafana/api/user", "Cookie: theme=dark; app_session=" + session);
        assertThat(r.status()).as(r.bodyText()).isEqualTo(200);
        JsonNode user = json(r);
        assertThat(user.get("login").asText()).isEqualTo("alice");
        assertThat(user.get("email").asText()).isEqualTo("alice@example.com");
        assertThat(user.get("role").asText()).isEqualTo("Editor");
        assertThat(user.get("groups")).extracting(JsonNode::asText).containsExactly("ops", "dev");

        ReceivedRequest got = grafana.lastReceived();
        assertThat(got.headers("X-JWT-Assertion")).containsExactly(session);
        assertThat(got.headerNames()).noneMatch(n ->
                n.toLowerCase(Locale.ROOT).startsWith("x-webauth") || n.equalsIgnoreCase("X-Grafana-Org-Id"));
        assertThat(got.headers("Cookie")).as("the app cookie itself is still cut out").containsExactly("theme=dark");

        // an API client's Bearer token is forwarded in the JWT header, never as Authorization
        String bob = session("bob").sign(jwt.appKey);
        assertThat(get(server, "/grafana/api/user", "Authorization: Bearer " + bob).status()).isEqualTo(200);
        assertThat(grafana.lastReceived().headers("X-JWT-Assertion")).containsExactly(bob);
        assertThat(grafana.lastReceived().hasHeader("Authorization")).isFalse();
        assertThat(auth.results()).allMatch(GrafanaJwtAuth.Result::authenticated);
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void aForgedAssertionIsReplacedAndNoJwksIsPublished(Containers kind) throws Exception {
        ServletContainer server = e2e.server(kind);
        String forged = TestKeys.jwt().subject("admin").issuer(JwtE2E.ISSUER).audience("grafana")
                .claim("roles", List.of("root")).sign(TestKeys.rsa("app-key-1"));
        String session = session("erin").claim("roles", List.of()).sign(jwt.appKey);
        RawHttp.Response r = get(server, "/grafana/api/user", "Cookie: app_session=" + session, "X-Jwt-Assertion: " + forged);
        assertThat(r.status()).isEqualTo(200);
        assertThat(json(r).get("login").asText()).isEqualTo("erin");
        assertThat(grafana.lastReceived().headers("X-JWT-Assertion")).containsExactly(session);

        assertThat(get(server, "/grafana/api/health", "X-JWT-Assertion: " + forged).status()).isEqualTo(200);
        assertThat(grafana.lastReceived().hasHeader("X-JWT-Assertion")).isFalse();

        grafana.clearReceived();
        RawHttp.Response jwks = get(server, JWKS_PATH);
        assertThat(jwks.status()).as("the proxy signs nothing in forward mode").isEqualTo(404);
        assertThat(jwks.bodyText()).contains("grafana.jwt_source=mint");
        assertThat(grafana.received()).as("and the path is still never forwarded").isEmpty();
    }
}
