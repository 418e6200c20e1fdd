package dev.grafanaproxy.identity;

import static dev.grafanaproxy.identity.JwtTestSupport.kid;
import static dev.grafanaproxy.identity.JwtTestSupport.kids;
import static dev.grafanaproxy.identity.JwtTestSupport.token;
import static dev.grafanaproxy.identity.JwtTestSupport.verified;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import dev.grafanaproxy.testsupport.MutableClock;
import dev.grafanaproxy.testsupport.TestKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rotation of {@code grafana.jwt_signing_key_file} without restart: a new key is published first,
 * signs {@code grafana.jwt_cache_ttl} later, and the old one stays published until its last token
 * (plus Grafana's minute of leeway) has expired.
 */
class SigningKeyRotationTest {
    private static final Duration CHECK = SigningKeys.FILE_CHECK_INTERVAL;
    private static final Duration CACHE_TTL = Duration.ofSeconds(30);
    private static final Duration TTL = Duration.ofMinutes(5);

    private final MutableClock clock = new MutableClock();
    private final Identity alice = GrafanaJwtWriterTest.alice();

    @TempDir
    Path dir;
    private Path file;
    private RSAKey k1;
    private GrafanaJwtWriter writer;

    @BeforeEach
    void start() throws Exception {
        k1 = TestKeys.rsa();
        file = dir.resolve("signing.pem");
        Files.writeString(file, TestKeys.pkcs8Pem(k1));
        writer = new GrafanaJwtWriter(GrafanaJwtWriterTest.jwtConfig("grafana.jwt_signing_key_file", file.toString(),
                "grafana.jwt_cache_ttl", "30s", "grafana.jwt_ttl", "5m"), clock, 100);
    }

    private static String kidOf(JWK k) throws Exception {
        return k.toPublicJWK().computeThumbprint().toString();
    }

    private String signingKid() throws Exception {
        return kid(token(writer.write(alice, null)));
    }

    private List<String> published() throws Exception {
        return kids(writer.jwks().orElseThrow());
    }

    @Test
    void aNewKeyIsPublishedFirstSignsAfterTheCacheTtlAndTheOldOneLeavesAfterItsLastToken() throws Exception {
        String old = kidOf(k1);
        String oldToken = token(writer.write(alice, null));
        assertThat(published()).containsExactly(old);

        ECKey k2 = TestKeys.ec();
        String fresh = kidOf(k2);
        Files.writeString(file, TestKeys.sec1Pem(k2, true));
        assertThat(published()).as("the file is looked at once per second at most").containsExactly(old);

        clock.advance(CHECK);
        assertThat(published()).as("published at once").containsExactly(old, fresh);
        String noticedJwksEtag = writer.jwks().orElseThrow().etag();
        assertThat(signingKid()).as("but not signing yet: Grafana may hold a JWKS without it").isEqualTo(old);

        clock.advance(CACHE_TTL.minusMillis(1));
        assertThat(signingKid()).isEqualTo(old);
        clock.advance(Duration.ofMillis(1));
        String newToken = token(writer.write(alice, null));
        assertThat(kid(newToken)).as("a key change invalidates cached tokens").isEqualTo(fresh);
        assertThat(verified(newToken, writer.jwks().orElseThrow()).getHeader().getAlgorithm().getName()).isEqualTo("ES256");
        assertThat(published()).containsExactly(fresh, old);
        assertThat(writer.jwks().orElseThrow().etag()).isNotEqualTo(noticedJwksEtag);
        verified(oldToken, writer.jwks().orElseThrow()); // tokens signed before the switch still verify

        clock.advance(TTL.plus(SigningKeys.GRAFANA_LEEWAY).minusMillis(1));
        assertThat(published()).as("until the old key's last token has expired, with Grafana's leeway")
                .containsExactly(fresh, old);
        clock.advance(Duration.ofMillis(1));
        assertThat(published()).containsExactly(fresh);
        assertThat(writer.mintedCount()).as("the first token and the re-mint at the switch").isEqualTo(2);
    }

    @Test
    void aJwksFetchAloneNoticesTheNewFile() throws Exception {
        RSAKey k2 = TestKeys.rsa();
        Files.writeString(file, TestKeys.pkcs1PrivatePem(k2));
        clock.advance(CHECK);
        assertThat(published()).containsExactly(kidOf(k1), kidOf(k2));
        clock.advance(CACHE_TTL);
        assertThat(published()).containsExactly(kidOf(k2), kidOf(k1));
        assertThat(signingKid()).isEqualTo(kidOf(k2));
    }

    @Test
    void theSameKeyWrittenAgainInAnotherFormChangesNothing() throws Exception {
        Files.writeString(file, TestKeys.pkcs1PrivatePem(k1));
        clock.advance(CHECK);
        assertThat(published()).containsExactly(kidOf(k1));
        clock.advance(CACHE_TTL);
        assertThat(signingKid()).isEqualTo(kidOf(k1));
        assertThat(writer.mintedCount()).isEqualTo(1);
    }

    @Test
    void aBrokenOrMissingFileKeepsTheCurrentKeyAndIsReportedOnce() throws Exception {
        try (JwtTestSupport.LogCapture log = new JwtTestSupport.LogCapture(SigningKeys.class)) {
            Files.writeString(file, "-----BEGIN PRIVATE KEY-----\nMIIE"); // caught half-written
            for (int i = 0; i < 3; i++) {
                clock.advance(CHECK);
                assertThat(signingKid()).isEqualTo(kidOf(k1));
            }
            assertThat(log.messages(Level.WARNING)).hasSize(1).first().asString()
                    .contains("grafana.jwt_signing_key_file").contains("holds no PEM block").contains("keeps signing");

            Files.delete(file);
            for (int i = 0; i < 3; i++) {
                clock.advance(CHECK);
                assertThat(signingKid()).isEqualTo(kidOf(k1));
            }
            assertThat(log.messages(Level.WARNING)).hasSize(2).last().asString().contains("cannot be read (NoSuchFileException)");

            RSAKey k2 = TestKeys.rsa();
            Files.writeString(file, TestKeys.pkcs8Pem(k2)); // the write completes: the key is picked up
            clock.advance(CHECK);
            assertThat(published()).containsExactly(kidOf(k1), kidOf(k2));
            assertThat(String.join("\n", log.messages(Level.WARNING)) + String.join("\n", log.messages(Level.INFO)))
                    .as("no key material in the log").doesNotContain("MIIE");
        }
    }

    @Test
    void aPendingKeyIsReplacedOrWithdrawnByTheNextChange() throws Exception {
        RSAKey k2 = TestKeys.rsa();
        RSAKey k3 = TestKeys.rsa();
        Files.writeString(file, TestKeys.pkcs8Pem(k2));
        clock.advance(CHECK);
        assertThat(published()).containsExactly(kidOf(k1), kidOf(k2));

        Files.writeString(file, TestKeys.pkcs8Pem(k3));
        clock.advance(CHECK);
        assertThat(published()).as("k2 never signed: k3 takes its place").containsExactly(kidOf(k1), kidOf(k3));
        clock.advance(CACHE_TTL.minus(CHECK));
        assertThat(signingKid()).as("the wait starts again from k3").isEqualTo(kidOf(k1));
        clock.advance(CHECK);
        assertThat(signingKid()).isEqualTo(kidOf(k3));

        RSAKey k4 = TestKeys.rsa();
        Files.writeString(file, TestKeys.pkcs8Pem(k4));
        clock.advance(CHECK);
        assertThat(published()).containsExactly(kidOf(k3), kidOf(k4), kidOf(k1));
        Files.writeString(file, TestKeys.pkcs8Pem(k3)); // changed one's mind
        clock.advance(CHECK);
        assertThat(published()).containsExactly(kidOf(k3), kidOf(k1));
        clock.advance(CACHE_TTL);
        assertThat(signingKid()).isEqualTo(kidOf(k3));
    }
}
