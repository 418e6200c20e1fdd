package dev.grafanaproxy.identity;

import dev.grafanaproxy.config.ProxyConfig;
import dev.grafanaproxy.token.VerifiedToken;
import java.util.List;

/**
 * {@code grafana.auth_mode=jwt} with {@code grafana.jwt_source=forward}: the app's session token,
 * already verified by the proxy, goes to Grafana unchanged in {@code grafana.jwt_header}. Grafana
 * verifies it again with the app's own keys and maps its claims itself; the identity the proxy
 * mapped only decided that the request may pass (a token that maps to no usable identity got 403).
 */
public final class ForwardedJwtWriter implements IdentityWriter {
    private final String headerName;

    public ForwardedJwtWriter(ProxyConfig config) {
        this.headerName = config.grafanaJwtHeader();
    }

    @Override
    public IdentityHeaders write(Identity identity, VerifiedToken token) {
        return IdentityHeaders.of(List.of(new IdentityHeaders.Header(headerName, token.compact())));
    }
}
