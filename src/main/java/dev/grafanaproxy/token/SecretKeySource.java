package dev.grafanaproxy.token;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import dev.grafanaproxy.config.ConfigException;
import dev.grafanaproxy.config.ConfigKey;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Set;
import javax.crypto.spec.SecretKeySpec;

/**
 * {@code jwt.secret}: an HMAC shared secret, its UTF-8 bytes used as the key. RFC 7518 §3.2 requires
 * a key at least as long as the hash, so HS256 needs 32 bytes, HS384 48 and HS512 64; shorter
 * secrets are refused at start-up rather than silently weakening the signature.
 */
final class SecretKeySource implements KeySource {
    static final int MIN_BYTES = 32;

    private final SecretKeySpec key;
    private final Set<JWSAlgorithm> algorithms;

    SecretKeySource(String secret) {
        byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
        if (bytes.length < MIN_BYTES) {
            // never echo the secret, nor its length: only what is needed
            throw new ConfigException(ConfigKey.JWT_SECRET.key(), "is shorter than " + MIN_BYTES
                    + " bytes (256 bits), the minimum for HS256; use a long random value");
        }
        this.key = new SecretKeySpec(bytes, "HmacSHA256");
        Set<JWSAlgorithm> algs = new LinkedHashSet<>();
        algs.add(JWSAlgorithm.HS256);
        if (bytes.length >= 48) {
            algs.add(JWSAlgorithm.HS384);
        }
        if (bytes.length >= 64) {
            algs.add(JWSAlgorithm.HS512);
        }
        this.algorithms = Collections.unmodifiableSet(algs);
    }

    @Override
    public ConfigKey configKey() {
        return ConfigKey.JWT_SECRET;
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
        return "SecretKeySource[" + Algorithms.names(algorithms) + "]";
    }
}
