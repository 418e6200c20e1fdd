package dev.grafanaproxy.token;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import dev.grafanaproxy.config.ConfigException;
import dev.grafanaproxy.config.ConfigKey;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The JWS algorithms the proxy verifies, grouped by the key type that may verify them. */
final class Algorithms {

    /** RSA keys verify PKCS#1 v1.5 and PSS signatures. */
    static final Set<JWSAlgorithm> RSA = ordered(JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512,
            JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512);

    /** Each ES algorithm is bound to one curve. */
    static final Set<JWSAlgorithm> EC = ordered(JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.ES512);

    static final Set<JWSAlgorithm> ASYMMETRIC = union(RSA, EC);

    static final Set<JWSAlgorithm> HMAC = ordered(JWSAlgorithm.HS256, JWSAlgorithm.HS384, JWSAlgorithm.HS512);

    /** Below this an RSA key is refused: 1024-bit moduli are within reach of a determined attacker. */
    static final int MIN_RSA_BITS = 2048;

    private Algorithms() {
    }

    /** The ES algorithm of a curve, or {@code null} for curves the proxy does not verify. */
    static JWSAlgorithm forCurve(Curve curve) {
        if (Curve.P_256.equals(curve)) {
            return JWSAlgorithm.ES256;
        }
        if (Curve.P_384.equals(curve)) {
            return JWSAlgorithm.ES384;
        }
        if (Curve.P_521.equals(curve)) {
            return JWSAlgorithm.ES512;
        }
        return null;
    }

    /** What one JWK may verify: its family, narrowed by its curve and its own {@code alg}. */
    static Set<JWSAlgorithm> forKey(JWK key) {
        Set<JWSAlgorithm> algs = new LinkedHashSet<>();
        if (key.getKeyUse() != null && !KeyUse.SIGNATURE.equals(key.getKeyUse())) {
            return algs; // an encryption key never verifies a signature
        }
        if (key instanceof RSAKey && key.size() >= MIN_RSA_BITS) {
            algs.addAll(RSA);
        } else if (key instanceof ECKey) {
            JWSAlgorithm alg = forCurve(((ECKey) key).getCurve());
            if (alg != null) {
                algs.add(alg);
            }
        }
        if (key.getAlgorithm() != null) {
            algs.retainAll(Set.of(JWSAlgorithm.parse(key.getAlgorithm().getName())));
        }
        return algs;
    }

    /**
     * The allow-list: {@code jwt.algorithms} when set, else everything the key source supports.
     *
     * @throws ConfigException naming {@code jwt.algorithms} when a configured algorithm cannot be
     *                         verified by the key source (another family, another curve, EdDSA)
     */
    static Set<JWSAlgorithm> allowList(List<String> configured, KeySource source) {
        if (configured.isEmpty()) {
            return source.algorithms();
        }
        Set<JWSAlgorithm> allowed = new LinkedHashSet<>();
        for (String name : configured) {
            JWSAlgorithm alg = JWSAlgorithm.parse(name);
            if (JWSAlgorithm.Family.ED.contains(alg)) {
                throw new ConfigException(ConfigKey.JWT_ALGORITHMS.key(), name
                        + " is not supported: use RSA (RS*, PS*) or EC (ES*) keys, or an HMAC secret (HS*)");
            }
            if (!source.algorithms().contains(alg) && HMAC.contains(alg) && source.configKey() == ConfigKey.JWT_SECRET) {
                throw new ConfigException(ConfigKey.JWT_ALGORITHMS.key(), name + " needs a jwt.secret of at least "
                        + (alg.equals(JWSAlgorithm.HS384) ? 48 : 64) + " bytes (RFC 7518 section 3.2)");
            }
            if (!source.algorithms().contains(alg)) {
                throw new ConfigException(ConfigKey.JWT_ALGORITHMS.key(), name + " cannot be verified with the key(s) of "
                        + source.configKey().key() + ", which support " + names(source.algorithms()));
            }
            allowed.add(alg);
        }
        return Collections.unmodifiableSet(allowed);
    }

    static String names(Set<JWSAlgorithm> algs) {
        StringBuilder sb = new StringBuilder();
        for (JWSAlgorithm a : algs) {
            sb.append(sb.length() == 0 ? "" : ", ").append(a.getName());
        }
        return sb.length() == 0 ? "nothing" : sb.toString();
    }

    @SafeVarargs
    private static <T> Set<T> ordered(T... items) {
        return Collections.unmodifiableSet(new LinkedHashSet<>(List.of(items)));
    }

    private static <T> Set<T> union(Set<T> a, Set<T> b) {
        Set<T> u = new LinkedHashSet<>(a);
        u.addAll(b);
        return Collections.unmodifiableSet(u);
    }
}
