package dev.grafanaproxy.web;

import dev.grafanaproxy.config.ProxyConfig;
import dev.grafanaproxy.identity.IdentityMapper;
import dev.grafanaproxy.identity.IdentityWriter;
import dev.grafanaproxy.identity.IdentityWriters;
import dev.grafanaproxy.token.TokenExtractor;
import dev.grafanaproxy.token.TokenVerifier;
import dev.grafanaproxy.token.TokenVerifiers;

/**
 * Everything the auth filter derives from one configuration, built together so a reload swaps it
 * in one step: which paths are public, where the token is found, how it is verified, how claims
 * become an identity and how that identity is written for Grafana (with the JWKS of the keys that
 * sign for Grafana, when the proxy mints tokens).
 */
final class AuthPolicy implements AutoCloseable {
    final ProxyConfig config;
    final PublicPaths publicPaths;
    final TokenExtractor extractor;
    final TokenVerifier verifier;
    final IdentityMapper mapper;
    final IdentityWriter writer;
    final JwksEndpoint jwks;
    final AuthAnswers answers;
    final AuditLog audit;
    /** {@link ProxyConfig#identityHeaderNames()}, built once per snapshot: looked up on every request. */
    final String[] identityHeaderNames;

    /**
     * @param previous the policy this one replaces on a reload, or {@code null} at start-up: its
     *                 identity writer hands over the Grafana signing keys
     * @param auditWriter the filter's audit writer, which outlives every snapshot
     * @throws dev.grafanaproxy.config.ConfigException when the configuration cannot be used
     */
    AuthPolicy(ProxyConfig config, AuthPolicy previous, AuditWriter auditWriter) {
        this.config = config;
        this.publicPaths = new PublicPaths(config.publicPaths());
        this.extractor = new TokenExtractor(config);
        this.mapper = new IdentityMapper(config);
        this.answers = new AuthAnswers(config);
        this.audit = new AuditLog(config, auditWriter);
        this.identityHeaderNames = config.identityHeaderNames().toArray(String[]::new);
        this.writer = IdentityWriters.create(config, previous == null ? null : previous.writer);
        this.jwks = new JwksEndpoint(writer);
        this.verifier = TokenVerifiers.create(config); // last: the only part holding resources
    }

    @Override
    public void close() {
        verifier.close();
        writer.close();
    }
}
