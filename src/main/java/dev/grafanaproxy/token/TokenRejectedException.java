package dev.grafanaproxy.token;

/**
 * A token was present but not accepted. The message is a short fixed description of the reason: it
 * never contains the token, a claim value from an unverified token, or a secret, so it is safe to log.
 * Stackless: rejections are routine and their stack says nothing.
 */
public final class TokenRejectedException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why a token was rejected. */
    public enum Reason {
        /** Not a compact JWS: wrong shape, bad base64url or JSON, a JWE, unsupported {@code crit}. */
        MALFORMED("malformed token"),
        /** Longer than 16 KB; rejected before any parsing. */
        TOO_LARGE("token too large"),
        /** {@code alg} is {@code none} (any spelling) or not in the allow-list for the key source. */
        ALGORITHM_NOT_ALLOWED("algorithm not allowed"),
        /** The header names its own key ({@code jku}, {@code x5u}, {@code jwk}, {@code x5c}); never trusted. */
        UNTRUSTED_HEADER_KEY("header carries its own key or key URL"),
        /** No configured key matches the header ({@code kid}, key type, curve). */
        UNKNOWN_KEY("no matching key"),
        /** The signature does not verify with the matching key(s). */
        BAD_SIGNATURE("invalid signature"),
        /** {@code exp} is past (beyond the clock skew). */
        EXPIRED("token expired"),
        /** {@code nbf} is in the future (beyond the clock skew). */
        NOT_YET_VALID("token not yet valid"),
        /** {@code iat} is in the future (beyond the clock skew). */
        ISSUED_IN_FUTURE("token issued in the future"),
        /** No {@code exp} claim: tokens without an end are not accepted. */
        MISSING_EXP("token has no exp claim"),
        /** {@code iss} is not {@code jwt.issuer}. */
        WRONG_ISSUER("wrong issuer"),
        /** {@code aud} does not contain {@code jwt.audience}. */
        WRONG_AUDIENCE("wrong audience"),
        /** A claim from {@code jwt.expect_claims} is missing or has another value. */
        CLAIM_MISMATCH("expected claim missing or different"),
        /** The keys could not be had (JWKS endpoint down and no usable cached keys). */
        KEY_SOURCE_UNAVAILABLE("signing keys unavailable");

        private final String description;

        Reason(String description) {
            this.description = description;
        }

        /** A short, fixed, log-safe description. */
        public String description() {
            return description;
        }
    }

    private final Reason reason;
    private final String subject;

    public TokenRejectedException(Reason reason) {
        this(reason, null, null);
    }

    /**
     * @param subject the {@code sub} of a token whose signature verified, else {@code null}
     * @param cause   for {@link Reason#KEY_SOURCE_UNAVAILABLE}: the key source failure; else {@code null}
     */
    public TokenRejectedException(Reason reason, String subject, Throwable cause) {
        super(reason.description(), cause, false, false);
        this.reason = reason;
        this.subject = subject;
    }

    public Reason reason() {
        return reason;
    }

    /**
     * The {@code sub} claim when the signature was valid and only a claim check failed (expired, wrong
     * audience, ...), else {@code null}. Never taken from an unverified token, so it can be logged as
     * who was turned away; it is still the issuer's text, so quote it when logging.
     */
    public String subject() {
        return subject;
    }
}
