package dev.grafanaproxy.config;

/** Where the token in {@code grafana.jwt_header} comes from in {@code grafana.auth_mode=jwt} ({@code grafana.jwt_source}). */
public enum JwtSource {
    /** The proxy signs a short-lived token for the mapped identity and publishes its keys as a JWKS. */
    MINT,
    /** The verified app token is sent unchanged; Grafana verifies it with the app's own keys. */
    FORWARD
}
