package dev.grafanaproxy.web;

import dev.grafanaproxy.config.ProxyConfig;
import dev.grafanaproxy.identity.IdentityMapper;
import dev.grafanaproxy.identity.IdentityWriter;
import dev.grafanaproxy.identity.ProxyHeadersWriter;
import dev.grafanaproxy.token.TokenExtractor;
import dev.grafanaproxy.token.TokenVerifier;
import dev.grafanaproxy.token.TokenVerifiers;

/**
 * Everything the auth filter derives from one configuration, built together so a reload swaps it
 * in one step: which paths are public, where the token is found, how it is verified, how claims
 * become an identity and how that identity is written for Grafana.
 */
final class AuthPolicy implements AutoCloseable {
    final ProxyConfig config;
    final PublicPaths publicPaths;
    final TokenExtractor extractor;
    final TokenVerifier verifier;
    final IdentityMapper mapper;
    final IdentityWriter writer;
    final AuthAnswers answers;
    final AuditLog audit;

    /** @throws dev.grafanaproxy.config.ConfigException when the configuration cannot be used */
    AuthPolicy(ProxyConfig config) {
        this.config = config;
        this.publicPaths = new PublicPaths(config.publicPaths());
        this.extractor = new TokenExtractor(config);
        this.mapper = new IdentityMapper(config);
        this.writer = new ProxyHeadersWriter(config);
        this.answers = new AuthAnswers(config);
        this.audit = new AuditLog(config);
        this.verifier = TokenVerifiers.create(config); // last: the only part holding resources
    }

    @Override
    public void close() {
        verifier.close();
    }
}
