package dev.grafanaproxy.sample.app;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.text.ParseException;
import java.time.Clock;
import java.time.Instant;
import java.util.Date;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Mints and checks the app's session JWTs: RS256, signed with a key pair generated when the app
 * starts, {@code kid} = the key's RFC 7638 thumbprint. The public half is published as a JWKS
 * ({@link #publicJwks()}), which grafana-proxy reads through {@code jwt.jwk_set_url}. A restart makes
 * a new key: old sessions end, and the proxy picks the new {@code kid} up from the JWKS by itself.
 * A production app would load its key from a key store and rotate it by publishing both keys for a
 * while.
 */
public final class SessionTokens {

    private final AppSettings settings;
    private final RSAKey signingKey;
    private final Clock clock;
    private final DefaultJWTProcessor<SecurityContext> processor;

    SessionTokens(AppSettings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
        try {
            this.signingKey = new RSAKeyGenerator(2048)
                    .keyUse(KeyUse.SIGNATURE)
                    .algorithm(JWSAlgorithm.RS256)
                    .keyIDFromThumbprint(true)
                    .generate();
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot generate the session signing key", e);
        }
        processor = new DefaultJWTProcessor<>();
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.RS256,
                new ImmutableJWKSet<>(new JWKSet(signingKey.toPublicJWK()))));
        processor.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(settings.audience(),
                new JWTClaimsSet.Builder().issuer(settings.issuer()).build(), Set.of("sub", "exp", "iat")) {
            @Override
            protected Date currentTime() {
                return Date.from(clock.instant());
            }
        });
    }

    /** A signed session JWT for this user, valid for {@link AppSettings#sessionTtl()}. */
    public String mint(DemoUser user) {
        Instant now = clock.instant();
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(settings.issuer())
                .audience(settings.audience())
                .subject(user.username())
                .claim("name", user.name())
                .claim("email", user.email())
                .claim("roles", user.roles())
                .claim("groups", user.groups())
                .issueTime(Date.from(now))
                .notBeforeTime(Date.from(now))
                .expirationTime(Date.from(now.plus(settings.sessionTtl())))
                .jwtID(UUID.randomUUID().toString())
                .build();
        JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.RS256)
                .type(JOSEObjectType.JWT)
                .keyID(signingKey.getKeyID())
                .build();
        SignedJWT jwt = new SignedJWT(header, claims);
        try {
            jwt.sign(new RSASSASigner(signingKey));
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a session token", e);
        }
        return jwt.serialize();
    }

    /** The claims of a session token this app issued and that is still valid; empty otherwise. */
    public Optional<JWTClaimsSet> verify(String token) {
        if (token == null || token.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(processor.process(token, null));
        } catch (ParseException | BadJOSEException | JOSEException e) {
            return Optional.empty();
        }
    }

    /** The JWKS document with the public key only. */
    public String publicJwks() {
        return new JWKSet(signingKey.toPublicJWK()).toString(true);
    }

    /** The {@code kid} of the current signing key. */
    public String keyId() {
        return signingKey.getKeyID();
    }
}
