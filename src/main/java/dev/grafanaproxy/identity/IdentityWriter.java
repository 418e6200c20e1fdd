package dev.grafanaproxy.identity;

/**
 * Renders an {@link Identity} as the headers that tell Grafana who the user is. One implementation
 * per {@code grafana.auth_mode}: {@link ProxyHeadersWriter} for {@code proxy}; the {@code jwt} mode
 * (a minted JWT in {@code grafana.jwt_header}) gets its own.
 */
@FunctionalInterface
public interface IdentityWriter {

    /** The headers for one request; their values are wire strings (see {@link IdentityHeaders}). */
    IdentityHeaders write(Identity identity);
}
