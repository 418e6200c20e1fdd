package dev.grafanaproxy.identity;

import java.util.Optional;

/** The roles a token can map to, as Grafana spells them in {@code role_attribute_path} results. */
public enum GrafanaRole {
    VIEWER("Viewer"),
    EDITOR("Editor"),
    ADMIN("Admin"),
    /** Admin of the org plus Grafana server admin; only Grafana's {@code [auth.jwt]} understands it. */
    GRAFANA_ADMIN("GrafanaAdmin");

    private final String grafanaName;

    GrafanaRole(String grafanaName) {
        this.grafanaName = grafanaName;
    }

    /** Grafana's spelling, e.g. {@code GrafanaAdmin}. */
    public String grafanaName() {
        return grafanaName;
    }

    /**
     * The org role: {@link #GRAFANA_ADMIN} is {@link #ADMIN} in its org. This is what Grafana's
     * {@code [auth.proxy]} Role header takes, which knows only Viewer, Editor and Admin.
     */
    public GrafanaRole orgRole() {
        return this == GRAFANA_ADMIN ? ADMIN : this;
    }

    /**
     * The role Grafana's spelling names. Exact match, as Grafana compares it ({@code
     * RoleType.IsValid} and the {@code "GrafanaAdmin"} check are case-sensitive): {@code admin} is no role.
     */
    public static Optional<GrafanaRole> fromGrafanaName(String name) {
        for (GrafanaRole r : values()) {
            if (r.grafanaName.equals(name)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return grafanaName;
    }
}
