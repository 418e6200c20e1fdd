package dev.grafanaproxy.token;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import dev.grafanaproxy.config.ConfigException;
import dev.grafanaproxy.config.ConfigKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code jwt.key_file}: one RSA or EC public key from a PEM file, read once at start-up. An RSA key
 * verifies RS* and PS*, an EC key the one ES algorithm of its curve.
 */
final class PemKeySource implements KeySource {
    private static final Logger LOG = LoggerFactory.getLogger(PemKeySource.class);

    private final PublicKey key;
    private final Set<JWSAlgorithm> algorithms;

    PemKeySource(String file) {
        String where = "\"" + file + "\"";
        String pem;
        try {
            pem = Files.readString(Path.of(file), StandardCharsets.US_ASCII);
        } catch (IOException | RuntimeException e) {
            throw new ConfigException(ConfigKey.JWT_KEY_FILE.key(), where + " cannot be read ("
                    + e.getClass().getSimpleName() + ")");
        }
        PemKeys.Result r;
        try {
            r = PemKeys.parse(pem);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(ConfigKey.JWT_KEY_FILE.key(), where + " " + e.getMessage());
        }
        this.key = r.key();
        if (key instanceof RSAPublicKey) {
            int bits = ((RSAPublicKey) key).getModulus().bitLength();
            if (bits < Algorithms.MIN_RSA_BITS) {
                throw new ConfigException(ConfigKey.JWT_KEY_FILE.key(), where + " holds a " + bits
                        + "-bit RSA key; at least " + Algorithms.MIN_RSA_BITS + " bits are required");
            }
            this.algorithms = Algorithms.RSA;
        } else if (key instanceof ECPublicKey) {
            Curve curve = Curve.forECParameterSpec(((ECPublicKey) key).getParams());
            JWSAlgorithm alg = curve == null ? null : Algorithms.forCurve(curve);
            if (alg == null) {
                throw new ConfigException(ConfigKey.JWT_KEY_FILE.key(), where
                        + " holds an EC key on an unsupported curve; expected P-256, P-384 or P-521");
            }
            try {
                new ECKey.Builder(curve, (ECPublicKey) key).build(); // Nimbus checks the point is on the curve
            } catch (IllegalStateException | IllegalArgumentException e) {
                throw new ConfigException(ConfigKey.JWT_KEY_FILE.key(), where + " holds an EC point that is not on " + curve);
            }
            this.algorithms = Set.of(alg);
        } else {
            throw new ConfigException(ConfigKey.JWT_KEY_FILE.key(), where + " holds a " + key.getAlgorithm()
                    + " key; expected RSA or EC");
        }
        if (r.fromPrivateKey()) {
            LOG.warn("{} {} holds a {}; only its public half is used. Give the proxy the public key alone "
                    + "(openssl pkey -pubout) so the signing key stays with the token issuer",
                    ConfigKey.JWT_KEY_FILE.key(), where, r.form());
        }
    }

    @Override
    public ConfigKey configKey() {
        return ConfigKey.JWT_KEY_FILE;
    }

    @Override
    public Set<JWSAlgorithm> algorithms() {
        return algorithms;
    }

    @Override
    public JWSKeySelector<SecurityContext> keySelector(Set<JWSAlgorithm> allowed) {
        return new SingleKeySelector(allowed, key);
    }

    @Override
    public String toString() {
        return "PemKeySource[" + key.getAlgorithm() + ", " + Algorithms.names(algorithms) + "]";
    }
}
