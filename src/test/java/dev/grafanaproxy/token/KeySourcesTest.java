package dev.grafanaproxy.token;

import static dev.grafanaproxy.token.Fixtures.assertRejected;
import static dev.grafanaproxy.token.Fixtures.config;
import static dev.grafanaproxy.token.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import dev.grafanaproxy.testsupport.TestKeys;
import dev.grafanaproxy.token.TokenRejectedException.Reason;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every key source verifies what its key signed and nothing else. */
class KeySourcesTest {
    private static final RSAKey RSA = TestKeys.rsa("rsa-1");
    private static final ECKey EC256 = TestKeys.ec(Curve.P_256, "ec-256");
    private static final ECKey EC384 = TestKeys.ec(Curve.P_384, "ec-384");
    private static final ECKey EC521 = TestKeys.ec(Curve.P_521, "ec-521");

    @TempDir
    Path dir;

    // --- jwt.secret ------------------------------------------------------------------------

    @Test
    void secretVerifiesHs256AndDefaultsFollowItsLength() throws Exception {
        String secret = TestKeys.secret(32);
        try (TokenVerifier v = TokenVerifiers.uncached(config().set("jwt.secret", secret).build(), Fixtures.fixedNow())) {
            VerifiedToken t = v.verify(TestKeys.jwt().sign(TestKeys.hmac(secret)));
            assertThat(t.subject()).isEqualTo("alice");
            // a 32-byte secret is too short for HS384/HS512 (RFC 7518 3.2), so they are not allowed
            assertRejected(v, TestKeys.jwt().alg(JWSAlgorithm.HS384).signHmac(secret.getBytes()), Reason.ALGORITHM_NOT_ALLOWED);
            assertRejected(v, TestKeys.jwt().sign(TestKeys.hmac(TestKeys.secret(32))), Reason.BAD_SIGNATURE);
            assertRejected(v, TestKeys.jwt().sign(RSA), Reason.ALGORITHM_NOT_ALLOWED);
        }
        String longSecret = TestKeys.secret(64);
        try (TokenVerifier v = TokenVerifiers.uncached(config().set("jwt.secret", longSecret).build(), Fixtures.fixedNow())) {
            for (JWSAlgorithm a : List.of(JWSAlgorithm.HS256, JWSAlgorithm.HS384, JWSAlgorithm.HS512)) {
                assertThat(v.verify(TestKeys.jwt().alg(a).sign(TestKeys.hmac(longSecret))).subject()).isEqualTo("alice");
            }
        }
    }

    @Test
    void secretWithExplicitAllowList() throws Exception {
        String secret = TestKeys.secret(64);
        ProxyConfigHolder c = new ProxyConfigHolder(config().set("jwt.secret", secret).set("jwt.algorithms", "HS512"));
        try (TokenVerifier v = c.verifier()) {
            v.verify(TestKeys.jwt().alg(JWSAlgorithm.HS512).sign(TestKeys.hmac(secret)));
            assertRejected(v, TestKeys.jwt().alg(JWSAlgorithm.HS256).sign(TestKeys.hmac(secret)), Reason.ALGORITHM_NOT_ALLOWED);
        }
    }

    // --- jwt.key_file ----------------------------------------------------------------------

