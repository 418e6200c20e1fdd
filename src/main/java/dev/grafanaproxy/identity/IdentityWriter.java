package dev.grafanaproxy.identity;

import dev.grafanaproxy.token.VerifiedToken;
import java.util.Optional;

/**
 * Tells Grafana who the user is: renders one request's identity as the headers the proxy sends.
 * One implementation per way, chosen once by {@link IdentityWriters#create}:
 * {@link ProxyHeadersWriter} ({@code grafana.auth_mode=proxy}, Grafana's {@code [auth.proxy]}),
 * {@link GrafanaJwtWriter} ({@code jwt} with {@code grafana.jwt_source=mint}) and
 * {@link ForwardedJwtWriter} ({@code jwt} with {@code forward}), both for Grafana's {@code [auth.jwt]}.
 * Implementations are thread-safe.
 */
public interface IdentityWriter extends AutoCloseable {

    /**
     * The headers for one request; their values are wire strings (see {@link IdentityHeaders}).
     *
     * @param identity the identity mapped from {@code token}'s claims
     * @param token    the verified session token it came from
     */
    IdentityHeaders write(Identity identity, VerifiedToken token);

    /**
     * The public keys Grafana verifies this writer's tokens with, as the proxy publishes them, or
     * empty when the writer signs nothing.
     */
    default Optional<PublishedJwks> jwks() {
        return Optional.empty();
    }

    /** Releases what the writer holds; it is not used afterwards. */
    @Override
    default void close() {
    }
}
