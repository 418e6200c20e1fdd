package dev.grafanaproxy.token;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A token whose signature and claims checked out. Immutable. The claims are the payload's JSON as
 * Java values: {@link String}, {@link Number} ({@link Long} or {@link Double}), {@link Boolean},
 * {@link List}, {@link Map}, or {@code null}; lists and maps are unmodifiable all the way down.
 * {@link #toString()} shows neither the token nor claim values: both are credentials or personal data.
 */
public final class VerifiedToken {

    private final String compact;
    private final Map<String, Object> claims;
    private final String subject;
    private final Instant expiresAt;

    /**
     * @param compact   the token as received, kept for forwarding to Grafana in jwt mode
     * @param claims    the payload as parsed JSON; copied deeply
     * @param expiresAt the {@code exp} claim
     */
    public VerifiedToken(String compact, Map<String, Object> claims, Instant expiresAt) {
        this.compact = Objects.requireNonNull(compact, "compact");
        this.claims = immutableMap(Objects.requireNonNull(claims, "claims"));
        this.expiresAt = Objects.requireNonNull(expiresAt, "expiresAt");
        Object sub = this.claims.get("sub");
        this.subject = sub instanceof String ? (String) sub : null;
    }

    /** Every claim, as described on the class. */
    public Map<String, Object> claims() {
        return claims;
    }

    /** One claim, or {@code null}. */
    public Object claim(String name) {
        return claims.get(name);
    }

    /** The {@code sub} claim when it is a string, else {@code null}. */
    public String subject() {
        return subject;
    }

    /** The {@code exp} claim. */
    public Instant expiresAt() {
        return expiresAt;
    }

    /** The token exactly as received (compact serialisation). A credential: never log it. */
    public String compact() {
        return compact;
    }

    @Override
    public String toString() {
        return "VerifiedToken[exp=" + expiresAt + ", claims=" + claims.keySet() + "]";
    }

    private static Map<String, Object> immutableMap(Map<?, ?> in) {
        Map<String, Object> out = new LinkedHashMap<>();
        in.forEach((k, v) -> out.put(String.valueOf(k), immutable(v)));
        return Collections.unmodifiableMap(out);
    }

    private static Object immutable(Object v) {
        if (v instanceof Map) {
            return immutableMap((Map<?, ?>) v);
        }
        if (v instanceof List) {
            List<Object> out = new ArrayList<>(((List<?>) v).size());
            for (Object o : (List<?>) v) {
                out.add(immutable(o));
            }
            return Collections.unmodifiableList(out);
        }
        return v;
    }
}
