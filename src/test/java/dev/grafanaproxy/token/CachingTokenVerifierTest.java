package dev.grafanaproxy.token;

import static dev.grafanaproxy.token.Fixtures.config;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.grafanaproxy.testsupport.TestKeys;
import dev.grafanaproxy.token.TokenRejectedException.Reason;
import java.lang.reflect.Field;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CachingTokenVerifierTest {

    /** A clock the test moves by hand. */
    static final class MutableClock extends Clock {
        volatile Instant now = Instant.parse("2030-01-01T00:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    /** Accepts every token as expiring at {@code exp}, counting calls. */
    static final class Counting implements TokenVerifier {
        final AtomicInteger calls = new AtomicInteger();
        volatile Instant exp;
        volatile boolean reject;

        Counting(Instant exp) {
            this.exp = exp;
        }

        @Override
        public VerifiedToken verify(String token) throws TokenRejectedException {
            calls.incrementAndGet();
            if (reject) {
                throw new TokenRejectedException(Reason.BAD_SIGNATURE);
            }
            return new VerifiedToken(token, Map.of("sub", "alice"), exp);
        }
    }

    private final MutableClock clock = new MutableClock();

    @Test
    void hitReturnsTheSameResultWithoutVerifyingAgain() throws Exception {
        Counting delegate = new Counting(clock.now.plus(Duration.ofMinutes(10)));
        CachingTokenVerifier cache = new CachingTokenVerifier(delegate, 100, Duration.ofMinutes(5), clock);
        VerifiedToken first = cache.verify("a.b.c");
        assertThat(cache.verify("a.b.c")).isSameAs(first);
        assertThat(cache.verify("a.b.c")).isSameAs(first);
        assertThat(delegate.calls).hasValue(1);
        cache.verify("a.b.d");
        assertThat(delegate.calls).hasValue(2);
    }

    @Test
    void entriesAreNotServedAtOrAfterExp() throws Exception {
        Counting delegate = new Counting(clock.now.plusSeconds(30));
        CachingTokenVerifier cache = new CachingTokenVerifier(delegate, 100, Duration.ofMinutes(5), clock);
        cache.verify("t");
        clock.advance(Duration.ofSeconds(29));
        cache.verify("t");
        assertThat(delegate.calls).hasValue(1);
        clock.advance(Duration.ofSeconds(1)); // now == exp: back to the verifier, which decides (skew is its business)
        delegate.reject = true;
        assertThatThrownBy(() -> cache.verify("t")).isInstanceOf(TokenRejectedException.class);
        assertThat(delegate.calls).hasValue(2);
        assertThat(cache.holds("t")).isFalse();
    }

    @Test
    void withinTheSkewTheVerifierAcceptsButNothingIsCached() throws Exception {
        Counting delegate = new Counting(clock.now.minusSeconds(10)); // expired 10s ago, verifier's skew allows it
        CachingTokenVerifier cache = new CachingTokenVerifier(delegate, 100, Duration.ofMinutes(5), clock);
        cache.verify("t");
        cache.verify("t");
        assertThat(delegate.calls).hasValue(2);
        assertThat(cache.size()).isZero();
    }

    @Test
    void entriesAreReverifiedAfterMaxAge() throws Exception {
        Counting delegate = new Counting(clock.now.plus(Duration.ofHours(8)));
        CachingTokenVerifier cache = new CachingTokenVerifier(delegate, 100, Duration.ofMinutes(5), clock);
        cache.verify("t");
        clock.advance(Duration.ofMinutes(4));
        cache.verify("t");
        assertThat(delegate.calls).hasValue(1);
        clock.advance(Duration.ofMinutes(2));
        cache.verify("t");
        assertThat(delegate.calls).hasValue(2);
    }

    @Test
    void rejectionsAreNotCached() throws Exception {
        Counting delegate = new Counting(clock.now.plus(Duration.ofMinutes(10)));
        CachingTokenVerifier cache = new CachingTokenVerifier(delegate, 100, Duration.ofMinutes(5), clock);
        delegate.reject = true;
        assertThatThrownBy(() -> cache.verify("t")).isInstanceOf(TokenRejectedException.class);
        assertThatThrownBy(() -> cache.verify("t")).isInstanceOf(TokenRejectedException.class);
        assertThat(delegate.calls).hasValue(2);
        assertThat(cache.size()).isZero();
    }

    @Test
    void boundIsRespected() throws Exception {
        Counting delegate = new Counting(clock.now.plus(Duration.ofMinutes(10)));
        CachingTokenVerifier cache = new CachingTokenVerifier(delegate, 100, Duration.ofMinutes(5), clock);
        for (int i = 0; i < 5_000; i++) {
            cache.verify("token-" + i);
            assertThat(cache.size()).isLessThanOrEqualTo(100);
        }
        assertThat(cache.size()).isGreaterThanOrEqualTo(90);
        // expired entries go first when the bound is hit
        clock.advance(Duration.ofMinutes(11));
        delegate.exp = clock.now.plus(Duration.ofMinutes(10));
        for (int i = 0; i < 101; i++) {
            cache.verify("fresh-" + i);
        }
        assertThat(cache.size()).isLessThanOrEqualTo(100);
        int fresh = 0;
        for (int i = 0; i < 101; i++) {
            fresh += cache.holds("fresh-" + i) ? 1 : 0;
        }
        assertThat(fresh).isGreaterThanOrEqualTo(90);
    }

    @Test
    void onlyDigestsAreStored() throws Exception {
        String secret = TestKeys.secret(32);
        TokenVerifier real = TokenVerifiers.uncached(config().set("jwt.secret", secret).build(), Clock.systemUTC());
        CachingTokenVerifier cache = new CachingTokenVerifier(real);
        String token = TestKeys.jwt().sign(TestKeys.hmac(secret));
        cache.verify(token);
        assertThat(cache.holds(token)).isTrue();
        assertThat(cache.keysAreDigests()).isTrue();
        Field f = CachingTokenVerifier.class.getDeclaredField("entries");
        f.setAccessible(true);
        ConcurrentHashMap<?, ?> map = (ConcurrentHashMap<?, ?>) f.get(cache);
        assertThat(map.keySet()).noneMatch(k -> k.toString().contains(token) || k.equals(token));
        assertThat(cache.toString()).doesNotContain(token);
        cache.close();
        assertThat(cache.size()).isZero();
    }

    @Test
    void nonAsciiLookalikesNeverHitAValidToken() throws Exception {
        Counting delegate = new Counting(clock.now.plus(Duration.ofMinutes(10)));
        CachingTokenVerifier cache = new CachingTokenVerifier(delegate, 100, Duration.ofMinutes(5), clock);
        cache.verify("a.b.c");
        cache.verify("a.b\u00e9c"); // becomes "a.b?c" in US-ASCII: a different digest, so the delegate decides
        assertThat(delegate.calls).hasValue(2);
    }

    @Test
    void oversizedTokensBypassTheCache() throws Exception {
        Counting delegate = new Counting(clock.now.plus(Duration.ofMinutes(10)));
        CachingTokenVerifier cache = new CachingTokenVerifier(delegate, 100, Duration.ofMinutes(5), clock);
        String big = "x".repeat(JwtVerifier.MAX_TOKEN_LENGTH + 1);
        cache.verify(big);
        cache.verify(big);
        assertThat(delegate.calls).hasValue(2);
        assertThat(cache.size()).isZero();
    }

    @Test
    void concurrentUseIsConsistent() throws Exception {
        Counting delegate = new Counting(clock.now.plus(Duration.ofMinutes(10)));
        CachingTokenVerifier cache = new CachingTokenVerifier(delegate, 500, Duration.ofMinutes(5), clock);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Integer>> futures = new java.util.ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int seed = t;
                futures.add(pool.submit(() -> {
                    int ok = 0;
                    for (int i = 0; i < 20_000; i++) {
                        String token = "tok-" + ((i * 31 + seed) % 1_000);
                        if (cache.verify(token).compact().equals(token)) {
                            ok++;
                        }
                    }
                    return ok;
                }));
            }
            for (Future<Integer> f : futures) {
                assertThat(f.get(30, TimeUnit.SECONDS)).isEqualTo(20_000);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(cache.size()).isLessThanOrEqualTo(500 + 8);
        assertThat(delegate.calls.get()).isLessThan(8 * 20_000);
    }

    @Test
    void factoryBuildsACachingVerifierAndCloseReachesTheSource() throws Exception {
        String secret = TestKeys.secret(32);
        TokenVerifier v = TokenVerifiers.create(config().set("jwt.secret", secret).build());
        assertThat(v).isInstanceOf(CachingTokenVerifier.class);
        String token = TestKeys.jwt().sign(TestKeys.hmac(secret));
        assertThat(v.verify(token)).isSameAs(v.verify(token));
        v.close();
        v.close(); // idempotent
    }
}
