package dev.grafanaproxy.token;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import dev.grafanaproxy.config.ConfigKey;
import java.util.Set;

/**
 * Where verification keys come from: one implementation per configuration key ({@code jwt.jwk_set_url},
 * {@code jwt.jwk_set_file}, {@code jwt.key_file}, {@code jwt.secret}). Each states which algorithms
 * its keys can verify; that set is the default allow-list and the bound for a configured one, which
 * is what keeps a key inside its own family (no RSA public key used as an HMAC secret).
 */
interface KeySource extends AutoCloseable {

    /** The configuration key this source was built from, for error messages. */
    ConfigKey configKey();

    /** Every algorithm this source's keys can verify: the default allow-list. */
    Set<JWSAlgorithm> algorithms();

    /** A selector that only hands out keys for the allowed algorithms, each of its own type. */
    JWSKeySelector<SecurityContext> keySelector(Set<JWSAlgorithm> allowed);

    /** The keys' state for health and metrics; local sources are always usable. */
    default KeySourceStatus status() {
        return new KeySourceStatus(configKey().key(), true, null, "static", -1, 0, 0);
    }

    /** Stops threads and drops connections; idempotent. */
    @Override
    default void close() {
    }
}
