package dev.grafanaproxy.identity;

/**
 * A verified token whose claims cannot become a Grafana identity; the request gets 403 and is never
 * forwarded. The message names claims and settings, never claim values or secrets, so it can be
 * logged. No stack trace: it is an expected outcome for a bad token, not a bug.
 */
public final class IdentityRejectedException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why the claims were refused. */
    public enum Reason {
        /** The claim that feeds {@code grafana.header_name} is missing, empty or not a string. */
        MISSING_USERNAME,
        /** A value holds a control character (CR, LF, other C0, DEL, C1) or an unpaired surrogate. */
        INVALID_CHARACTER,
        /** {@code jwt.role_attribute_strict=true} and no valid role was mapped. */
        NO_ROLE,
        /** {@code jwt.org_attribute_path} gave something other than a positive whole number. */
        INVALID_ORG
    }

    private final Reason reason;

    public IdentityRejectedException(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
