package dev.grafanaproxy.identity;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The Grafana identity of one request: immutable, already validated, so any writer can render it
 * without re-checking. Build it with {@link #builder()}; {@link IdentityMapper} does so from claims.
 *
 * <p>Invariants: at least one of login and email is set; no text value is empty or holds a control
 * character ({@link #invalidCharacterAt(String)}); {@link #orgId()} is a positive whole number that
 * fits Grafana's int64 org ids, in canonical form (no sign, no leading zeros).
 */
public final class Identity {
    private static final BigInteger MAX_ORG_ID = BigInteger.valueOf(Long.MAX_VALUE);

    private final String login;
    private final String email;
    private final String name;
    private final GrafanaRole role;
    private final List<String> groups;
    private final String orgId;

    private Identity(Builder b) {
        this.login = check("login", b.login);
        this.email = check("email", b.email);
        this.name = check("name", b.name);
        if (login == null && email == null) {
            throw new IllegalArgumentException("an identity needs a login or an email");
        }
        this.role = b.role;
        List<String> g = new ArrayList<>(b.groups.size());
        for (String group : b.groups) {
            g.add(Objects.requireNonNull(check("group", group), "group"));
        }
        this.groups = List.copyOf(g);
        if (b.orgId != null && !isOrgId(b.orgId)) {
            throw new IllegalArgumentException("orgId must be a positive whole number without sign or leading zeros");
        }
        this.orgId = b.orgId;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The login, or {@code null} when only an email identifies the user. */
    public String login() { return login; }
    /** The email, or {@code null}. */
    public String email() { return email; }
    /** The display name, or {@code null}. */
    public String name() { return name; }
    /** The mapped role, or {@code null} when none mapped: Grafana then applies its own default. */
    public GrafanaRole role() { return role; }
    /** Group names for Grafana's team sync, in claim order, never {@code null}. */
    public List<String> groups() { return groups; }
    /** Grafana org id (decimal digits), or {@code null} when none mapped. */
    public String orgId() { return orgId; }

    /**
     * Index of the first character that must never reach a header: C0 controls (CR, LF, TAB, ...),
     * DEL, C1 controls, or half of a surrogate pair (it has no UTF-8 form); {@code -1} when clean.
     */
    static int invalidCharacterAt(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) {
                return i;
            }
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    /** True for a positive whole number in canonical decimal form that fits an int64. */
    static boolean isOrgId(String s) {
        if (s.isEmpty() || s.length() > 19 || s.charAt(0) == '0') {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return new BigInteger(s).compareTo(MAX_ORG_ID) <= 0;
    }

    private static String check(String field, String value) {
        if (value == null) {
            return null;
        }
        if (value.isEmpty()) {
            throw new IllegalArgumentException(field + " is empty; leave it unset instead");
        }
        if (invalidCharacterAt(value) >= 0) {
            throw new IllegalArgumentException(field + " holds a control character");
        }
        return value;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Identity)) {
            return false;
        }
        Identity other = (Identity) o;
        return Objects.equals(login, other.login) && Objects.equals(email, other.email)
                && Objects.equals(name, other.name) && role == other.role
                && groups.equals(other.groups) && Objects.equals(orgId, other.orgId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(login, email, name, role, groups, orgId);
    }

    @Override
    public String toString() {
        // short: the login says whose request it is; email, name and group names stay out of logs
        return "Identity[login=" + login + ", role=" + role + ", groups=" + groups.size() + ", orgId=" + orgId + "]";
    }

    /** Collects values; {@link #build()} validates them. */
    public static final class Builder {
        private String login;
        private String email;
        private String name;
        private GrafanaRole role;
        private List<String> groups = List.of();
        private String orgId;

        private Builder() {
        }

        public Builder login(String login) { this.login = login; return this; }
        public Builder email(String email) { this.email = email; return this; }
        public Builder name(String name) { this.name = name; return this; }
        public Builder role(GrafanaRole role) { this.role = role; return this; }
        public Builder groups(List<String> groups) { this.groups = List.copyOf(groups); return this; }
        public Builder orgId(String orgId) { this.orgId = orgId; return this; }

        /** @throws IllegalArgumentException when a value breaks the invariants on {@link Identity} */
        public Identity build() {
            return new Identity(this);
        }
    }
}
