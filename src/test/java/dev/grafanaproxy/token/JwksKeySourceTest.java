package dev.grafanaproxy.token;

import static dev.grafanaproxy.token.Fixtures.assertRejected;
import static dev.grafanaproxy.token.Fixtures.config;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import dev.grafanaproxy.config.ProxyConfig;
import dev.grafanaproxy.testsupport.JwksServer;
import dev.grafanaproxy.testsupport.TestKeys;
import dev.grafanaproxy.token.TokenRejectedException.Reason;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The JWKS endpoint source: caching, rotation, rate limiting, outages, timeouts, shutdown. */
class JwksKeySourceTest {
    private static final RSAKey K1 = TestKeys.rsa("k1");
    private static final RSAKey K2 = TestKeys.rsa("k2");
    private static final RSAKey K3 = TestKeys.rsa("k3");
    private static final ECKey E1 = TestKeys.ec(Curve.P_256, "e1");

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private JwksServer server(com.nimbusds.jose.jwk.JWK... keys) {
        JwksServer s = JwksServer.start(keys);
        toClose.add(s);
        return s;
    }

    /** An uncached verifier over the server with explicit timings. */
    private TokenVerifier verifier(JwksServer server, Duration ttl, Duration http, Duration rateLimit) {
        ProxyConfig c = config().set("jwt.jwk_set_url", server.url().toString()).build();
        JwksKeySource source = new JwksKeySource(server.url(), new JwksKeySource.Settings(ttl, http, rateLimit));
        TokenVerifier v = TokenVerifiers.verifier(c, new ClaimsPolicy(c, Clock.systemUTC()), source);
        toClose.add(v);
        return v;
    }

    private static String token(com.nimbusds.jose.jwk.JWK key) {
        return TestKeys.jwt().sign(key);
    }

