/*
 * Run (from the project root; builds test classes, then runs JMH on the test classpath):
 *
 *   mvn -B -Pjmh test-compile exec:exec -Djmh.args="TokenVerificationBenchmark -f 1 -wi 3 -i 5 -w 1s -r 1s"
 *
 * jmh.args defaults to "-f 1 -wi 3 -i 5 -w 1s -r 1s" (every benchmark); add -prof gc for allocations.
 */
package dev.grafanaproxy.bench;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import dev.grafanaproxy.config.ProxyConfig;
import dev.grafanaproxy.testsupport.JwksServer;
import dev.grafanaproxy.testsupport.TestKeys;
import dev.grafanaproxy.token.TokenRejectedException;
import dev.grafanaproxy.token.TokenVerifier;
import dev.grafanaproxy.token.TokenVerifiers;
import dev.grafanaproxy.token.VerifiedToken;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What a request pays for its token. "Uncached" is a full verification as for a token seen for the
 * first time: header screening, Nimbus signature check with a key from the (warm) JWKS cache, claim
 * checks, payload to claims map. "Cached" is a repeat of a token the caching verifier already holds:
 * one SHA-256 of the token and a map lookup. Keys come from a JWKS endpoint on loopback, as in
 * production; it is hit once during setup.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class TokenVerificationBenchmark {

    private JwksServer jwks;
    private TokenVerifier uncached;
    private TokenVerifier cached;
    private TokenVerifier hmac;
    private String rs256;
    private String es256;
    private String hs256;

    @Setup(Level.Trial)
    public void setUp() throws TokenRejectedException {
        RSAKey rsa = TestKeys.rsa("bench-rsa");
        ECKey ec = TestKeys.ec(Curve.P_256, "bench-ec");
        jwks = JwksServer.start(rsa, ec);
        ProxyConfig config = ProxyConfig.custom().set("grafana.url", "http://127.0.0.1:3000")
                .set("jwt.jwk_set_url", jwks.url().toString())
                .set("jwt.issuer", "https://issuer.example").set("jwt.audience", "grafana").build();
        uncached = TokenVerifiers.uncached(config, Clock.systemUTC());
        cached = TokenVerifiers.create(config);
        String secret = TestKeys.secret(32);
        hmac = TokenVerifiers.uncached(ProxyConfig.custom().set("grafana.url", "http://127.0.0.1:3000")
                .set("jwt.secret", secret).build(), Clock.systemUTC());

        // a realistic session token: identity claims an app would carry
        rs256 = claims(TestKeys.jwt()).sign(rsa);
        es256 = claims(TestKeys.jwt()).sign(ec);
        hs256 = claims(TestKeys.jwt()).sign(TestKeys.hmac(secret));
        uncached.verify(rs256); // fills the JWKS cache
        uncached.verify(es256);
        cached.verify(rs256); // fills the token cache
        hmac.verify(hs256);
    }

    private static TestKeys.Jwt claims(TestKeys.Jwt jwt) {
        return jwt.issuer("https://issuer.example").audience("grafana").expiresIn(Duration.ofHours(2))
                .claim("email", "alice@example.com").claim("name", "Alice Example")
                .claim("roles", java.util.List.of("editor", "viewer")).claim("org", 1);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        uncached.close();
        cached.close();
        hmac.close();
        jwks.close();
    }

    @Benchmark
    public VerifiedToken rs256Uncached() throws TokenRejectedException {
        return uncached.verify(rs256);
    }

    @Benchmark
    public VerifiedToken es256Uncached() throws TokenRejectedException {
        return uncached.verify(es256);
    }

    @Benchmark
    public VerifiedToken hs256Uncached() throws TokenRejectedException {
        return hmac.verify(hs256);
    }

    @Benchmark
    public VerifiedToken cachedRepeat() throws TokenRejectedException {
        return cached.verify(rs256);
    }
}
