package dev.grafanaproxy.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdentityTest {

    @Test
    void holdsWhatWasBuilt() {
        Identity id = Identity.builder().login("bob").email("bob@example.com").name("Bob")
                .role(GrafanaRole.EDITOR).groups(List.of("ops", "dev")).orgId("2").build();
        assertThat(id.login()).isEqualTo("bob");
        assertThat(id.email()).isEqualTo("bob@example.com");
        assertThat(id.name()).isEqualTo("Bob");
        assertThat(id.role()).isEqualTo(GrafanaRole.EDITOR);
        assertThat(id.groups()).containsExactly("ops", "dev");
        assertThat(id.orgId()).isEqualTo("2");
    }

    @Test
    void optionalPartsDefaultToAbsent() {
        Identity id = Identity.builder().email("a@example.com").build();
        assertThat(id.login()).isNull();
        assertThat(id.name()).isNull();
        assertThat(id.role()).isNull();
        assertThat(id.groups()).isEmpty();
        assertThat(id.orgId()).isNull();
    }

    @Test
    void isImmutable() {
        List<String> groups = new ArrayList<>(List.of("a"));
        Identity id = Identity.builder().login("bob").groups(groups).build();
        groups.add("b");
        assertThat(id.groups()).containsExactly("a");
        assertThatThrownBy(() -> id.groups().add("c")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void needsLoginOrEmail() {
        assertThatThrownBy(() -> Identity.builder().name("Bob").build()).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void refusesEmptyAndControlCharacters() {
        assertThatThrownBy(() -> Identity.builder().login("").build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Identity.builder().login("bob\r\nX-Evil: 1").build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Identity.builder().login("bob").name("a\u0085b").build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Identity.builder().login("bob").groups(List.of("a\tb")).build()).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "+1", "01", "1.0", "abc", "", " 1", "9223372036854775808"})
    void orgIdMustBeAPositiveCanonicalInt64(String orgId) {
        assertThatThrownBy(() -> Identity.builder().login("bob").orgId(orgId).build())
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1", "42", "9223372036854775807"})
    void acceptsOrgIds(String orgId) {
        assertThat(Identity.builder().login("bob").orgId(orgId).build().orgId()).isEqualTo(orgId);
    }

    @Test
    void invalidCharacterRule() {
        assertThat(Identity.invalidCharacterAt("Jürgen Müller 😀")).isEqualTo(-1);
        assertThat(Identity.invalidCharacterAt("a\u001Fb")).isEqualTo(1);
        assertThat(Identity.invalidCharacterAt("\u007F")).isZero();
        assertThat(Identity.invalidCharacterAt("\u0080")).isZero();
        assertThat(Identity.invalidCharacterAt("\u009F")).isZero();
        assertThat(Identity.invalidCharacterAt("\u00A0")).isEqualTo(-1);
        assertThat(Identity.invalidCharacterAt("x\uD83D")).isEqualTo(1); // lone high surrogate
        assertThat(Identity.invalidCharacterAt("\uDE00x")).isZero(); // lone low surrogate
    }

    @Test
    void equalityAndShortToString() {
        Identity a = Identity.builder().login("bob").email("bob@example.com").name("Bob Secret").groups(List.of("g1", "g2")).build();
        Identity b = Identity.builder().login("bob").email("bob@example.com").name("Bob Secret").groups(List.of("g1", "g2")).build();
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a).isNotEqualTo(Identity.builder().login("bob").build());
        assertThat(a.toString()).contains("bob").contains("groups=2")
                .doesNotContain("example.com").doesNotContain("Secret").doesNotContain("g1");
    }
}
