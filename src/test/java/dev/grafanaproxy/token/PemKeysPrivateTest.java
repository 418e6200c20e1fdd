package dev.grafanaproxy.token;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import dev.grafanaproxy.testsupport.TestKeys;
import java.security.Signature;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link PemKeys#parsePrivate}: the private key forms a signing key file may take, each with its public half. */
class PemKeysPrivateTest {
    private static final RSAKey RSA = TestKeys.rsa("rsa");

    private static void assertPair(PemKeys.PrivatePem pem, java.security.PublicKey expected, String form) throws Exception {
        assertThat(pem.form()).isEqualTo(form);
        assertThat(pem.publicKey().getEncoded()).isEqualTo(expected.getEncoded());
        boolean rsa = pem.publicKey().getAlgorithm().equals("RSA");
        Signature s = Signature.getInstance(rsa ? "SHA256withRSA" : "SHA256withECDSA");
        s.initSign(pem.privateKey());
        s.update(new byte[] {1, 2, 3});
        byte[] sig = s.sign();
        s.initVerify(expected);
        s.update(new byte[] {1, 2, 3});
        assertThat(s.verify(sig)).as("the private key belongs to the expected public key").isTrue();
        assertThat(pem.toString()).doesNotContain("BEGIN").contains(form);
    }

    @Test
    void rsaPkcs8AndPkcs1() throws Exception {
        assertPair(PemKeys.parsePrivate(TestKeys.pkcs8Pem(RSA)), RSA.toPublicKey(), "PKCS#8 private key");
        assertPair(PemKeys.parsePrivate(TestKeys.pkcs1PrivatePem(RSA)), RSA.toPublicKey(), "PKCS#1 RSA private key");
    }

    @ParameterizedTest
    @ValueSource(strings = {"P-256", "P-384", "P-521"})
    void ecKeysWithAndWithoutTheirPublicPoint(String curveName) throws Exception {
        ECKey ec = TestKeys.ec(Curve.parse(curveName), "ec");
        // the JDK's PKCS#8 encoding leaves the public point out: it is derived from the private scalar
        assertPair(PemKeys.parsePrivate(TestKeys.pkcs8Pem(ec)), ec.toPublicKey(), "PKCS#8 private key");
        assertPair(PemKeys.parsePrivate(TestKeys.sec1Pem(ec, true)), ec.toPublicKey(), "SEC1 EC private key");
        assertPair(PemKeys.parsePrivate(TestKeys.sec1Pem(ec, false)), ec.toPublicKey(), "SEC1 EC private key");
    }

    @Test
    void derivationFindsTheRightRootEveryTime() throws Exception {
        // of the two square roots, either can be the public y: over 20 keys both cases occur
        for (int i = 0; i < 20; i++) {
            ECKey ec = TestKeys.ec();
            assertThat(PemKeys.parsePrivate(TestKeys.sec1Pem(ec, false)).publicKey().getEncoded())
                    .isEqualTo(ec.toPublicKey().getEncoded());
        }
    }

    @Test
    void ecParametersBlockBeforeTheKeyIsSkipped() throws Exception {
        ECKey ec = TestKeys.ec();
        String params = TestKeys.pem("EC PARAMETERS", new byte[] {0x06, 0x08, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x03, 0x01, 0x07});
        assertPair(PemKeys.parsePrivate(params + TestKeys.sec1Pem(ec, true)), ec.toPublicKey(), "SEC1 EC private key");
    }

    @Test
    void publicFormsAreNoSigningKey() {
        for (String pem : List.of(TestKeys.pkixPem(RSA), TestKeys.pkcs1PublicPem(RSA), TestKeys.certificatePem(RSA))) {
            assertThatThrownBy(() -> PemKeys.parsePrivate(pem)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("a signing key needs the private key");
        }
    }

    @Test
    void refusals() {
        assertThatThrownBy(() -> PemKeys.parsePrivate("not a pem")).hasMessage("holds no PEM block (-----BEGIN ...-----)");
        assertThatThrownBy(() -> PemKeys.parsePrivate(TestKeys.pem("ENCRYPTED PRIVATE KEY", new byte[] {0x30, 0})))
                .hasMessageStartingWith("holds an encrypted private key");
        assertThatThrownBy(() -> PemKeys.parsePrivate(TestKeys.pkcs8Pem(RSA) + TestKeys.pkcs8Pem(RSA)))
                .hasMessage("holds 2 PEM blocks; give exactly one private key");
        assertThatThrownBy(() -> PemKeys.parsePrivate(TestKeys.pem("PRIVATE KEY", new byte[] {0x30, 0x03, 0x02, 0x01, 0x00})))
                .hasMessage("the PRIVATE KEY block is not a valid RSA or EC private key");
        assertThatThrownBy(() -> PemKeys.parsePrivate(TestKeys.pem("OPENSSH PRIVATE KEY", new byte[] {1})))
                .hasMessageStartingWith("holds a OPENSSH PRIVATE KEY block; expected PRIVATE KEY");
    }

    @Test
    void aPublicPointOfAnotherKeyIsRefused() {
        ECKey a = TestKeys.ec();
        ECKey b = TestKeys.ec();
        // splice b's public point into a's SEC1 structure
        String pemA = TestKeys.sec1Pem(a, true);
        String pemB = TestKeys.sec1Pem(b, true);
        byte[] derA = java.util.Base64.getMimeDecoder().decode(body(pemA));
        byte[] derB = java.util.Base64.getMimeDecoder().decode(body(pemB));
        int pointLength = 65;
        System.arraycopy(derB, derB.length - pointLength, derA, derA.length - pointLength, pointLength);
        assertThatThrownBy(() -> PemKeys.parsePrivate(TestKeys.pem("EC PRIVATE KEY", derA)))
                .hasMessage("holds an EC private key whose public key does not match it");
    }

    private static String body(String pem) {
        return pem.replaceAll("-----[A-Z ]+-----", "").trim();
    }
}
