package dev.grafanaproxy.token;

import static dev.grafanaproxy.token.Fixtures.assertRejected;
import static dev.grafanaproxy.token.Fixtures.config;
import static dev.grafanaproxy.token.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.RSAEncrypter;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.EncryptedJWT;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.grafanaproxy.testsupport.TestKeys;
import dev.grafanaproxy.token.TokenRejectedException.Reason;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The attacks a JWT verifier must withstand, each with the exact reason it is turned away. The
 * trusted keys are an RSA and an EC key in a JWKS file; issuer and audience are required.
 */
class AttackCatalogueTest {
    private static final String ISS = "https://issuer.example";
    private static final String AUD = "grafana";
    private static final RSAKey TRUSTED_RSA = TestKeys.rsa("k1");
    private static final ECKey TRUSTED_EC = TestKeys.ec(Curve.P_256, "e1");
    private static final RSAKey ATTACKER = TestKeys.rsa("attacker");

    @TempDir
    static Path dir;

    static TokenVerifier verifier;
    static TokenVerifier pemVerifier;
    static Clock clock;

    @BeforeAll
    static void setUp() {
        clock = Fixtures.fixedNow();
        Path jwks = write(dir, "jwks.json", new JWKSet(List.of(TRUSTED_RSA, TRUSTED_EC)).toPublicJWKSet().toString());
        verifier = TokenVerifiers.uncached(config().set("jwt.jwk_set_file", jwks.toString())
                .set("jwt.issuer", ISS).set("jwt.audience", AUD).build(), clock);
        Path pem = write(dir, "rsa.pem", TestKeys.pkixPem(TRUSTED_RSA));
        pemVerifier = TokenVerifiers.uncached(config().set("jwt.key_file", pem.toString()).build(), clock);
    }

    @AfterAll
    static void tearDown() {
        verifier.close();
        pemVerifier.close();
    }

    private static TestKeys.Jwt good() {
        return TestKeys.jwt().issuer(ISS).audience(AUD);
    }