    static Stream<Arguments> pemForms() {
        return Stream.of(
                Arguments.of("RSA PKIX PUBLIC KEY", RSA, (Function<JWK, String>) TestKeys::pkixPem),
                Arguments.of("RSA PKCS#1 RSA PUBLIC KEY", RSA, (Function<JWK, String>) k -> TestKeys.pkcs1PublicPem((RSAKey) k)),
                Arguments.of("RSA CERTIFICATE", RSA, (Function<JWK, String>) TestKeys::certificatePem),
                Arguments.of("RSA PKCS#1 RSA PRIVATE KEY", RSA, (Function<JWK, String>) k -> TestKeys.pkcs1PrivatePem((RSAKey) k)),
                Arguments.of("RSA PKCS#8 PRIVATE KEY", RSA, (Function<JWK, String>) TestKeys::pkcs8Pem),
                Arguments.of("EC P-256 PKIX PUBLIC KEY", EC256, (Function<JWK, String>) TestKeys::pkixPem),
                Arguments.of("EC P-256 SEC1 EC PRIVATE KEY", EC256, (Function<JWK, String>) k -> TestKeys.sec1Pem((ECKey) k, true)),
                Arguments.of("EC P-256 CERTIFICATE", EC256, (Function<JWK, String>) TestKeys::certificatePem),
                Arguments.of("EC P-384 PKIX PUBLIC KEY", EC384, (Function<JWK, String>) TestKeys::pkixPem),
                Arguments.of("EC P-384 SEC1 after EC PARAMETERS", EC384, (Function<JWK, String>) k ->
                        "-----BEGIN EC PARAMETERS-----\nBgUrgQQAIg==\n-----END EC PARAMETERS-----\n" + TestKeys.sec1Pem((ECKey) k, true)),
                Arguments.of("EC P-521 PKIX PUBLIC KEY", EC521, (Function<JWK, String>) TestKeys::pkixPem));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pemForms")
    void pemKeyFileInEveryForm(String form, JWK key, Function<JWK, String> pem) throws Exception {
        Path file = write(dir, "key.pem", "some comment before the block\n" + pem.apply(key));
        try (TokenVerifier v = TokenVerifiers.uncached(config().set("jwt.key_file", file.toString()).build(), Fixtures.fixedNow())) {
            // the PEM key has no kid: whatever kid the token names (or none) does not matter
            assertThat(v.verify(TestKeys.jwt().sign(key)).subject()).isEqualTo("alice");
            assertThat(v.verify(TestKeys.jwt().kid(null).sign(key)).subject()).isEqualTo("alice");
            assertThat(v.verify(TestKeys.jwt().kid("anything").sign(key)).subject()).isEqualTo("alice");
            JWK other = key instanceof RSAKey ? TestKeys.rsa(key.getKeyID()) : TestKeys.ec(((ECKey) key).getCurve(), key.getKeyID());
            assertRejected(v, TestKeys.jwt().sign(other), Reason.BAD_SIGNATURE);
            if (key instanceof RSAKey) {
                for (JWSAlgorithm a : Algorithms.RSA) {
                    assertThat(v.verify(TestKeys.jwt().alg(a).sign(key)).subject()).isEqualTo("alice");
                }
                assertRejected(v, TestKeys.jwt().sign(EC256), Reason.ALGORITHM_NOT_ALLOWED);
            } else {
                // an EC key verifies only its own curve's algorithm
                JWK otherCurve = EC256.equals(key) ? EC384 : EC256;
                assertRejected(v, TestKeys.jwt().sign(otherCurve), Reason.ALGORITHM_NOT_ALLOWED);
                assertRejected(v, TestKeys.jwt().sign(RSA), Reason.ALGORITHM_NOT_ALLOWED);
            }
        }
    }

    @Test
    void certificateChainUsesTheFirstCertificate() throws Exception {
        Path file = write(dir, "chain.pem", TestKeys.certificatePem(RSA) + TestKeys.certificatePem(TestKeys.rsa()));
        try (TokenVerifier v = TokenVerifiers.uncached(config().set("jwt.key_file", file.toString()).build(), Fixtures.fixedNow())) {
            assertThat(v.verify(TestKeys.jwt().sign(RSA)).subject()).isEqualTo("alice");
        }
    }

    // --- jwt.jwk_set_file ------------------------------------------------------------------

    @Test
    void jwkSetFileMatchesByKidAndType() throws Exception {
        RSAKey rsa2 = TestKeys.rsa("rsa-2");
        Path file = write(dir, "jwks.json", new JWKSet(List.of(RSA, rsa2, EC256, TestKeys.hmac(TestKeys.secret(32))))
                .toString(false)); // private halves and an oct key included on purpose: both must be ignored
        try (TokenVerifier v = TokenVerifiers.uncached(config().set("jwt.jwk_set_file", file.toString()).build(), Fixtures.fixedNow())) {
            assertThat(v.verify(TestKeys.jwt().sign(RSA)).subject()).isEqualTo("alice");
            assertThat(v.verify(TestKeys.jwt().sign(rsa2)).subject()).isEqualTo("alice");
            assertThat(v.verify(TestKeys.jwt().sign(EC256)).subject()).isEqualTo("alice");
            // no kid: every key of the right type is tried
            assertThat(v.verify(TestKeys.jwt().kid(null).sign(rsa2)).subject()).isEqualTo("alice");
            assertRejected(v, TestKeys.jwt().kid("nope").sign(RSA), Reason.UNKNOWN_KEY);
            // the kid of an RSA key on an ES256 token: type mismatch, no key
            assertRejected(v, TestKeys.jwt().kid("rsa-1").sign(TestKeys.ec(Curve.P_256, "x")), Reason.UNKNOWN_KEY);
            // ES384 is not allowed: the file has no P-384 key, so it is not in the default list
            assertRejected(v, TestKeys.jwt().sign(EC384), Reason.ALGORITHM_NOT_ALLOWED);
            // the oct key in the file is never an HMAC secret
            assertRejected(v, TestKeys.jwt().sign(TestKeys.hmac(TestKeys.secret(32))), Reason.ALGORITHM_NOT_ALLOWED);
        }
    }

    @Test
    void jwkSetFileIgnoresSmallRsaAndEncryptionKeys() throws Exception {
        RSAKey small = TestKeys.rsa(1024, "small");
        RSAKey enc = new RSAKey.Builder(TestKeys.rsa("enc")).keyUse(com.nimbusds.jose.jwk.KeyUse.ENCRYPTION).build();
        Path file = write(dir, "jwks.json", new JWKSet(List.of(RSA, small, enc)).toPublicJWKSet().toString());
        try (TokenVerifier v = TokenVerifiers.uncached(config().set("jwt.jwk_set_file", file.toString()).build(), Fixtures.fixedNow())) {
            assertThat(v.verify(TestKeys.jwt().sign(RSA)).subject()).isEqualTo("alice");
            assertRejected(v, TestKeys.jwt().sign(small), Reason.UNKNOWN_KEY);
            assertRejected(v, TestKeys.jwt().sign(enc), Reason.UNKNOWN_KEY);
        }
    }

    /** Builds a verifier from a builder with a fixed clock. */
    private record ProxyConfigHolder(dev.grafanaproxy.config.ProxyConfig.Builder builder) {
        TokenVerifier verifier() {
            return TokenVerifiers.uncached(builder.build(), Fixtures.fixedNow());
        }
    }
}
