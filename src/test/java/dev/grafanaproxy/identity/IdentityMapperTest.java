package dev.grafanaproxy.identity;

import static dev.grafanaproxy.identity.TestConfigs.config;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.grafanaproxy.config.ConfigException;
import dev.grafanaproxy.identity.IdentityRejectedException.Reason;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdentityMapperTest {

    /** Grafana's documented role mapping example for [auth.jwt] role_attribute_path. */
    static final String DOCS_ROLE_EXAMPLE =
            "contains(roles[*], 'admin') && 'Admin' || contains(roles[*], 'editor') && 'Editor' || 'Viewer'";

    static Map<String, Object> claims(Object... keyValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return m;
    }

    static Identity map(Map<String, Object> claims, String... config) throws IdentityRejectedException {
        return new IdentityMapper(config(config)).map(claims);
    }

    static IdentityRejectedException rejected(Map<String, Object> claims, String... config) {
        try {
            Identity id = map(claims, config);
            throw new AssertionError("expected a rejection, got " + id);
        } catch (IdentityRejectedException e) {
            return e;
        }
    }

    @Nested
    class UserClaims {
        @Test
        void defaultsReadSubEmailAndName() throws Exception {
            Identity id = map(claims("sub", "bob", "email", "bob@example.com", "name", "Bob B"));
            assertThat(id.login()).isEqualTo("bob");
            assertThat(id.email()).isEqualTo("bob@example.com");
            assertThat(id.name()).isEqualTo("Bob B");
            assertThat(id.role()).isNull();
            assertThat(id.groups()).isEmpty();
            assertThat(id.orgId()).isNull();
        }

        @Test
        void configuredClaimNames() throws Exception {
            Identity id = map(claims("preferred_username", "alice", "mail", "a@example.com", "display", "Alice"),
                    "jwt.username_claim", "preferred_username", "jwt.email_claim", "mail", "jwt.name_claim", "display");
            assertThat(id.login()).isEqualTo("alice");
            assertThat(id.email()).isEqualTo("a@example.com");
            assertThat(id.name()).isEqualTo("Alice");
        }

        @Test
        void dottedClaimNameIsOneTopLevelClaimNotAPath() throws Exception {
            // Grafana reads claims[username_claim]: no path semantics
            assertThat(map(claims("user.name", "carol"), "jwt.username_claim", "user.name").login()).isEqualTo("carol");
            assertThat(rejected(claims("user", Map.of("name", "carol")), "jwt.username_claim", "user.name").reason())
                    .isEqualTo(Reason.MISSING_USERNAME);
        }

        @Test
        void optionalClaimsMayBeMissingEmptyOrNotStrings() throws Exception {
            Identity id = map(claims("sub", "bob", "email", "", "name", 42));
            assertThat(id.email()).isNull();
            assertThat(id.name()).isNull();
            assertThat(map(claims("sub", "bob", "name", "   ")).name()).isNull();
        }

        @Test
        void nonAsciiValuesAreKept() throws Exception {
            Identity id = map(claims("sub", "jürgen", "name", "Jürgen Müller 😀", "email", "münchen@公司.com"));
            assertThat(id.login()).isEqualTo("jürgen");
            assertThat(id.name()).isEqualTo("Jürgen Müller 😀");
            assertThat(id.email()).isEqualTo("münchen@公司.com");
        }
    }

    @Nested
    class Username {
        @Test
        void missingUsernameIsRejected() {
            IdentityRejectedException e = rejected(claims("email", "bob@example.com"));
            assertThat(e.reason()).isEqualTo(Reason.MISSING_USERNAME);
            assertThat(e.getMessage()).contains("\"sub\"").contains("jwt.username_claim");
            assertThat(e.getStackTrace()).isEmpty();
        }

        @Test
        void emptyBlankOrNonStringUsernameIsMissing() {
            assertThat(rejected(claims("sub", "")).reason()).isEqualTo(Reason.MISSING_USERNAME);
            assertThat(rejected(claims("sub", "  ")).reason()).isEqualTo(Reason.MISSING_USERNAME);
            // Grafana takes only string claims: claims[key].(string)
            assertThat(rejected(claims("sub", 12345)).reason()).isEqualTo(Reason.MISSING_USERNAME);
            assertThat(rejected(claims("sub", List.of("bob"))).reason()).isEqualTo(Reason.MISSING_USERNAME);
        }

        @Test
        void headerPropertyEmailNeedsTheEmailClaim() throws Exception {
            IdentityRejectedException e = rejected(claims("sub", "bob"), "grafana.header_property", "email");
            assertThat(e.reason()).isEqualTo(Reason.MISSING_USERNAME);
            assertThat(e.getMessage()).contains("\"email\"").contains("jwt.email_claim").contains("header_property=email");
        }

        @Test
        void headerPropertyEmailDoesNotNeedALogin() throws Exception {
            Identity id = map(claims("email", "bob@example.com"), "grafana.header_property", "email");
            assertThat(id.email()).isEqualTo("bob@example.com");
            assertThat(id.login()).isNull();
        }
    }

    @Nested
    class Role {
        @Test
        void grafanaDocsExample() throws Exception {
            String[] cfg = {"jwt.role_attribute_path", DOCS_ROLE_EXAMPLE};
            assertThat(map(claims("sub", "a", "roles", List.of("admin", "editor")), cfg).role()).isEqualTo(GrafanaRole.ADMIN);
            assertThat(map(claims("sub", "a", "roles", List.of("editor")), cfg).role()).isEqualTo(GrafanaRole.EDITOR);
            assertThat(map(claims("sub", "a", "roles", List.of("other")), cfg).role()).isEqualTo(GrafanaRole.VIEWER);
            assertThat(map(claims("sub", "a", "roles", List.of()), cfg).role()).isEqualTo(GrafanaRole.VIEWER);
        }

        @Test
        void docsExampleWithoutTheClaimMapsNoRole() throws Exception {
            // contains(null, ...) is an evaluation error in JMESPath; Grafana then maps no role
            assertThat(map(claims("sub", "a"), "jwt.role_attribute_path", DOCS_ROLE_EXAMPLE).role()).isNull();
        }

        @Test
        void plainClaimPath() throws Exception {
            assertThat(map(claims("sub", "a", "role", "Editor"), "jwt.role_attribute_path", "role").role())
                    .isEqualTo(GrafanaRole.EDITOR);
        }

        @Test
        void nestedIndexPath() throws Exception {
            Map<String, Object> c = claims("sub", "a", "info", Map.of("roles", List.of("Admin", "Viewer")));
            assertThat(map(c, "jwt.role_attribute_path", "info.roles[0]").role()).isEqualTo(GrafanaRole.ADMIN);
            assertThat(map(claims("sub", "a"), "jwt.role_attribute_path", "info.roles[0]").role()).isNull();
        }

        @Test
        void grafanaAdmin() throws Exception {
            String path = "contains(roles[*], 'superuser') && 'GrafanaAdmin' || 'Viewer'";
            assertThat(map(claims("sub", "a", "roles", List.of("superuser")), "jwt.role_attribute_path", path).role())
                    .isEqualTo(GrafanaRole.GRAFANA_ADMIN);
        }

        @Test
        void keycloakStyleNestedMapsAndLists() throws Exception {
            Map<String, Object> c = claims("sub", "a",
                    "realm_access", Map.of("roles", List.of("offline_access", "grafana-editor")));
            String path = "contains(realm_access.roles[*], 'grafana-admin') && 'Admin' "
                    + "|| contains(realm_access.roles[*], 'grafana-editor') && 'Editor' || 'Viewer'";
            assertThat(map(c, "jwt.role_attribute_path", path).role()).isEqualTo(GrafanaRole.EDITOR);
        }

        @ParameterizedTest
        @ValueSource(strings = {"admin", "ADMIN", "editor", "grafanaadmin", "Owner", "None", ""})
        void resultsOtherThanGrafanasExactNamesMapNoRole(String value) throws Exception {
            assertThat(map(claims("sub", "a", "role", value), "jwt.role_attribute_path", "role").role()).isNull();
        }

        @Test
        void nonStringResultsMapNoRole() throws Exception {
            assertThat(map(claims("sub", "a", "role", 1), "jwt.role_attribute_path", "role").role()).isNull();
            assertThat(map(claims("sub", "a", "role", List.of("Admin")), "jwt.role_attribute_path", "role").role()).isNull();
            assertThat(map(claims("sub", "a", "role", true), "jwt.role_attribute_path", "role").role()).isNull();
        }

        @Test
        void strictRejectsWhenNoRoleMaps() {
            IdentityRejectedException e = rejected(claims("sub", "a", "role", "admin"),
                    "jwt.role_attribute_path", "role", "jwt.role_attribute_strict", "true");
            assertThat(e.reason()).isEqualTo(Reason.NO_ROLE);
            assertThat(e.getMessage()).contains("jwt.role_attribute_strict").doesNotContain("admin\"");
            assertThat(rejected(claims("sub", "a"), "jwt.role_attribute_path", DOCS_ROLE_EXAMPLE,
                    "jwt.role_attribute_strict", "true").reason()).isEqualTo(Reason.NO_ROLE);
        }

        @Test
        void strictAcceptsAMappedRole() throws Exception {
            assertThat(map(claims("sub", "a", "roles", List.of()), "jwt.role_attribute_path", DOCS_ROLE_EXAMPLE,
                    "jwt.role_attribute_strict", "true").role()).isEqualTo(GrafanaRole.VIEWER);
        }

        @Test
        void strictWithoutARolePathIsAConfigError() {
            assertThatThrownBy(() -> new IdentityMapper(config("jwt.role_attribute_strict", "true")))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith("jwt.role_attribute_strict: ")
                    .hasMessageContaining("jwt.role_attribute_path");
        }
    }

    @Nested
    class Groups {
        static final String[] CFG = {"jwt.groups_attribute_path", "groups"};

        @Test
        void listOfStrings() throws Exception {
            assertThat(map(claims("sub", "a", "groups", List.of("ops", "dev team", "Ärzte")), CFG).groups())
                    .containsExactly("ops", "dev team", "Ärzte");
        }

        @Test
        void singleStringIsAOneElementList() throws Exception {
            assertThat(map(claims("sub", "a", "groups", "ops"), CFG).groups()).containsExactly("ops");
        }

        @Test
        void nonStringsEmptyNamesAndRepeatsAreDropped() throws Exception {
            assertThat(map(claims("sub", "a", "groups", Arrays.asList("ops", 7, null, "", " ", Map.of("x", 1), "ops", "dev")), CFG)
                    .groups()).containsExactly("ops", "dev");
        }

        @Test
        void missingOrOtherTypesGiveNoGroups() throws Exception {
            assertThat(map(claims("sub", "a"), CFG).groups()).isEmpty();
            assertThat(map(claims("sub", "a", "groups", 3), CFG).groups()).isEmpty();
            assertThat(map(claims("sub", "a", "groups", Map.of("a", "b")), CFG).groups()).isEmpty();
        }

        @Test
        void projectionPath() throws Exception {
            Map<String, Object> c = claims("sub", "a", "memberships",
                    List.of(Map.of("group", "ops", "level", 1), Map.of("group", "dev", "level", 2)));
            assertThat(map(c, "jwt.groups_attribute_path", "memberships[?level > `1`].group").groups()).containsExactly("dev");
            assertThat(map(c, "jwt.groups_attribute_path", "memberships[*].group").groups()).containsExactly("ops", "dev");
        }

        @Test
        void evaluationErrorGivesNoGroups() throws Exception {
            assertThat(map(claims("sub", "a"), "jwt.groups_attribute_path", "sort(groups)").groups()).isEmpty();
        }
    }

    @Nested
    class Org {
        static final String[] CFG = {"jwt.org_attribute_path", "org"};

        @Test
        void numberOrNumericString() throws Exception {
            assertThat(map(claims("sub", "a", "org", 2), CFG).orgId()).isEqualTo("2");
            assertThat(map(claims("sub", "a", "org", 3L), CFG).orgId()).isEqualTo("3");
            assertThat(map(claims("sub", "a", "org", "4"), CFG).orgId()).isEqualTo("4");
            assertThat(map(claims("sub", "a", "org", "007"), CFG).orgId()).isEqualTo("7");
            assertThat(map(claims("sub", "a", "org", 5.0), CFG).orgId()).isEqualTo("5");
            assertThat(map(claims("sub", "a", "org", Long.MAX_VALUE), CFG).orgId()).isEqualTo(Long.toString(Long.MAX_VALUE));
        }

        @Test
        void nestedPath() throws Exception {
            assertThat(map(claims("sub", "a", "grafana", Map.of("org_id", 12)), "jwt.org_attribute_path", "grafana.org_id")
                    .orgId()).isEqualTo("12");
        }

        @Test
        void missingOrEmptyMapsNoOrg() throws Exception {
            assertThat(map(claims("sub", "a"), CFG).orgId()).isNull();
            assertThat(map(claims("sub", "a", "org", ""), CFG).orgId()).isNull();
            assertThat(map(claims("sub", "a", "org", null), CFG).orgId()).isNull();
        }

        @Test
        void anythingElseIsRejected() {
            for (Object bad : new Object[] {0, -1, "0", "-3", "+3", "1.5", 1.5, "abc", " 4", true, List.of(1), Map.of("id", 1),
                    new BigInteger("9223372036854775808"), "99999999999999999999"}) {
                IdentityRejectedException e = rejected(claims("sub", "a", "org", bad), CFG);
                assertThat(e.reason()).as("org %s", bad).isEqualTo(Reason.INVALID_ORG);
                assertThat(e.getMessage()).contains("jwt.org_attribute_path");
            }
        }
    }

    @Nested
    class ControlCharacters {
        void assertRejected(Map<String, Object> claims, String mentions, String... config) {
            IdentityRejectedException e = rejected(claims, config);
            assertThat(e.reason()).isEqualTo(Reason.INVALID_CHARACTER);
            assertThat(e.getMessage()).contains(mentions).doesNotContain("evil").doesNotContain("\r").doesNotContain("\n");
        }

        @Test
        void loginWithCrLf() {
            assertRejected(claims("sub", "bob\r\nX-WEBAUTH-ROLE: evil"), "\"sub\"");
        }

        @Test
        void loginWithLf() {
            assertRejected(claims("sub", "bob\nevil"), "jwt.username_claim");
        }

        @Test
        void emailWithCr() {
            assertRejected(claims("sub", "bob", "email", "bob@example.com\revil"), "jwt.email_claim");
        }

        @Test
        void nameWithTab() {
            assertRejected(claims("sub", "bob", "name", "Bob\tevil"), "jwt.name_claim");
        }

        @Test
        void nameWithDel() {
            assertRejected(claims("sub", "bob", "name", "Bob\u007Fevil"), "jwt.name_claim");
        }

        @Test
        void nameWithC1Control() {
            // U+0085 NEL is a line break to some software
            assertRejected(claims("sub", "bob", "name", "Bob\u0085evil"), "jwt.name_claim");
        }

        @Test
        void nameWithNul() {
            assertRejected(claims("sub", "bob", "name", "Bob\u0000evil"), "jwt.name_claim");
        }

        @Test
        void nameWithUnpairedSurrogate() {
            assertRejected(claims("sub", "bob", "name", "Bob\uD800evil"), "jwt.name_claim");
        }

        @Test
        void groupWithLf() {
            assertRejected(claims("sub", "bob", "groups", List.of("ops", "dev\nevil")), "jwt.groups_attribute_path",
                    "jwt.groups_attribute_path", "groups");
        }

        @Test
        void orgWithCr() {
            assertRejected(claims("sub", "bob", "org", "2\revil"), "jwt.org_attribute_path",
                    "jwt.org_attribute_path", "org");
        }

        @Test
        void onlyControlCharactersAreNotTreatedAsEmpty() {
            assertRejected(claims("sub", "\r\n"), "jwt.username_claim");
        }

        @Test
        void headerPropertyEmailChecksTheLoginToo() {
            assertRejected(claims("sub", "bob\nevil", "email", "bob@example.com"), "jwt.username_claim",
                    "grafana.header_property", "email");
        }

        @Test
        void claimsNotMappedAreNotChecked() throws Exception {
            assertThat(map(claims("sub", "bob", "note", "line1\nline2")).login()).isEqualTo("bob");
        }
    }

    @Nested
    class Expressions {
        @ParameterizedTest
        @ValueSource(strings = {"jwt.role_attribute_path", "jwt.groups_attribute_path", "jwt.org_attribute_path"})
        void syntaxErrorIsAConfigErrorNamingTheKey(String key) {
            assertThatThrownBy(() -> new IdentityMapper(config(key, "contains(roles[*], 'admin'")))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith(key + ": \"contains(roles[*], 'admin'\" is not a valid JMESPath expression")
                    .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo(key));
        }

        @Test
        void unknownFunctionIsAConfigError() {
            assertThatThrownBy(() -> new IdentityMapper(config("jwt.role_attribute_path", "no_such_fn(role)")))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith("jwt.role_attribute_path: ");
        }

        @Test
        void jwtDatesAreNumericDateSeconds() throws Exception {
            // Nimbus hands exp/iat/nbf over as java.util.Date
            Map<String, Object> c = new HashMap<>(claims("sub", "a", "exp", new Date(1_700_000_000_000L)));
            assertThat(map(c, "jwt.org_attribute_path", "exp").orgId()).isEqualTo("1700000000");
        }

        @Test
        void oneMapperServesManyTokens() throws Exception {
            IdentityMapper mapper = new IdentityMapper(config("jwt.role_attribute_path", DOCS_ROLE_EXAMPLE));
            assertThat(mapper.map(claims("sub", "a", "roles", List.of("admin"))).role()).isEqualTo(GrafanaRole.ADMIN);
            assertThat(mapper.map(claims("sub", "b", "roles", List.of("editor"))).role()).isEqualTo(GrafanaRole.EDITOR);
        }
    }
}
