package dev.grafanaproxy.config;

/** How Grafana learns who the user is ({@code grafana.auth_mode}). */
public enum AuthMode {
    /** Identity headers for Grafana's {@code [auth.proxy]}. */
    PROXY,
    /** A JWT in {@code grafana.jwt_header} for Grafana's {@code [auth.jwt]}. */
    JWT
}
