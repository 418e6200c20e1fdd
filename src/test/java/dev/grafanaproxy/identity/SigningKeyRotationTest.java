package dev.grafanaproxy.identity;

import static dev.grafanaproxy.identity.JwtTestSupport.kid;
import static dev.grafanaproxy.identity.JwtTestSupport.kids;
import static dev.grafanaproxy.identity.JwtTestSupport.token;
import static dev.grafanaproxy.identity.JwtTestSupport.verified;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
    private static final Duration CHECK = Duration.ofSeconds(1); // reload_interval below
    private static final Duration CACHE_TTL = Duration.ofSeconds(30);
    /** A new key signs this long after it was noticed: grafana.jwt_cache_ttl + reload_interval. */
    private static final Duration AHEAD = CACHE_TTL.plus(CHECK);
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
        writer = new GrafanaJwtWriter(config(file), clock, 100);
    }

    private static dev.grafanaproxy.config.ProxyConfig config(Path keyFile, String... more) {
        List<String> kv = new java.util.ArrayList<>(List.of("grafana.jwt_cache_ttl", "30s", "grafana.jwt_ttl", "5m",
                "reload_interval", "1s"));
        if (keyFile != null) {
            kv.addAll(List.of("grafana.jwt_signing_key_file", keyFile.toString()));
        }
        kv.addAll(List.of(more));
        return GrafanaJwtWriterTest.jwtConfig(kv.toArray(String[]::new));
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

        clock.advance(AHEAD.minusMillis(1));
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
        clock.advance(AHEAD);
        assertThat(published()).containsExactly(kidOf(k2), kidOf(k1));
        assertThat(signingKid()).isEqualTo(kidOf(k2));
    }

    @Test
    void theSameKeyWrittenAgainInAnotherFormChangesNothing() throws Exception {
        Files.writeString(file, TestKeys.pkcs1PrivatePem(k1));
        clock.advance(CHECK);
        assertThat(published()).containsExactly(kidOf(k1));
        clock.advance(AHEAD);
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
        clock.advance(AHEAD.minus(CHECK));
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
        clock.advance(AHEAD);
        assertThat(signingKid()).isEqualTo(kidOf(k3));
    }

    @Test
    void reloadIntervalZeroReadsTheFileOnlyAtStartUp() throws Exception {
        GrafanaJwtWriter once = new GrafanaJwtWriter(config(file, "reload_interval", "0"), clock, 100);
        Files.writeString(file, TestKeys.pkcs8Pem(TestKeys.rsa()));
        clock.advance(Duration.ofHours(1));
        assertThat(kids(once.jwks().orElseThrow())).containsExactly(kidOf(k1));
        assertThat(kid(token(once.write(alice, null)))).isEqualTo(kidOf(k1));
    }

    @Test
    void aConfigurationReloadHandsTheKeysAndTokensOn() throws Exception {
        String token = token(writer.write(alice, null));
        RSAKey k2 = TestKeys.rsa();
        Files.writeString(file, TestKeys.pkcs8Pem(k2));
        clock.advance(CHECK);
        assertThat(published()).containsExactly(kidOf(k1), kidOf(k2));

        // a reload in the middle of the rotation (another key changed, say): nothing restarts
        GrafanaJwtWriter reloaded = writer.successor(config(file, "public_paths", "/api/health,/public/*"));
        assertThat(kids(reloaded.jwks().orElseThrow())).containsExactly(kidOf(k1), kidOf(k2));
        assertThat(token(reloaded.write(alice, null))).as("cached tokens carry over").isEqualTo(token);
        clock.advance(AHEAD.minusMillis(1));
        assertThat(kid(token(reloaded.write(alice, null)))).isEqualTo(kidOf(k1));
        clock.advance(Duration.ofMillis(1));
        assertThat(kid(token(reloaded.write(alice, null)))).as("the rotation keeps its schedule").isEqualTo(kidOf(k2));
        assertThat(kids(reloaded.jwks().orElseThrow())).containsExactly(kidOf(k2), kidOf(k1));
        assertThat(writer.mintedCount() + reloaded.mintedCount()).isEqualTo(2);
    }

    @Test
    void aGeneratedKeySurvivesAReloadAndADifferentFileIsTakenUpLikeARotation() throws Exception {
        GrafanaJwtWriter generated = new GrafanaJwtWriter(config(null), clock, 100);
        List<String> before = kids(generated.jwks().orElseThrow());
        GrafanaJwtWriter reloaded = generated.successor(config(null, "grafana.jwt_ttl", "10m"));
        assertThat(kids(reloaded.jwks().orElseThrow())).isEqualTo(before);

        Path other = dir.resolve("other.pem");
        ECKey k2 = TestKeys.ec();
        Files.writeString(other, TestKeys.sec1Pem(k2, false));
        GrafanaJwtWriter withFile = reloaded.successor(config(other));
        assertThat(kids(withFile.jwks().orElseThrow())).containsExactly(before.get(0), kidOf(k2));
        assertThat(kid(token(withFile.write(alice, null)))).isEqualTo(before.get(0));
        clock.advance(AHEAD);
        assertThat(kid(token(withFile.write(alice, null)))).isEqualTo(kidOf(k2));

        Path broken = dir.resolve("broken.pem");
        Files.writeString(broken, "nope");
        assertThatThrownBy(() -> withFile.successor(config(broken)))
                .isInstanceOf(dev.grafanaproxy.config.ConfigException.class)
                .hasMessageStartingWith("grafana.jwt_signing_key_file: \"" + broken + "\" holds no PEM block");
    }
}
