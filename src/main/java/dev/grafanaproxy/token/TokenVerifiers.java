package dev.grafanaproxy.token;

import com.nimbusds.jose.JWSAlgorithm;
import dev.grafanaproxy.config.ConfigException;
import dev.grafanaproxy.config.ProxyConfig;
import java.time.Clock;
import java.util.Set;

/**
 * Builds the verifier the configuration describes. Everything that can be checked without a token is
 * checked here, so a bad setting stops the web app at start-up with a {@link ConfigException} naming
 * the key: unreadable or unusable key files, a short secret, {@code jwt.expect_claims} that is not a
 * JSON object, {@code jwt.algorithms} outside the key source's family. Nothing is fetched here: a
 * JWKS endpoint is first asked when the first token arrives, so the proxy can start before its issuer.
 */
public final class TokenVerifiers {

    private TokenVerifiers() {
    }

    /**
     * The verifier for production: {@link #uncached(ProxyConfig, Clock)} behind a
     * {@link CachingTokenVerifier}. Close it when the web app stops.
     *
     * @throws ConfigException naming the key at fault
     */
    public static TokenVerifier create(ProxyConfig config) {
        return new CachingTokenVerifier(uncached(config, Clock.systemUTC()));
    }

    /**
     * A verifier that checks every token afresh (benchmarks, tests, or callers with their own cache).
     *
     * @param clock the time for {@code exp}, {@code nbf} and {@code iat}
     * @throws ConfigException naming the key at fault
     */
    public static TokenVerifier uncached(ProxyConfig config, Clock clock) {
        // claims first: it opens no resources, so a bad expect_claims leaves nothing to clean up
        ClaimsPolicy claims = new ClaimsPolicy(config, clock);
        return verifier(config, claims, keySource(config));
    }

    /** The verifier over a given key source (tests pass one with shortened timings); closes it on failure. */
    static TokenVerifier verifier(ProxyConfig config, ClaimsPolicy claims, KeySource source) {
        try {
            Set<JWSAlgorithm> allowed = Algorithms.allowList(config.algorithms(), source);
            return new JwtVerifier(source, allowed, claims);
        } catch (RuntimeException e) {
            source.close();
            throw e;
        }
    }

    /** The one key source; ProxyConfig has already made sure exactly one is set. */
    static KeySource keySource(ProxyConfig config) {
        if (config.jwkSetUrl() != null) {
            return JwksKeySource.from(config);
        }
        if (config.jwkSetFile() != null) {
            return new JwkSetFileKeySource(config.jwkSetFile());
        }
        if (config.keyFile() != null) {
            return new PemKeySource(config.keyFile());
        }
        return new SecretKeySource(config.secret());
    }
}
