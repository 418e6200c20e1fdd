package dev.grafanaproxy.identity;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GrafanaRoleTest {

    @Test
    void grafanaSpellingIsTheOutputForm() {
        assertThat(GrafanaRole.VIEWER.grafanaName()).isEqualTo("Viewer");
        assertThat(GrafanaRole.EDITOR.grafanaName()).isEqualTo("Editor");
        assertThat(GrafanaRole.ADMIN.grafanaName()).isEqualTo("Admin");
        assertThat(GrafanaRole.GRAFANA_ADMIN.grafanaName()).isEqualTo("GrafanaAdmin");
        assertThat(GrafanaRole.GRAFANA_ADMIN).hasToString("GrafanaAdmin");
    }

    @Test
    void namesMatchExactlyAsInGrafana() {
        assertThat(GrafanaRole.fromGrafanaName("Editor")).contains(GrafanaRole.EDITOR);
        assertThat(GrafanaRole.fromGrafanaName("GrafanaAdmin")).contains(GrafanaRole.GRAFANA_ADMIN);
        // Grafana's RoleType.IsValid is a case-sensitive lookup
        assertThat(GrafanaRole.fromGrafanaName("admin")).isEmpty();
        assertThat(GrafanaRole.fromGrafanaName("ADMIN")).isEmpty();
        assertThat(GrafanaRole.fromGrafanaName("Grafana Admin")).isEmpty();
        assertThat(GrafanaRole.fromGrafanaName("")).isEmpty();
        assertThat(GrafanaRole.fromGrafanaName(null)).isEmpty();
    }

    @Test
    void grafanaAdminIsAdminInItsOrg() {
        assertThat(GrafanaRole.GRAFANA_ADMIN.orgRole()).isEqualTo(GrafanaRole.ADMIN);
        assertThat(GrafanaRole.ADMIN.orgRole()).isEqualTo(GrafanaRole.ADMIN);
        assertThat(GrafanaRole.VIEWER.orgRole()).isEqualTo(GrafanaRole.VIEWER);
    }
}
