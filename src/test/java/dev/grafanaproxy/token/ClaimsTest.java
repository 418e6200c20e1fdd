package dev.grafanaproxy.token;

import static dev.grafanaproxy.token.Fixtures.assertRejected;
import static dev.grafanaproxy.token.Fixtures.config;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.grafanaproxy.config.ProxyConfig;
import dev.grafanaproxy.testsupport.TestKeys;
import dev.grafanaproxy.token.TokenRejectedException.Reason;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** exp/nbf/iat with the clock skew, issuer, audience, expected claims, and the verified result. */
class ClaimsTest {
    private static final String SECRET = TestKeys.secret(32);
    private final Clock clock = Fixtures.fixedNow();
    private final Instant now = clock.instant();

    private TokenVerifier verifier(ProxyConfig.Builder b) {
        return TokenVerifiers.uncached(b.set("jwt.secret", SECRET).build(), clock);
    }

    private static String sign(TestKeys.Jwt jwt) {
        return jwt.sign(TestKeys.hmac(SECRET));
    }

    @Test
    void clockSkewAppliesToExpNbfAndIat() throws Exception {
        try (TokenVerifier v = verifier(config())) { // default skew 60s
            v.verify(sign(TestKeys.jwt().expiresAt(now.minusSeconds(30))));
            assertRejected(v, sign(TestKeys.jwt().expiresAt(now.minusSeconds(61))), Reason.EXPIRED);
            v.verify(sign(TestKeys.jwt().notBefore(now.plusSeconds(30))));
            assertRejected(v, sign(TestKeys.jwt().notBefore(now.plusSeconds(90))), Reason.NOT_YET_VALID);
            v.verify(sign(TestKeys.jwt().issuedAt(now.plusSeconds(30))));
            assertRejected(v, sign(TestKeys.jwt().issuedAt(now.plusSeconds(90))), Reason.ISSUED_IN_FUTURE);
        }
        try (TokenVerifier v = verifier(config().set("jwt.clock_skew", "0"))) {
            assertRejected(v, sign(TestKeys.jwt().expiresAt(now.minusSeconds(1))), Reason.EXPIRED);
            assertRejected(v, sign(TestKeys.jwt().notBefore(now.plusSeconds(2))), Reason.NOT_YET_VALID);
        }
        try (TokenVerifier v = verifier(config().set("jwt.clock_skew", "5m"))) {
            v.verify(sign(TestKeys.jwt().expiresAt(now.minus(Duration.ofMinutes(4)))));
        }
    }

    @Test
    void audienceAsStringOrArrayMember() throws Exception {
        try (TokenVerifier v = verifier(config().set("jwt.audience", "grafana"))) {
            v.verify(sign(TestKeys.jwt().audience("grafana")));
            v.verify(sign(TestKeys.jwt().audience("app", "grafana")));
            assertRejected(v, sign(TestKeys.jwt().audience("app", "grafana-2")), Reason.WRONG_AUDIENCE);
            assertRejected(v, sign(TestKeys.jwt().claim("aud", List.of())), Reason.WRONG_AUDIENCE);
        }
    }

    @Test
    void issuerIsExact() throws Exception {
        try (TokenVerifier v = verifier(config().set("jwt.issuer", "https://issuer.example"))) {
            v.verify(sign(TestKeys.jwt().issuer("https://issuer.example")));
            assertRejected(v, sign(TestKeys.jwt().issuer("https://issuer.example/")), Reason.WRONG_ISSUER);
            assertRejected(v, sign(TestKeys.jwt().issuer("HTTPS://ISSUER.EXAMPLE")), Reason.WRONG_ISSUER);
        }
    }

    @Test
    void expectClaimsAreExactValues() throws Exception {
        String expect = "{\"tenant\":\"acme\",\"admin\":true,\"level\":3,\"groups\":[\"a\",\"b\"],\"org\":{\"id\":7}}";
        try (TokenVerifier v = verifier(config().set("jwt.expect_claims", expect))) {
            TestKeys.Jwt ok = TestKeys.jwt().claim("tenant", "acme").claim("admin", true).claim("level", 3)
                    .claim("groups", List.of("a", "b")).claim("org", Map.of("id", 7));
            v.verify(sign(ok));
            assertRejected(v, sign(ok.claim("tenant", "other")), Reason.CLAIM_MISMATCH);
            assertRejected(v, sign(ok.claim("tenant", "acme").claim("admin", "true")), Reason.CLAIM_MISMATCH);
            assertRejected(v, sign(ok.claim("admin", true).claim("groups", List.of("b", "a"))), Reason.CLAIM_MISMATCH);
            assertRejected(v, sign(ok.claim("groups", List.of("a", "b")).claim("level", null)), Reason.CLAIM_MISMATCH);
        }
        // an empty object expects nothing
        try (TokenVerifier v = verifier(config().set("jwt.expect_claims", "{}"))) {
            v.verify(sign(TestKeys.jwt()));
        }
    }

    @Test
    void verifiedTokenIsImmutableJsonAndHidesItself() throws Exception {
        try (TokenVerifier v = verifier(config())) {
            String token = sign(TestKeys.jwt().claim("email", "alice@example.com").claim("n", 1.5)
                    .claim("groups", List.of("a", Map.of("x", true))).claim("nothing", Map.of()));
            VerifiedToken t = v.verify(token);
            assertThat(t.compact()).isEqualTo(token);
            assertThat(t.subject()).isEqualTo("alice");
            assertThat(t.expiresAt()).isAfter(now);
            assertThat(t.claim("email")).isEqualTo("alice@example.com");
            assertThat(t.claim("n")).isEqualTo(1.5);
            assertThat(t.claim("exp")).isInstanceOf(Long.class);
            assertThat(t.claims()).containsKeys("sub", "iat", "exp", "email", "groups");
            assertThatThrownBy(() -> t.claims().put("sub", "bob")).isInstanceOf(UnsupportedOperationException.class);
            @SuppressWarnings("unchecked")
            List<Object> groups = (List<Object>) t.claim("groups");
            assertThatThrownBy(() -> groups.add("c")).isInstanceOf(UnsupportedOperationException.class);
            @SuppressWarnings("unchecked")
            Map<String, Object> inner = (Map<String, Object>) groups.get(1);
            assertThatThrownBy(() -> inner.put("y", 1)).isInstanceOf(UnsupportedOperationException.class);
            assertThat(t.toString()).doesNotContain(token).doesNotContain("alice");
            assertThat(v.toString()).doesNotContain(SECRET);
        }
    }

    @Test
    void subjectMayBeAbsent() throws Exception {
        try (TokenVerifier v = verifier(config())) {
            assertThat(v.verify(sign(TestKeys.jwt().subject(null))).subject()).isNull();
            assertThat(v.verify(sign(TestKeys.jwt().claim("sub", 42))).subject()).isNull();
        }
    }
}
