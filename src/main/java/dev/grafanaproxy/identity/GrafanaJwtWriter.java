package dev.grafanaproxy.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.grafanaproxy.config.ProxyConfig;
import dev.grafanaproxy.token.VerifiedToken;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code grafana.auth_mode=jwt} with {@code grafana.jwt_source=mint}: the proxy signs a short-lived
 * JWT for the mapped identity and sends it in {@code grafana.jwt_header}; Grafana's {@code [auth.jwt]}
 * verifies it against the JWKS the proxy publishes ({@link #jwks()}).
 *
 * <p>Claims, all from the mapped {@link Identity}:
 * <ul>
 *   <li>{@code sub}: the user as {@code grafana.header_property} names it (the login, or the email),
 *       what {@code [auth.jwt] username_claim = sub} reads; Grafana requires {@code sub};</li>
 *   <li>{@code email}, {@code name}: when mapped ({@code email_claim = email}; Grafana reads
 *       {@code name} by that fixed name);</li>
 *   <li>{@code role}: {@code Viewer}, {@code Editor}, {@code Admin} or {@code GrafanaAdmin}, kept as
 *       mapped ({@code role_attribute_path = role}; {@code GrafanaAdmin} needs
 *       {@code allow_assign_grafana_admin = true});</li>
 *   <li>{@code groups}: an array of group names ({@code groups_attribute_path = groups});</li>
 *   <li>{@code org}: the org id as a string ({@code org_attribute_path = [org]} with {@code org_mapping});</li>
 *   <li>{@code iss} {@value #ISSUER}, {@code aud} {@value #AUDIENCE} (for {@code expect_claims}),
 *       {@code iat} = {@code nbf} = now, {@code exp} = now + {@code grafana.jwt_ttl}.</li>
 * </ul>
 * Absent values are left out. The header carries {@code alg} (RS256 for an RSA key, ES256/384/512
 * for EC), {@code typ: JWT} and the signing key's {@code kid}.
 *
 * <p>Tokens are cached per identity ({@link MintedTokenCache}) and re-minted once
 * {@link #refreshMargin(Duration)} of their lifetime is left, or as soon as another key signs.
 */
public final class GrafanaJwtWriter implements IdentityWriter {
    private static final Logger LOG = LoggerFactory.getLogger(GrafanaJwtWriter.class);

    /** The {@code iss} of every minted token. */
    public static final String ISSUER = "grafana-proxy";
    /** The {@code aud} of every minted token. */
    public static final String AUDIENCE = "grafana";

    private final String headerName;
    private final boolean subjectIsEmail;
    private final long ttlSeconds;
    private final long refreshMarginMillis;
    private final SigningKeys keys;
    private final MintedTokenCache cache;
    private final Clock clock;
    private final LongAdder minted = new LongAdder();

    /** @throws dev.grafanaproxy.config.ConfigException when {@code grafana.jwt_signing_key_file} is unusable */
    public GrafanaJwtWriter(ProxyConfig config) {
        this(config, Clock.systemUTC(), MintedTokenCache.DEFAULT_MAX_ENTRIES);
    }

    GrafanaJwtWriter(ProxyConfig config, Clock clock, int maxCachedIdentities) {
        this(config, clock, maxCachedIdentities, null);
    }

    /** With {@code previous}: the writer for a reloaded configuration, see {@link #successor}. */
    private GrafanaJwtWriter(ProxyConfig config, Clock clock, int maxCachedIdentities, GrafanaJwtWriter previous) {
        this.headerName = config.grafanaJwtHeader();
        this.subjectIsEmail = config.headerProperty() == ProxyConfig.HeaderProperty.EMAIL;
        Duration ttl = config.jwtTtl();
        this.ttlSeconds = Math.max(1, (ttl.toMillis() + 999) / 1000);
        this.refreshMarginMillis = refreshMargin(Duration.ofSeconds(ttlSeconds)).toMillis();
        this.clock = clock;
        String file = config.jwtSigningKeyFile();
        Path path = file == null ? null : Path.of(file);
        Duration lifetime = Duration.ofSeconds(ttlSeconds);
        this.keys = previous == null
                ? new SigningKeys(path, config.jwtCacheTtl(), lifetime, config.reloadInterval(), clock)
                : previous.keys.successor(path, config.jwtCacheTtl(), lifetime, config.reloadInterval());
        boolean sameTokens = previous != null && previous.headerName.equals(headerName)
                && previous.subjectIsEmail == subjectIsEmail && previous.ttlSeconds == ttlSeconds;
        this.cache = sameTokens ? previous.cache : new MintedTokenCache(maxCachedIdentities);
    }

    /**
     * The writer for a reloaded configuration: it keeps this writer's signing keys (a generated key
     * survives, a rotation in progress goes on, a different key file is taken up like a rotation) and,
     * when the tokens it would mint are alike, its cached tokens.
     *
     * @throws dev.grafanaproxy.config.ConfigException when a different signing key file is unusable
     */
    public GrafanaJwtWriter successor(ProxyConfig next) {
        return new GrafanaJwtWriter(next, clock, MintedTokenCache.DEFAULT_MAX_ENTRIES, this);
    }

    /**
     * How long before {@code exp} a cached token is replaced: a fifth of its lifetime, at most a
     * minute. A token therefore always reaches Grafana with that much time left, which absorbs clock
     * differences between the hosts.
     */
    static Duration refreshMargin(Duration ttl) {
        Duration fifth = ttl.dividedBy(5);
        return fifth.compareTo(Duration.ofMinutes(1)) > 0 ? Duration.ofMinutes(1) : fifth;
    }

    @Override
    public IdentityHeaders write(Identity identity, VerifiedToken token) {
        long now = clock.millis();
        return cache.get(identity, keys.current(now), now, this::mint);
    }

    /** A freshly signed token for {@code identity}, bypassing the cache (what a cache miss costs). */
    public String mint(Identity identity) {
        long now = clock.millis();
        return mint(identity, keys.current(now), now).headers().headers().get(0).value();
    }

    @Override
    public Optional<PublishedJwks> jwks() {
        return Optional.of(keys.jwks());
    }

    /** How many tokens this writer has signed (cache misses), for tests and metrics. */
    public long mintedCount() {
        return minted.sum();
    }

    int cachedIdentities() {
        return cache.size();
    }

    private MintedTokenCache.Minted mint(Identity identity, SigningKey key, long now) {
        long iat = Math.floorDiv(now, 1000);
        long exp = iat + ttlSeconds;
        String subject = subjectIsEmail ? identity.email() : identity.login();
        if (subject == null) {
            throw new IllegalArgumentException("identity has no " + (subjectIsEmail ? "email" : "login") + " for sub");
        }
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .subject(subject)
                .issuer(ISSUER)
                .audience(AUDIENCE)
                .issueTime(new Date(iat * 1000))
                .notBeforeTime(new Date(iat * 1000))
                .expirationTime(new Date(exp * 1000));
        if (identity.email() != null) {
            claims.claim("email", identity.email());
        }
        if (identity.name() != null) {
            claims.claim("name", identity.name());
        }
        if (identity.role() != null) {
            claims.claim("role", identity.role().grafanaName());
        }
        if (!identity.groups().isEmpty()) {
            claims.claim("groups", identity.groups());
        }
        if (identity.orgId() != null) {
            claims.claim("org", identity.orgId());
        }
        JWSHeader header = new JWSHeader.Builder(key.algorithm()).type(JOSEObjectType.JWT).keyID(key.kid()).build();
        SignedJWT jwt = new SignedJWT(header, claims.build());
        try {
            jwt.sign(key.signer());
        } catch (JOSEException e) {
            throw new IllegalStateException("signing a Grafana token with " + key + " failed", e);
        }
        minted.increment();
        LOG.debug("minted a Grafana token for {} with {}, valid until {}", identity, key, Instant.ofEpochSecond(exp));
        IdentityHeaders headers = IdentityHeaders.of(List.of(new IdentityHeaders.Header(headerName, jwt.serialize())));
        return new MintedTokenCache.Minted(headers, key, exp * 1000 - refreshMarginMillis, exp * 1000);
    }
}
