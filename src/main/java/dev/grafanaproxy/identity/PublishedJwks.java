package dev.grafanaproxy.identity;

import java.time.Duration;
import java.util.Objects;

/**
 * The JWKS the proxy publishes for Grafana's {@code [auth.jwt] jwk_set_url}: public keys only.
 *
 * @param json   the JWK set document ({@code {"keys":[...]}})
 * @param etag   a strong entity tag of {@code json}, quoted
 * @param maxAge how long a reader may cache it ({@code grafana.jwt_cache_ttl})
 */
public record PublishedJwks(String json, String etag, Duration maxAge) {
    public PublishedJwks {
        Objects.requireNonNull(json, "json");
        Objects.requireNonNull(etag, "etag");
        Objects.requireNonNull(maxAge, "maxAge");
    }
}
