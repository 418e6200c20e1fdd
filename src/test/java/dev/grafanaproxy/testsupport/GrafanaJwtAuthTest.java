package dev.grafanaproxy.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.RSAKey;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The stand-in's [auth.jwt] behaves as Grafana's does, leniencies included. */
class GrafanaJwtAuthTest {
    private static RSAKey key;
    private static JwksServer jwks;
    private static GrafanaStandIn grafana;
    private GrafanaJwtAuth auth;

    @BeforeAll
    static void start() {
        key = TestKeys.rsa("k1");
        jwks = JwksServer.start(key);
        grafana = new GrafanaStandIn().start();
    }

    @AfterAll
    static void stop() {
        grafana.close();
        jwks.close();
    }

    @BeforeEach
    void settings() {
        auth = grafana.authJwt(GrafanaJwtAuth.builder(jwks.url()).roleAttributePath("role").groupsAttributePath("groups")
                .allowAssignGrafanaAdmin(true).expectClaim("iss", "proxy").build());
        jwks.resetHits();
    }

    private RawHttp.Response user(String token) throws Exception {
        return RawHttp.exchange(grafana.port(), token == null ? RawHttp.get("/grafana/api/user")
                : RawHttp.get("/grafana/api/user", "X-JWT-Assertion: " + token));
    }

    private static TestKeys.Jwt token() {
        return TestKeys.jwt().subject("alice").issuer("proxy").claim("email", "a@example.com").claim("role", "GrafanaAdmin")
                .claim("groups", List.of("ops", 7, "dev"));
    }

    @Test
    void aValidTokenSignsInTheUserItNames() throws Exception {
        RawHttp.Response r = user(token().sign(key));
        assertThat(r.status()).isEqualTo(200);
        GrafanaJwtAuth.User u = auth.lastResult().user();
        assertThat(u).isEqualTo(new GrafanaJwtAuth.User("alice", "alice", "a@example.com", null, "Admin", true,
                List.of("ops", "dev"), List.of()));
        assertThat(r.bodyText()).contains("\"login\":\"alice\"", "\"isGrafanaAdmin\":true");
    }

    @Test
    void timesAreCheckedWithGoJosesMinuteOfLeewayAndExpIsOptional() throws Exception {
        assertThat(user(token().expiresAt(Instant.now().minusSeconds(30)).sign(key)).status()).isEqualTo(200);
        assertThat(user(token().expiresAt(Instant.now().minusSeconds(120)).sign(key)).status()).isEqualTo(401);
        assertThat(auth.lastResult().error()).contains("token is expired");
        assertThat(user(token().notBefore(Instant.now().plusSeconds(120)).sign(key)).status()).isEqualTo(401);
        assertThat(user(token().expiresAt(null).sign(key)).status()).as("Grafana does not require exp").isEqualTo(200);
    }

    @Test
    void refusals() throws Exception {
        RawHttp.Response noSub = user(token().subject(null).sign(key));
        assertThat(noSub.status()).as("no sub: not the JWT client's, so not signed in").isEqualTo(401);
        assertThat(noSub.bodyText()).contains("Unauthorized");
        assertThat(auth.lastResult().error()).isNull();
        assertThat(user(token().claim("email", null).claim("sub", "carol").claim("preferred", "x").sign(key)).status())
                .isEqualTo(200);
        assertThat(user(token().issuer("other").sign(key)).status()).isEqualTo(401);
        assertThat(user(token().sign(TestKeys.rsa("k1"))).status()).as("wrong key, same kid").isEqualTo(401);
        RawHttp.Response none = user(null);
        assertThat(none.status()).isEqualTo(401);
        assertThat(auth.lastResult().token()).isNull();
    }

    @Test
    void theJwksIsCachedAndAnUnknownKidDoesNotRefetchIt() throws Exception {
        assertThat(user(token().sign(key)).status()).isEqualTo(200);
        assertThat(user(token().sign(TestKeys.rsa("k2"))).status()).isEqualTo(401);
        assertThat(auth.lastResult().error()).isEqualTo("no keys found");
        assertThat(user(token().sign(key)).status()).isEqualTo(200);
        assertThat(jwks.hits()).isEqualTo(1);
        assertThat(auth.jwksFetches()).isEqualTo(1);

        GrafanaJwtAuth uncached = grafana.authJwt(GrafanaJwtAuth.builder(jwks.url()).cacheTtl(Duration.ZERO).build());
        user(token().sign(key));
        user(token().sign(key));
        assertThat(uncached.jwksFetches()).as("cache_ttl = 0 fetches for every request").isEqualTo(2);
    }

    @Test
    void routesStillAnswerWithoutAToken() throws Exception {
        assertThat(RawHttp.exchange(grafana.port(), RawHttp.get("/grafana/api/health")).status()).isEqualTo(200);
        assertThat(RawHttp.exchange(grafana.port(), RawHttp.get("/grafana/api/health", "X-JWT-Assertion: x.y.z")).status())
                .as("a token that does not parse is not the JWT client's").isEqualTo(200);
        String expired = token().expiresAt(Instant.now().minusSeconds(3600)).sign(key);
        RawHttp.Response refused = RawHttp.exchange(grafana.port(), RawHttp.get("/grafana/api/health", "X-JWT-Assertion: " + expired));
        assertThat(refused.status()).as("a token that fails verification is refused on any path").isEqualTo(401);
        assertThat(refused.bodyText()).isEqualTo("{\"message\":\"Failed to verify JWT\"}");
        grafana.authJwt(null);
        assertThat(RawHttp.exchange(grafana.port(), RawHttp.get("/grafana/api/user", "X-JWT-Assertion: x.y.z")).status())
                .as("opt-in: off again").isEqualTo(404);
    }
}