    private static boolean refreshThreadAlive() {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.isAlive() && t.getName().equals(JwksKeySource.THREAD_NAME));
    }

    @Test
    void verifiesRsaAndEcKeysFetchingOnce() throws Exception {
        JwksServer jwks = server(K1, E1);
        TokenVerifier v = TokenVerifiers.uncached(config().set("jwt.jwk_set_url", jwks.url().toString()).build(), Clock.systemUTC());
        toClose.add(v);
        for (int i = 0; i < 10; i++) {
            assertThat(v.verify(token(K1)).subject()).isEqualTo("alice");
            assertThat(v.verify(token(E1)).subject()).isEqualTo("alice");
        }
        assertThat(jwks.hits()).isEqualTo(1);
    }

    @Test
    void rotationWithoutRestartAndRateLimitedRefetch() throws Exception {
        JwksServer jwks = server(K1);
        Duration rateLimit = Duration.ofSeconds(2);
        TokenVerifier v = verifier(jwks, Duration.ofMinutes(60), Duration.ofSeconds(2), rateLimit);

        v.verify(token(K1));
        assertThat(jwks.hits()).isEqualTo(1);

        jwks.keys(K1, K2); // the issuer rotates in a new key
        assertThat(v.verify(token(K2)).subject()).isEqualTo("alice"); // unknown kid: refetched at once
        assertThat(jwks.hits()).isEqualTo(2);

        for (int i = 0; i < 20; i++) { // made-up kids: at most two fetches per interval, already spent
            assertRejected(v, token(K3), Reason.UNKNOWN_KEY);
        }
        assertThat(jwks.hits()).isEqualTo(2);
        assertThat(v.verify(token(K1)).subject()).isEqualTo("alice"); // known keys keep working meanwhile

        jwks.keys(K2, K3); // K1 retired, K3 published
        Thread.sleep(rateLimit.toMillis() + 200);
        assertThat(v.verify(token(K3)).subject()).isEqualTo("alice");
        assertThat(jwks.hits()).isEqualTo(3);
        assertRejected(v, token(K1), Reason.UNKNOWN_KEY); // retired key: gone from the refreshed set...
        assertThat(jwks.hits()).isEqualTo(4); // ...after the interval's second allowed refetch confirmed it
        assertRejected(v, token(K1), Reason.UNKNOWN_KEY);
        assertThat(jwks.hits()).isEqualTo(4);
    }

    @Test
    void outageToleranceKeepsTheLastKeysForAtLeastOneCacheTtl() throws Exception {
        JwksServer jwks = server(K1);
        Duration ttl = Duration.ofSeconds(1);
        TokenVerifier v = verifier(jwks, ttl, Duration.ofMillis(300), Duration.ofMillis(200));
        String token = token(K1);
        v.verify(token);

        jwks.stop();
        long stopped = System.nanoTime();
        long lastOk = stopped;
        TokenRejectedException failure = null;
        while (System.nanoTime() - stopped < Duration.ofSeconds(6).toNanos()) {
            try {
                v.verify(token);
                lastOk = System.nanoTime();
            } catch (TokenRejectedException e) {
                failure = e;
                break;
            }
            Thread.sleep(50);
        }
        long keptMillis = Duration.ofNanos(lastOk - stopped).toMillis();
        System.out.printf("JWKS outage (cache_ttl=%dms, requests every 50ms): keys kept verifying for %dms after the endpoint stopped, "
                + "then %s%n", ttl.toMillis(), keptMillis, failure == null ? "no failure" : failure.reason());
        assertThat(keptMillis).as("still verifying after the cache lifetime ran out").isGreaterThan(ttl.toMillis());
        assertThat(failure).as("bounded: keys are not used forever").isNotNull();
        assertThat(failure.reason()).isEqualTo(Reason.KEY_SOURCE_UNAVAILABLE);
        assertThat(failure.getCause()).isNotNull();
        assertThat(keptMillis).isLessThan(3 * ttl.toMillis() + 500);

        jwks.start(); // the endpoint is back: verification recovers without a restart
        long back = System.nanoTime();
        boolean recovered = false;
        while (!recovered && System.nanoTime() - back < Duration.ofSeconds(3).toNanos()) {
            try {
                v.verify(token);
                recovered = true;
            } catch (TokenRejectedException e) {
                Thread.sleep(50);
            }
        }
        assertThat(recovered).isTrue();
        System.out.printf("JWKS back: verifying again after %dms%n", Duration.ofNanos(System.nanoTime() - back).toMillis());
    }

    @Test
    void outageClockStartsAtTheFirstFailureNotTheLastFetch() throws Exception {
        JwksServer jwks = server(K1);
        Duration ttl = Duration.ofSeconds(1);
        TokenVerifier v = verifier(jwks, ttl, Duration.ofMillis(300), Duration.ofMillis(200));
        String token = token(K1);
        v.verify(token);
        jwks.stop();
        Thread.sleep(3 * ttl.toMillis()); // idle: nobody asked while the endpoint went down
        // the first failed refresh happens now: the old keys still serve for another cache_ttl
        assertThat(v.verify(token).subject()).isEqualTo("alice");
        Thread.sleep(ttl.toMillis() / 2);
        assertThat(v.verify(token).subject()).isEqualTo("alice");
    }

    @Test
    void nothingFetchedYetIsUnavailableThenRecovers() throws Exception {
        JwksServer jwks = server(K1);
        jwks.stop();
        TokenVerifier v = verifier(jwks, Duration.ofMinutes(60), Duration.ofMillis(500), Duration.ofMillis(300));
        String token = token(K1);
        for (int i = 0; i < 5; i++) { // the rate limit kicks in after two tries: still "unavailable", never "unknown key"
            assertRejected(v, token, Reason.KEY_SOURCE_UNAVAILABLE);
        }
        jwks.start();
        Thread.sleep(400);
        assertThat(v.verify(token).subject()).isEqualTo("alice");
    }

    @Test
    void slowEndpointIsCutOffByTheTimeout() throws Exception {
        JwksServer jwks = server(K1);
        jwks.delay(Duration.ofSeconds(3));
        TokenVerifier v = verifier(jwks, Duration.ofMinutes(60), Duration.ofMillis(300), Duration.ofSeconds(30));
        long start = System.nanoTime();
        assertRejected(v, token(K1), Reason.KEY_SOURCE_UNAVAILABLE);
        long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
        System.out.printf("JWKS answering after 3s with a 300ms read timeout: rejected after %dms%n", millis);
        assertThat(millis).isLessThan(1500);
    }

    @Test
    void badResponsesAreUnavailable() throws Exception {
        JwksServer jwks = server(K1);
        jwks.status(500);
        assertRejected(verifier(jwks, Duration.ofMinutes(60), Duration.ofSeconds(1), Duration.ofSeconds(30)), token(K1),
                Reason.KEY_SOURCE_UNAVAILABLE);
        jwks.status(200).rawBody("<html>not json</html>");
        assertRejected(verifier(jwks, Duration.ofMinutes(60), Duration.ofSeconds(1), Duration.ofSeconds(30)), token(K1),
                Reason.KEY_SOURCE_UNAVAILABLE);
        // over the size limit, however valid
        StringBuilder big = new StringBuilder("{\"keys\":[],\"padding\":\"");
        big.append("x".repeat(JwksKeySource.SIZE_LIMIT + 1)).append("\"}");
        jwks.rawBody(big.toString());
        assertRejected(verifier(jwks, Duration.ofMinutes(60), Duration.ofSeconds(1), Duration.ofSeconds(30)), token(K1),
                Reason.KEY_SOURCE_UNAVAILABLE);
    }

    @Test
    void tokenNamingAnAttackerJwksIsNeverFetched() throws Exception {
        JwksServer trusted = server(K1);
        RSAKey attackerKey = TestKeys.rsa("k1"); // even reusing the trusted kid
        JwksServer attacker = server(attackerKey);
        TokenVerifier v = verifier(trusted, Duration.ofMinutes(60), Duration.ofSeconds(1), Duration.ofSeconds(30));
        assertRejected(v, TestKeys.jwt().header("jku", attacker.url().toString()).sign(attackerKey), Reason.UNTRUSTED_HEADER_KEY);
        assertRejected(v, TestKeys.jwt().sign(attackerKey), Reason.BAD_SIGNATURE);
        assertThat(attacker.hits()).isZero();
    }

    @Test
    void closeStopsTheRefreshThread() throws Exception {
        JwksServer jwks = server(K1);
        Duration ttl = Duration.ofSeconds(4); // refresh-ahead window: the last second before expiry
        TokenVerifier v = verifier(jwks, ttl, Duration.ofMillis(300), Duration.ofMillis(200));
        String token = token(K1);
        v.verify(token);
        // inside the refresh-ahead window a request starts the background refresh
        Thread.sleep(ttl.toMillis() - 500);
        v.verify(token);
        long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        while (jwks.hits() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(jwks.hits()).as("refreshed ahead of expiry, in the background").isEqualTo(2);
        assertThat(refreshThreadAlive()).as("refresh thread lingers a few seconds").isTrue();
        v.close();
        assertThat(refreshThreadAlive()).as("no refresh thread after close()").isFalse();
        v.close(); // idempotent
    }

    @Test
    void productionFactoryIsClosable() throws Exception {
        JwksServer jwks = server(K1);
        TokenVerifier v = TokenVerifiers.create(config().set("jwt.jwk_set_url", jwks.url().toString()).build());
        String token = token(K1);
        assertThat(v.verify(token)).isSameAs(v.verify(token));
        v.close();
        assertThat(refreshThreadAlive()).isFalse();
    }
}