    @Test
    void theGoodTokensPass() throws Exception {
        VerifiedToken t = verifier.verify(good().sign(TRUSTED_RSA));
        assertThat(t.subject()).isEqualTo("alice");
        assertThat(verifier.verify(good().sign(TRUSTED_EC)).subject()).isEqualTo("alice");
        assertThat(pemVerifier.verify(TestKeys.jwt().sign(TRUSTED_RSA)).subject()).isEqualTo("alice");
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "None", "NONE", "nOnE", "NoNe", "none "})
    void algNoneInEveryCase(String alg) {
        String unsigned = good().kid("k1").unsigned(alg);
        assertRejected(verifier, unsigned, Reason.ALGORITHM_NOT_ALLOWED);
        assertRejected(pemVerifier, unsigned, Reason.ALGORITHM_NOT_ALLOWED);
        // a "signature" appended does not make it signed
        assertRejected(verifier, unsigned + "c2lnbmF0dXJl", Reason.ALGORITHM_NOT_ALLOWED);
    }

    @Test
    void hmacSignedWithTheRsaPublicKeyBytes() {
        byte[] pemBytes = TestKeys.pkixPem(TRUSTED_RSA).getBytes(StandardCharsets.US_ASCII);
        byte[] derBytes = TestKeys.publicKey(TRUSTED_RSA).getEncoded();
        for (JWSAlgorithm hs : List.of(JWSAlgorithm.HS256, JWSAlgorithm.HS384, JWSAlgorithm.HS512)) {
            for (byte[] k : List.of(pemBytes, derBytes)) {
                String forged = good().alg(hs).kid("k1").signHmac(k);
                assertRejected(verifier, forged, Reason.ALGORITHM_NOT_ALLOWED);
                assertRejected(pemVerifier, forged, Reason.ALGORITHM_NOT_ALLOWED);
            }
        }
    }

    @Test
    void tamperedPayload() {
        String token = good().sign(TRUSTED_RSA);
        Map<String, Object> claims = new LinkedHashMap<>(good().claims());
        claims.put("sub", "admin");
        TokenRejectedException e = catchThrowableOfType(TokenRejectedException.class,
                () -> verifier.verify(TestKeys.withPayload(token, claims)));
        assertThat(e.reason()).isEqualTo(Reason.BAD_SIGNATURE);
        assertThat(e.subject()).as("an unverified sub is never reported").isNull();
        assertRejected(verifier, TestKeys.withPayload(good().sign(TRUSTED_EC), claims), Reason.BAD_SIGNATURE);
    }

    @Test
    void strippedOrAlteredSignature() {
        String token = good().sign(TRUSTED_RSA);
        assertRejected(verifier, TestKeys.stripSignature(token), Reason.BAD_SIGNATURE);
        assertRejected(pemVerifier, TestKeys.stripSignature(TestKeys.jwt().sign(TRUSTED_RSA)), Reason.BAD_SIGNATURE);
        String flipped = token.substring(0, token.length() - 4) + (token.endsWith("AAAA") ? "BBBB" : "AAAA");
        assertRejected(verifier, flipped, Reason.BAD_SIGNATURE);
        // signature of another token with the same key
        String other = good().subject("bob").sign(TRUSTED_RSA);
        assertRejected(verifier, TestKeys.stripSignature(token) + other.substring(other.lastIndexOf('.') + 1), Reason.BAD_SIGNATURE);
        // an RS256 signature presented as PS256
        String[] p = token.split("\\.");
        String ps = TestKeys.base64url("{\"alg\":\"PS256\",\"kid\":\"k1\"}") + "." + p[1] + "." + p[2];
        assertRejected(verifier, ps, Reason.BAD_SIGNATURE);
    }

    @Test
    void wrongKeyUnderATrustedKid() {
        assertRejected(verifier, good().kid("k1").sign(ATTACKER), Reason.BAD_SIGNATURE);
        assertRejected(verifier, good().kid("e1").sign(TestKeys.ec(Curve.P_256, "x")), Reason.BAD_SIGNATURE);
        assertRejected(pemVerifier, TestKeys.jwt().sign(ATTACKER), Reason.BAD_SIGNATURE);
    }

    @Test
    void unknownKid() {
        assertRejected(verifier, good().sign(ATTACKER), Reason.UNKNOWN_KEY);
        assertRejected(verifier, good().kid("../../etc/passwd").sign(TRUSTED_RSA), Reason.UNKNOWN_KEY);
        // the EC key's kid on an RSA-signed token: no RSA key has that kid
        assertRejected(verifier, good().kid("e1").sign(TRUSTED_RSA), Reason.UNKNOWN_KEY);
    }

    @Test
    void keysOfferedByTheTokenItself() {
        String attackerUrl = "https://attacker.example/jwks.json";
        assertRejected(verifier, good().header("jku", attackerUrl).sign(ATTACKER), Reason.UNTRUSTED_HEADER_KEY);
        assertRejected(verifier, good().kid("k1").header("jku", attackerUrl).sign(ATTACKER), Reason.UNTRUSTED_HEADER_KEY);
        assertRejected(verifier, good().header("x5u", "https://attacker.example/cert.pem").sign(ATTACKER), Reason.UNTRUSTED_HEADER_KEY);
        assertRejected(verifier, good().header("jwk", ATTACKER.toPublicJWK().toJSONObject()).sign(ATTACKER), Reason.UNTRUSTED_HEADER_KEY);
        String certDer = TestKeys.certificatePem(ATTACKER).replaceAll("-----[A-Z ]+-----|\\s", "");
        assertRejected(verifier, good().header("x5c", List.of(certDer)).sign(ATTACKER), Reason.UNTRUSTED_HEADER_KEY);
        // even signed by the trusted key: a token that names its own key is not accepted
        assertRejected(verifier, good().header("jwk", TRUSTED_RSA.toPublicJWK().toJSONObject()).sign(TRUSTED_RSA), Reason.UNTRUSTED_HEADER_KEY);
        assertRejected(pemVerifier, TestKeys.jwt().header("jwk", ATTACKER.toPublicJWK().toJSONObject()).sign(ATTACKER), Reason.UNTRUSTED_HEADER_KEY);
    }

    @Test
    void timeClaims() {
        Instant now = clock.instant();
        TokenRejectedException expired = catchThrowableOfType(TokenRejectedException.class,
                () -> verifier.verify(good().expiresAt(now.minus(Duration.ofHours(2))).sign(TRUSTED_RSA)));
        assertThat(expired.reason()).isEqualTo(Reason.EXPIRED);
        assertThat(expired.subject()).as("verified sub of a rejected token").isEqualTo("alice");
        assertRejected(verifier, good().notBefore(now.plus(Duration.ofHours(2))).sign(TRUSTED_RSA), Reason.NOT_YET_VALID);
        assertRejected(verifier, good().issuedAt(now.plus(Duration.ofDays(1))).sign(TRUSTED_RSA), Reason.ISSUED_IN_FUTURE);
        assertRejected(verifier, good().claim("exp", null).sign(TRUSTED_RSA), Reason.MISSING_EXP);
        assertRejected(pemVerifier, TestKeys.jwt().claim("exp", null).sign(TRUSTED_RSA), Reason.MISSING_EXP);
    }

    @Test
    void wrongIssuerOrAudience() {
        assertRejected(verifier, good().issuer("https://attacker.example").sign(TRUSTED_RSA), Reason.WRONG_ISSUER);
        assertRejected(verifier, good().claim("iss", null).sign(TRUSTED_RSA), Reason.WRONG_ISSUER);
        assertRejected(verifier, good().audience("other-app").sign(TRUSTED_RSA), Reason.WRONG_AUDIENCE);
        assertRejected(verifier, good().audience("other-app", "third").sign(TRUSTED_RSA), Reason.WRONG_AUDIENCE);
        assertRejected(verifier, good().claim("aud", null).sign(TRUSTED_RSA), Reason.WRONG_AUDIENCE);
    }

    @Test
    void oversizedTokens() {
        String big = good().claim("padding", "x".repeat(100 * 1024)).sign(TRUSTED_RSA);
        assertThat(big.length()).isGreaterThan(100 * 1024);
        assertRejected(verifier, big, Reason.TOO_LARGE);
        assertRejected(verifier, "a".repeat(100 * 1024), Reason.TOO_LARGE);
        // just under the limit is parsed normally
        String padded = good().claim("padding", "x".repeat(10 * 1024)).sign(TRUSTED_RSA);
        assertThat(padded.length()).isLessThan(JwtVerifier.MAX_TOKEN_LENGTH);
        assertThat(catchThrowableOfType(TokenRejectedException.class, () -> verifier.verify(padded))).isNull();
    }

    @Test
    void malformed() throws Exception {
        String token = good().sign(TRUSTED_RSA);
        for (String bad : new String[] {null, "", "abc", "a.b", "a.b.c.d", "!!!.@@@.###", "abc.def.ghi",
                token + "=", " " + token, token.replace('.', ' '), token.substring(0, 10) + "\u00e9" + token.substring(11),
                TestKeys.base64url("not json") + "." + token.split("\\.")[1] + "." + token.split("\\.")[2],
                TestKeys.base64url("{\"kid\":\"k1\"}") + "." + token.split("\\.")[1] + "." + token.split("\\.")[2]}) {
            assertRejected(verifier, bad, Reason.MALFORMED);
        }
        // a properly signed JWS whose payload is not a JSON claims set
        JWSObject notJwt = new JWSObject(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("k1").build(), new Payload("hello"));
        notJwt.sign(new RSASSASigner(TRUSTED_RSA));
        assertRejected(verifier, notJwt.serialize(), Reason.MALFORMED);
        // a critical header extension nobody here understands
        assertRejected(verifier, good().header("crit", List.of("urn:x")).header("urn:x", 1).sign(TRUSTED_RSA), Reason.MALFORMED);
    }

    @Test
    void encryptedTokensAreNotAccepted() throws Exception {
        EncryptedJWT jwe = new EncryptedJWT(new JWEHeader(JWEAlgorithm.RSA_OAEP_256, EncryptionMethod.A256GCM),
                JWTClaimsSet.parse(good().claims()));
        jwe.encrypt(new RSAEncrypter(TRUSTED_RSA.toRSAPublicKey()));
        assertRejected(verifier, jwe.serialize(), Reason.MALFORMED);
        assertRejected(pemVerifier, jwe.serialize(), Reason.MALFORMED);
    }
}
