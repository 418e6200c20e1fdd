package dev.grafanaproxy.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Map;

/**
 * One key that signs the tokens the proxy mints for Grafana: the signer, the algorithm its type
 * dictates (RS256 for RSA, ES256/ES384/ES512 for P-256/P-384/P-521), and the public half as a JWK
 * whose {@code kid} is its RFC 7638 thumbprint, so the same key file gives the same {@code kid} on
 * every instance and after every restart. Immutable.
 */
final class SigningKey {
    static final int MIN_RSA_BITS = 2048;

    private static final Map<Curve, JWSAlgorithm> EC_ALGORITHMS = Map.of(
            Curve.P_256, JWSAlgorithm.ES256, Curve.P_384, JWSAlgorithm.ES384, Curve.P_521, JWSAlgorithm.ES512);

    private final String kid;
    private final JWSAlgorithm algorithm;
    private final JWSSigner signer;
    private final JWK publicJwk;

    private SigningKey(String kid, JWSAlgorithm algorithm, JWSSigner signer, JWK publicJwk) {
        this.kid = kid;
        this.algorithm = algorithm;
        this.signer = signer;
        this.publicJwk = publicJwk;
    }

    /** @throws IllegalArgumentException when the key is too weak or of an unsupported kind */
    static SigningKey of(PrivateKey privateKey, PublicKey publicKey) {
        try {
            if (publicKey instanceof RSAPublicKey rsa) {
                int bits = rsa.getModulus().bitLength();
                if (bits < MIN_RSA_BITS) {
                    throw new IllegalArgumentException("holds a " + bits + "-bit RSA key; at least " + MIN_RSA_BITS
                            + " bits are required");
                }
                RSAKey jwk = new RSAKey.Builder(rsa).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.RS256)
                        .keyIDFromThumbprint().build();
                return new SigningKey(jwk.getKeyID(), JWSAlgorithm.RS256, new RSASSASigner(privateKey), jwk);
            }
            if (publicKey instanceof ECPublicKey ec && privateKey instanceof ECPrivateKey ecPrivate) {
                Curve curve = Curve.forECParameterSpec(ec.getParams());
                JWSAlgorithm alg = curve == null ? null : EC_ALGORITHMS.get(curve);
                if (alg == null) {
                    throw new IllegalArgumentException("holds an EC key on an unsupported curve; expected P-256, P-384 or P-521");
                }
                ECKey jwk = new ECKey.Builder(curve, ec).keyUse(KeyUse.SIGNATURE).algorithm(alg).keyIDFromThumbprint().build();
                return new SigningKey(jwk.getKeyID(), alg, new ECDSASigner(ecPrivate), jwk);
            }
        } catch (JOSEException e) {
            throw new IllegalArgumentException("holds a key Nimbus cannot sign with (" + e.getClass().getSimpleName() + ")");
        }
        throw new IllegalArgumentException("holds a " + publicKey.getAlgorithm() + " key; expected RSA or EC");
    }

    /** A fresh RSA 2048 key (RS256), as Grafana itself generates for its own token signing. */
    static SigningKey generate() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(MIN_RSA_BITS);
            var pair = g.generateKeyPair();
            return of(pair.getPrivate(), pair.getPublic());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JRE cannot generate an RSA key", e);
        }
    }

    String kid() {
        return kid;
    }

    JWSAlgorithm algorithm() {
        return algorithm;
    }

    JWSSigner signer() {
        return signer;
    }

    /** The public half as published: kty, kid, use=sig, alg and the key parameters. */
    JWK publicJwk() {
        return publicJwk;
    }

    @Override
    public String toString() {
        return algorithm + " key kid=" + kid;
    }
}
