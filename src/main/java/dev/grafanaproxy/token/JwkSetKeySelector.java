package dev.grafanaproxy.token;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import java.util.Set;

/**
 * Nimbus' key selector for a JWK set (it already matches {@code kid}, key type, {@code use} and the
 * key's own {@code alg}), made stricter in two ways Nimbus leaves open: an ES algorithm only takes a
 * key on its own curve, and RSA keys below {@value Algorithms#MIN_RSA_BITS} bits are never used.
 */
final class JwkSetKeySelector extends JWSVerificationKeySelector<SecurityContext> {

    JwkSetKeySelector(Set<JWSAlgorithm> allowed, JWKSource<SecurityContext> source) {
        super(allowed, source);
    }

    @Override
    protected JWKMatcher createJWKMatcher(JWSHeader header) {
        JWKMatcher matcher = super.createJWKMatcher(header);
        if (matcher == null) {
            return null;
        }
        JWSAlgorithm alg = header.getAlgorithm();
        JWKMatcher.Builder b = new JWKMatcher.Builder(matcher);
        if (JWSAlgorithm.Family.EC.contains(alg)) {
            b.curves(Curve.forJWSAlgorithm(alg));
        } else if (JWSAlgorithm.Family.RSA.contains(alg)) {
            b.minKeySize(Algorithms.MIN_RSA_BITS);
        }
        return b.build();
    }
}
