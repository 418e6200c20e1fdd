/**
 * Identity: who the verified token says the user is, and how Grafana is told. {@link
 * dev.grafanaproxy.identity.IdentityMapper} turns verified JWT claims into an immutable {@link
 * dev.grafanaproxy.identity.Identity} with Grafana's semantics for {@code jwt.username_claim},
 * {@code jwt.email_claim}, {@code jwt.name_claim} and the JMESPath settings {@code
 * jwt.role_attribute_path}, {@code jwt.groups_attribute_path} and {@code jwt.org_attribute_path};
 * claims that cannot become a safe identity (no username, control characters, no role under
 * {@code jwt.role_attribute_strict}) are refused with an {@link
 * dev.grafanaproxy.identity.IdentityRejectedException} rather than forwarded half-cleaned. An {@link
 * dev.grafanaproxy.identity.IdentityWriter}, chosen once by {@link
 * dev.grafanaproxy.identity.IdentityWriters#create}, then renders the identity as the {@link
 * dev.grafanaproxy.identity.IdentityHeaders} the proxy sends: {@link
 * dev.grafanaproxy.identity.ProxyHeadersWriter} for Grafana's {@code [auth.proxy]}; for its {@code
 * [auth.jwt]} either {@link dev.grafanaproxy.identity.GrafanaJwtWriter}, which mints a short-lived
 * token per identity (cached, signed by a key from {@code grafana.jwt_signing_key_file} that rotates
 * without restart, published as a JWKS), or {@link dev.grafanaproxy.identity.ForwardedJwtWriter},
 * which sends the verified app token unchanged. This package uses {@code config}, the {@code token}
 * package's result types and PEM reader, Nimbus, Jackson and JMESPath, never the Servlet API, so it
 * is tested without a container.
 */
package dev.grafanaproxy.identity;
