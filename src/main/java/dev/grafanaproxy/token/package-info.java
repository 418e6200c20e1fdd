/**
 * Tokens: finding the app's session JWT in a request and verifying it. {@link
 * dev.grafanaproxy.token.TokenExtractor} looks at a small {@link dev.grafanaproxy.token.RequestView}
 * (cookie {@code jwt.cookie_name} first, then {@code Authorization: Bearer}, then the one-time
 * {@code ?auth_token=}) so this package never touches the Servlet API and is tested without a
 * container. {@link dev.grafanaproxy.token.TokenVerifiers#create} builds the verifier from the
 * configuration: exactly one key source (JWKS URL with caching, rotation and outage tolerance; JWKS
 * file; one PEM key; an HMAC secret), an algorithm allow-list that only ever pairs a key with its own
 * family, and the claim checks ({@code exp} required, {@code nbf}, {@code iat}, issuer, audience,
 * expected claims). All JOSE work is Nimbus JOSE+JWT's; this package only chooses and configures.
 * Rejections carry a {@link dev.grafanaproxy.token.TokenRejectedException.Reason}; no message, log
 * line or {@code toString} here ever contains a token or a secret.
 */
package dev.grafanaproxy.token;
