package dev.grafanaproxy.token;

import static dev.grafanaproxy.token.Fixtures.config;
import static dev.grafanaproxy.token.Fixtures.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import dev.grafanaproxy.config.ConfigException;
import dev.grafanaproxy.config.ProxyConfig;
import dev.grafanaproxy.testsupport.TestKeys;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Start-up errors name the key at fault and never print a secret. */
class ConfigErrorsTest {
    private static final RSAKey RSA = TestKeys.rsa("rsa-1");
    private static final ECKey EC = TestKeys.ec(Curve.P_256, "ec-1");

    @TempDir
    Path dir;

    private static ConfigException failure(ProxyConfig.Builder b) {
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> TokenVerifiers.create(b.build()));
        assertThat(t).isInstanceOf(ConfigException.class);
        return (ConfigException) t;
    }

    private ConfigException keyFile(String content) {
        return failure(config().set("jwt.key_file", write(dir, "k.pem", content).toString()));
    }

    @Test
    void shortSecretIsRefusedWithoutShowingIt() {
        String secret = "short-but-secret-value-31-bytes";
        ConfigException e = failure(config().set("jwt.secret", secret));
        assertThat(e.key()).isEqualTo("jwt.secret");
        assertThat(e.getMessage()).doesNotContain(secret).contains("32 bytes");
    }

    @Test
    void pemProblems() {
        assertThat(keyFile("not a pem at all").getMessage()).startsWith("jwt.key_file: ").contains("no PEM block");
        assertThat(keyFile(TestKeys.pem("PUBLIC KEY", new byte[] {1, 2, 3})).getMessage()).contains("not a valid RSA or EC key");
        assertThat(keyFile("-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n").key()).isEqualTo("jwt.key_file");
        assertThat(keyFile(TestKeys.pem("ENCRYPTED PRIVATE KEY", new byte[] {48, 0})).getMessage()).contains("encrypted");
        assertThat(keyFile(TestKeys.pem("OPENSSH PRIVATE KEY", new byte[] {48, 0})).getMessage()).contains("OPENSSH PRIVATE KEY block");
        assertThat(keyFile(TestKeys.pkixPem(RSA) + TestKeys.pkixPem(EC)).getMessage()).contains("exactly one");
        assertThat(keyFile(TestKeys.pkixPem(TestKeys.rsa(1024, null))).getMessage()).contains("1024-bit");
        // the JDK writes EC PKCS#8 without the public point; SEC1 may omit it too
        assertThat(keyFile(TestKeys.pkcs8Pem(EC)).getMessage()).contains("without its public key");
        assertThat(keyFile(TestKeys.sec1Pem(EC, false)).getMessage()).contains("without its public key");
        ConfigException missing = failure(config().set("jwt.key_file", dir.resolve("absent.pem").toString()));
        assertThat(missing.key()).isEqualTo("jwt.key_file");
        assertThat(missing.getMessage()).contains("cannot be read");
    }

    @Test
    void privateKeyMaterialNeverInTheMessage() {
        String pem = TestKeys.pkcs1PrivatePem(RSA);
        String[] lines = pem.split("\n");
        // cut after a few lines of the body, so parsing fails half-way through the key
        ConfigException e = keyFile(lines[0] + "\n" + lines[1] + "\n" + lines[2] + "\n" + lines[lines.length - 1] + "\n");
        assertThat(e.key()).isEqualTo("jwt.key_file");
        for (String line : pem.split("\n")) {
            if (!line.startsWith("-----")) {
                assertThat(e.getMessage()).doesNotContain(line);
            }
        }
    }

    @Test
    void jwkSetFileProblems() {
        ConfigException notJson = failure(config().set("jwt.jwk_set_file", write(dir, "a.json", "{nope").toString()));
        assertThat(notJson.key()).isEqualTo("jwt.jwk_set_file");
        assertThat(notJson.getMessage()).contains("not a JWK set");
        ConfigException noKeys = failure(config().set("jwt.jwk_set_file", write(dir, "b.json", "{\"keys\":[]}").toString()));
        assertThat(noKeys.getMessage()).contains("no usable signature key");
        String octOnly = new JWKSet(TestKeys.hmac(TestKeys.secret(40))).toString(false);
        ConfigException oct = failure(config().set("jwt.jwk_set_file", write(dir, "c.json", octOnly).toString()));
        assertThat(oct.getMessage()).contains("no usable signature key").doesNotContain("\"k\"");
        assertThat(failure(config().set("jwt.jwk_set_file", dir.resolve("none.json").toString())).key()).isEqualTo("jwt.jwk_set_file");
    }

    @ParameterizedTest
    @ValueSource(strings = {"[1,2]", "\"iss\"", "nope", "{\"a\":", "42"})
    void expectClaimsMustBeAJsonObject(String value) {
        ConfigException e = failure(config().set("jwt.secret", TestKeys.secret(32)).set("jwt.expect_claims", value));
        assertThat(e.key()).isEqualTo("jwt.expect_claims");
        assertThat(e.getMessage()).contains("JSON object");
    }

    @Test
    void algorithmsMustMatchTheKeySourceFamily() {
        String secret = TestKeys.secret(32);
        Path rsaPem = write(dir, "rsa.pem", TestKeys.pkixPem(RSA));
        Path ecPem = write(dir, "ec.pem", TestKeys.pkixPem(EC));
        Path rsaJwks = write(dir, "jwks.json", new JWKSet(List.of(RSA)).toPublicJWKSet().toString());
        List<ProxyConfig.Builder> bad = List.of(
                config().set("jwt.key_file", rsaPem.toString()).set("jwt.algorithms", "RS256,HS256"),
                config().set("jwt.key_file", rsaPem.toString()).set("jwt.algorithms", "ES256"),
                config().set("jwt.key_file", ecPem.toString()).set("jwt.algorithms", "ES384"),
                config().set("jwt.jwk_set_file", rsaJwks.toString()).set("jwt.algorithms", "ES256"),
                config().set("jwt.jwk_set_url", "https://idp.example/jwks").set("jwt.algorithms", "HS256"),
                config().set("jwt.secret", secret).set("jwt.algorithms", "RS256"),
                config().set("jwt.secret", secret).set("jwt.algorithms", "HS512"),
                config().set("jwt.key_file", rsaPem.toString()).set("jwt.algorithms", "EdDSA"));
        for (ProxyConfig.Builder b : bad) {
            ConfigException e = failure(b);
            assertThat(e.key()).isEqualTo("jwt.algorithms");
            assertThat(e.getMessage()).doesNotContain(secret);
        }
        assertThat(failure(config().set("jwt.secret", secret).set("jwt.algorithms", "HS512")).getMessage()).contains("64 bytes");
    }

    @Test
    void noneIsRefusedByTheConfigItself() {
        assertThatThrownBy(() -> config().set("jwt.secret", TestKeys.secret(32)).set("jwt.algorithms", "HS256,none").build())
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("jwt.algorithms");
    }
}
