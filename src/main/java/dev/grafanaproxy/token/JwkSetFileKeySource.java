package dev.grafanaproxy.token;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import dev.grafanaproxy.config.ConfigException;
import dev.grafanaproxy.config.ConfigKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code jwt.jwk_set_file}: a JWK set read once at start-up. Only the public halves of its RSA and
 * EC keys are kept; symmetric ({@code oct}) keys are dropped, so a JWKS can never turn into an HMAC
 * secret. Keys are matched by {@code kid} like a JWKS endpoint's.
 */
final class JwkSetFileKeySource implements KeySource {
    private final JWKSet keys;
    private final Set<JWSAlgorithm> algorithms;

    JwkSetFileKeySource(String file) {
        String where = "\"" + file + "\"";
        JWKSet parsed;
        try {
            parsed = JWKSet.parse(Files.readString(Path.of(file), StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            throw new ConfigException(ConfigKey.JWT_JWK_SET_FILE.key(), where + " cannot be read ("
                    + e.getClass().getSimpleName() + ")");
        } catch (java.text.ParseException e) {
            // the parser's message may quote the file, and a JWKS file may hold private keys: say less
            throw new ConfigException(ConfigKey.JWT_JWK_SET_FILE.key(), where
                    + " is not a JWK set (a JSON object with a \"keys\" array of valid JWKs)");
        }
        List<JWK> usable = new ArrayList<>();
        Set<JWSAlgorithm> algs = new LinkedHashSet<>();
        for (JWK k : parsed.toPublicJWKSet().getKeys()) {
            Set<JWSAlgorithm> forKey = Algorithms.forKey(k);
            if (!forKey.isEmpty()) {
                usable.add(k);
                algs.addAll(forKey);
            }
        }
        if (usable.isEmpty()) {
            throw new ConfigException(ConfigKey.JWT_JWK_SET_FILE.key(), where + " holds no usable signature key "
                    + "(RSA of at least " + Algorithms.MIN_RSA_BITS + " bits, or EC on P-256, P-384 or P-521)");
        }
        this.keys = new JWKSet(usable);
        this.algorithms = Collections.unmodifiableSet(algs);
    }

    @Override
    public ConfigKey configKey() {
        return ConfigKey.JWT_JWK_SET_FILE;
    }

    @Override
    public Set<JWSAlgorithm> algorithms() {
        return algorithms;
    }

    @Override
    public JWSKeySelector<SecurityContext> keySelector(Set<JWSAlgorithm> allowed) {
        return new JwkSetKeySelector(allowed, new ImmutableJWKSet<>(keys));
    }

    @Override
    public String toString() {
        return "JwkSetFileKeySource[" + keys.size() + " keys, " + Algorithms.names(algorithms) + "]";
    }
}
