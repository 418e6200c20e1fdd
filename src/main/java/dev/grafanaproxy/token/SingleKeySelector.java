package dev.grafanaproxy.token;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import java.security.Key;
import java.util.List;
import java.util.Set;

/**
 * The selector for a source with exactly one key (a PEM key, an HMAC secret). Unlike a JWK set such a
 * key has no {@code kid}, so the token's {@code kid} is ignored; the algorithm decides alone, and the
 * allowed set only holds algorithms of this key's own family.
 */
final class SingleKeySelector implements JWSKeySelector<SecurityContext> {
    private final Set<JWSAlgorithm> allowed;
    private final List<Key> key;

    SingleKeySelector(Set<JWSAlgorithm> allowed, Key key) {
        this.allowed = Set.copyOf(allowed);
        this.key = List.of(key);
    }

    @Override
    public List<? extends Key> selectJWSKeys(JWSHeader header, SecurityContext context) {
        return allowed.contains(header.getAlgorithm()) ? key : List.of();
    }
}
