package dev.grafanaproxy.token;

import com.nimbusds.jwt.JWTClaimNames;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.ExpiredJWTException;
import com.nimbusds.jwt.proc.JWTClaimsSetVerifier;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.JSONObjectUtils;
import dev.grafanaproxy.config.ConfigException;
import dev.grafanaproxy.config.ConfigKey;
import dev.grafanaproxy.config.ProxyConfig;
import dev.grafanaproxy.token.TokenRejectedException.Reason;
import java.text.ParseException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The claim checks, run by Nimbus' processor after the signature verified. Each check is a Nimbus
 * {@link DefaultJWTClaimsVerifier} configured for one concern only, so a failure maps to exactly one
 * {@link Reason} without reading exception messages: {@code exp} present; {@code exp}/{@code nbf}
 * against the clock with {@code jwt.clock_skew}; {@code iat} not in the future (Nimbus has no such
 * check, so it is spelled out); {@code iss}; {@code aud}; {@code jwt.expect_claims}.
 */
final class ClaimsPolicy implements JWTClaimsSetVerifier<SecurityContext> {

    /** A claim check failed; carries the reason through Nimbus' processor. Stackless. */
    static final class Rejected extends BadJWTException {
        private static final long serialVersionUID = 1L;
        final transient Reason reason;

        Rejected(Reason reason) {
            super(reason.description());
            this.reason = reason;
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    private record Check(Reason reason, JWTClaimsSetVerifier<SecurityContext> verifier) {
    }

    private final List<Check> checks = new ArrayList<>();
    private final Clock clock;
    private final long skewMillis;

    ClaimsPolicy(ProxyConfig config, Clock clock) {
        this.clock = clock;
        int skew = (int) Math.min(Integer.MAX_VALUE, config.clockSkew().toSeconds());
        this.skewMillis = skew * 1000L;

        checks.add(new Check(Reason.MISSING_EXP, untimed(null, null, Set.of(JWTClaimNames.EXPIRATION_TIME))));
        // the only timed check; ExpiredJWTException tells exp from nbf
        DefaultJWTClaimsVerifier<SecurityContext> time = new DefaultJWTClaimsVerifier<>(null, null, null, null) {
            @Override
            protected Date currentTime() {
                return new Date(clock.millis());
            }
        };
        time.setMaxClockSkew(skew);
        checks.add(new Check(Reason.NOT_YET_VALID, time));
        checks.add(new Check(Reason.ISSUED_IN_FUTURE, (claims, ctx) -> {
            Date iat = claims.getIssueTime();
            if (iat != null && iat.getTime() > clock.millis() + skewMillis) {
                throw new BadJWTException("iat in the future");
            }
        }));
        if (config.issuer() != null) {
            JWTClaimsSet iss = new JWTClaimsSet.Builder().issuer(config.issuer()).build();
            checks.add(new Check(Reason.WRONG_ISSUER, untimed(null, iss, null)));
        }
        if (config.audience() != null) {
            checks.add(new Check(Reason.WRONG_AUDIENCE, untimed(Set.of(config.audience()), null, null)));
        }
        JWTClaimsSet expected = expectClaims(config.expectClaims());
        if (expected != null) {
            checks.add(new Check(Reason.CLAIM_MISMATCH, untimed(null, expected, null)));
        }
    }

    /** A Nimbus claims verifier with the clock switched off: it checks only what it was given. */
    private static DefaultJWTClaimsVerifier<SecurityContext> untimed(Set<String> audience, JWTClaimsSet exact,
                                                                     Set<String> required) {
        return new DefaultJWTClaimsVerifier<>(audience, exact, required, null) {
            @Override
            protected Date currentTime() {
                return null; // Nimbus skips exp/nbf without a current time; the timed check does them
            }
        };
    }

    /** Parses {@code jwt.expect_claims} the same way token payloads are parsed, so values compare equal. */
    private static JWTClaimsSet expectClaims(String json) {
        if (json == null) {
            return null;
        }
        try {
            Map<String, Object> map = JSONObjectUtils.parse(json);
            return map.isEmpty() ? null : JWTClaimsSet.parse(map);
        } catch (ParseException | RuntimeException e) {
            throw new ConfigException(ConfigKey.JWT_EXPECT_CLAIMS.key(),
                    "is not a JSON object; expected e.g. {\"iss\": \"https://issuer.example\", \"tenant\": \"acme\"}");
        }
    }

    @Override
    public void verify(JWTClaimsSet claims, SecurityContext context) throws BadJWTException {
        for (Check check : checks) {
            try {
                check.verifier().verify(claims, context);
            } catch (ExpiredJWTException e) {
                throw new Rejected(Reason.EXPIRED);
            } catch (BadJWTException e) {
                throw new Rejected(check.reason());
            }
        }
    }
}
