package dev.grafanaproxy.identity;

import static dev.grafanaproxy.identity.TestConfigs.config;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.grafanaproxy.identity.IdentityHeaders.Header;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ProxyHeadersWriterTest {

    static Identity.Builder bob() {
        return Identity.builder().login("bob").email("bob@example.com").name("Bob B");
    }

    static List<Header> write(Identity identity, String... config) {
        return new ProxyHeadersWriter(config(config)).write(identity).headers();
    }

    static String value(List<Header> headers, String name) {
        return headers.stream().filter(h -> h.name().equalsIgnoreCase(name)).map(Header::value).findFirst().orElse(null);
    }

    /** The ISO-8859-1 view of these bytes, i.e. the wire string that carries them. */
    static String wire(int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            b[i] = (byte) bytes[i];
        }
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    @Nested
    class Headers {
        @Test
        void defaultConfigurationSendsEveryMappedValue() {
            Identity id = bob().role(GrafanaRole.EDITOR).groups(List.of("ops", "dev")).orgId("3").build();
            assertThat(write(id)).extracting(Header::name, Header::value).containsExactly(
                    tuple("X-WEBAUTH-USER", "bob"),
                    tuple("X-WEBAUTH-NAME", "Bob B"),
                    tuple("X-WEBAUTH-EMAIL", "bob@example.com"),
                    tuple("X-WEBAUTH-ROLE", "Editor"),
                    tuple("X-WEBAUTH-GROUPS", "ops,dev"),
                    tuple("X-Grafana-Org-Id", "3"));
        }

        @Test
        void absentValuesAreLeftOut() {
            assertThat(write(Identity.builder().login("bob").build()))
                    .extracting(Header::name).containsExactly("X-WEBAUTH-USER");
        }

        @ParameterizedTest
        @ValueSource(strings = {"Viewer", "Editor", "Admin"})
        void roleIsSentAsIs(String role) {
            Identity id = bob().role(GrafanaRole.fromGrafanaName(role).orElseThrow()).build();
            assertThat(value(write(id), "X-WEBAUTH-ROLE")).isEqualTo(role);
        }

        @Test
        void grafanaAdminIsSentAsAdmin() {
            // [auth.proxy]'s Role header only knows Viewer, Editor and Admin
            assertThat(value(write(bob().role(GrafanaRole.GRAFANA_ADMIN).build()), "X-WEBAUTH-ROLE")).isEqualTo("Admin");
        }

        @Test
        void headerPropertyEmailPutsTheEmailInTheUserHeader() {
            List<Header> h = write(bob().build(), "grafana.header_property", "email");
            assertThat(value(h, "X-WEBAUTH-USER")).isEqualTo("bob@example.com");
            assertThat(value(h, "X-WEBAUTH-EMAIL")).isEqualTo("bob@example.com");
        }

        @Test
        void headerPropertyEmailWithoutALogin() {
            Identity id = Identity.builder().email("bob@example.com").build();
            assertThat(write(id, "grafana.header_property", "email"))
                    .extracting(Header::name, Header::value).containsExactly(
                            tuple("X-WEBAUTH-USER", "bob@example.com"), tuple("X-WEBAUTH-EMAIL", "bob@example.com"));
        }

        @Test
        void identityWithoutTheUserHeaderValueIsAProgrammingError() {
            ProxyHeadersWriter w = new ProxyHeadersWriter(config("grafana.header_property", "email"));
            assertThatThrownBy(() -> w.write(Identity.builder().login("bob").build()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("email");
        }

        @Test
        void configuredNamesAndLoginAttributeInConfiguredOrder() {
            Identity id = bob().role(GrafanaRole.ADMIN).groups(List.of("g")).orgId("9").build();
            assertThat(write(id, "grafana.header_name", "X-User", "grafana.org_header", "X-Org",
                    "grafana.headers", "Login:X-Login Groups:X-Groups Role:X-Role"))
                    .extracting(Header::name, Header::value).containsExactly(
                            tuple("X-User", "bob"), tuple("X-Login", "bob"), tuple("X-Groups", "g"),
                            tuple("X-Role", "Admin"), tuple("X-Org", "9"));
        }

        @Test
        void emptyGrafanaHeadersSendsOnlyTheUserAndOrg() {
            Identity id = bob().role(GrafanaRole.ADMIN).orgId("2").build();
            assertThat(write(id, "grafana.headers", "")).extracting(Header::name)
                    .containsExactly("X-WEBAUTH-USER", "X-Grafana-Org-Id");
        }

        @Test
        void aHeaderNameIsWrittenOnceAndTheUserHeaderWins() {
            List<Header> h = write(bob().build(), "grafana.headers", "Name:x-webauth-user Email:X-Mail");
            assertThat(h).extracting(Header::name, Header::value).containsExactly(
                    tuple("X-WEBAUTH-USER", "bob"), tuple("X-Mail", "bob@example.com"));
        }
    }

    @Nested
    class Groups {
        @Test
        void plainNamesAreCommaSeparated() {
            assertThat(ProxyHeadersWriter.groupsValue(List.of("ops", "dev-team", "a.b", "x:y"))).isEqualTo("ops,dev-team,a.b,x:y");
        }

        @Test
        void namesThatSplittingWouldBreakGoAsAJsonList() {
            // Grafana's util.SplitString splits at commas and white space but reads a leading [ as JSON
            assertThat(ProxyHeadersWriter.groupsValue(List.of("ops", "dev team"))).isEqualTo("[\"ops\",\"dev team\"]");
            assertThat(ProxyHeadersWriter.groupsValue(List.of("a,b"))).isEqualTo("[\"a,b\"]");
            assertThat(ProxyHeadersWriter.groupsValue(List.of("say \"hi\"", "back\\slash"))).isEqualTo("[\"say \\\"hi\\\"\",\"back\\\\slash\"]");
            assertThat(ProxyHeadersWriter.groupsValue(List.of("[admins]"))).isEqualTo("[\"[admins]\"]");
            assertThat(ProxyHeadersWriter.groupsValue(List.of("no\u00A0break"))).isEqualTo("[\"no\u00A0break\"]");
        }

        @Test
        void jsonListIsUtf8OnTheWire() {
            Identity id = bob().groups(List.of("Ärzte Team")).build();
            assertThat(value(write(id), "X-WEBAUTH-GROUPS"))
                    .isEqualTo("[\"" + wire(0xC3, 0x84) + "rzte Team\"]");
        }
    }

    @Nested
    class Utf8Encoding {
        @Test
        void asciiIsUnchanged() {
            assertThat(value(write(bob().name("Bob = B").build()), "X-WEBAUTH-NAME")).isEqualTo("Bob = B");
        }

        @Test
        void nonAsciiGoesAsUtf8Bytes() {
            List<Header> h = write(Identity.builder().login("jürgen").name("Jürgen 😀").email("münchen@公司.com").build());
            assertThat(value(h, "X-WEBAUTH-USER")).isEqualTo("j" + wire(0xC3, 0xBC) + "rgen");
            assertThat(value(h, "X-WEBAUTH-NAME")).isEqualTo("J" + wire(0xC3, 0xBC) + "rgen " + wire(0xF0, 0x9F, 0x98, 0x80));
            assertThat(value(h, "X-WEBAUTH-EMAIL")).isEqualTo("m" + wire(0xC3, 0xBC) + "nchen@"
                    + wire(0xE5, 0x85, 0xAC, 0xE5, 0x8F, 0xB8) + ".com");
        }
    }

    @Nested
    class QuotedPrintableEncoding {
        static final String[] ENCODED = {"grafana.headers_encoded", "true"};

        @Test
        void grafanasOwnExample() {
            // the format of Grafana's headers_encoded change (grafana/grafana#44797)
            List<Header> h = write(Identity.builder().login("München").email("münchen@公司.com").build(), ENCODED);
            assertThat(value(h, "X-WEBAUTH-USER")).isEqualTo("M=C3=BCnchen");
            assertThat(value(h, "X-WEBAUTH-EMAIL")).isEqualTo("m=C3=BCnchen@=E5=85=AC=E5=8F=B8.com");
        }

        @Test
        void asciiValuesAreSentUnchanged() {
            Identity id = bob().name("Bob B. O'Neil (ops) ~x").role(GrafanaRole.GRAFANA_ADMIN).groups(List.of("ops", "dev")).orgId("4").build();
            assertThat(write(id, ENCODED)).extracting(Header::name, Header::value).containsExactly(
                    tuple("X-WEBAUTH-USER", "bob"),
                    tuple("X-WEBAUTH-NAME", "Bob B. O'Neil (ops) ~x"),
                    tuple("X-WEBAUTH-EMAIL", "bob@example.com"),
                    tuple("X-WEBAUTH-ROLE", "Admin"),
                    tuple("X-WEBAUTH-GROUPS", "ops,dev"),
                    tuple("X-Grafana-Org-Id", "4"));
        }

        @Test
        void fourByteCharacter() {
            assertThat(value(write(bob().name("Hi 😀").build(), ENCODED), "X-WEBAUTH-NAME")).isEqualTo("Hi =F0=9F=98=80");
        }

        @Test
        void equalsSignIsEscapedBecauseGrafanaDecodesEveryHeader() {
            // unescaped, "x=41" would reach Grafana as "xA"
            assertThat(ProxyHeadersWriter.grafanaEncoded("x=41")).isEqualTo("x=3D41");
            assertThat(ProxyHeadersWriter.grafanaEncoded("a=b@example.com")).isEqualTo("a=3Db@example.com");
        }

        @Test
        void spacesAtEitherEndAreEscaped() {
            // Go's header parser trims them before decoding
            assertThat(ProxyHeadersWriter.grafanaEncoded(" Bob B ")).isEqualTo("=20Bob B=20");
            assertThat(ProxyHeadersWriter.grafanaEncoded(" ")).isEqualTo("=20");
        }

        @Test
        void groupsAreEncodedAsOneValue() {
            assertThat(value(write(bob().groups(List.of("Ärzte", "ops")).build(), ENCODED), "X-WEBAUTH-GROUPS"))
                    .isEqualTo("=C3=84rzte,ops");
        }

        @Test
        void tooLongForGosDecoderFallsBackToRawUtf8Bytes() {
            // Go's quotedprintable reader fails on 4096 bytes without a line end; Grafana then keeps the raw value
            String longCyrillic = "Ж".repeat(1000); // 2000 UTF-8 bytes, 6000 quoted-printable
            assertThat(ProxyHeadersWriter.grafanaEncoded(longCyrillic)).isEqualTo(ProxyHeadersWriter.utf8Wire(longCyrillic));
            String withEquals = "Ж".repeat(1000) + "=41";
            assertThat(ProxyHeadersWriter.grafanaEncoded(withEquals)).isEqualTo(ProxyHeadersWriter.utf8Wire("Ж".repeat(1000)) + "=3D41");
            String huge = "Ж".repeat(3000) + "=41";
            assertThat(ProxyHeadersWriter.grafanaEncoded(huge)).isEqualTo(ProxyHeadersWriter.utf8Wire(huge));
        }

        @Test
        void justBelowTheLimitIsQuotedPrintable() {
            String v = "ä".repeat(682); // 4092 chars encoded
            assertThat(ProxyHeadersWriter.grafanaEncoded(v)).isEqualTo("=C3=A4".repeat(682));
            assertThat(ProxyHeadersWriter.grafanaEncoded("ä".repeat(683))).isEqualTo(ProxyHeadersWriter.utf8Wire("ä".repeat(683)));
        }

        @Test
        void grafanaDecodesEveryEncodedValueBackExactly() {
            List<String> values = new ArrayList<>(List.of("bob", "München", "münchen@公司.com", "Jürgen 😀", "x=41", "a=", "=",
                    "==", "=4", "= ", " lead", "trail ", "  both  ", " ", "100% = sure", "tab\u00A0nbsp", "~!\"#$%&'()*+,-./:;<>?@[\\]^_`{|}",
                    "Ж".repeat(1000), "Ж".repeat(1000) + "=41", "a".repeat(5000), "a".repeat(4095) + "=41",
                    "ä".repeat(682), "ä".repeat(683), "ä".repeat(2048), "x ".repeat(3000) + "x"));
            for (int cp = 0x20; cp < 0x300; cp++) {
                if (cp < 0x7F || cp > 0x9F) {
                    values.add("a" + Character.toString(cp) + "b");
                    values.add(Character.toString(cp));
                }
            }
            for (String v : values) {
                String sent = ProxyHeadersWriter.grafanaEncoded(v);
                assertThat(sent.chars().allMatch(c -> c <= 0xFF)).as("wire string for %s", v).isTrue();
                assertThat(GoQuotedPrintable.grafanaReads(sent)).as("Grafana reads %s", sent).isEqualTo(v);
            }
        }

        @Test
        void shortEncodedValuesAreAsciiOnly() {
            for (String v : List.of("München", "公司", "Jürgen 😀", "x=41", " pad ")) {
                assertThat(ProxyHeadersWriter.grafanaEncoded(v).chars().allMatch(c -> c >= 0x20 && c < 0x7F)).as(v).isTrue();
            }
        }

        @Test
        void theDecoderModelMatchesGo() {
            // cases straight from Go's reader semantics, so the round trip above proves something
            assertThat(GoQuotedPrintable.grafanaReads("M=C3=BCnchen")).isEqualTo("München");
            assertThat(GoQuotedPrintable.grafanaReads("m=c3=bcnchen")).isEqualTo("münchen"); // lower-case hex accepted
            assertThat(GoQuotedPrintable.grafanaReads("x=41")).isEqualTo("xA");
            assertThat(GoQuotedPrintable.grafanaReads("a=b")).isEqualTo("a=b"); // = not followed by hex is literal
            assertThat(GoQuotedPrintable.grafanaReads("ab=")).isEqualTo("ab"); // trailing = is a soft break
            assertThat(GoQuotedPrintable.grafanaReads("=")).isEqualTo("="); // error: raw value kept
            assertThat(GoQuotedPrintable.grafanaReads(" a b ")).isEqualTo("a b");
            assertThat(GoQuotedPrintable.grafanaReads("x=41" + "a".repeat(4092))).isEqualTo("x=41" + "a".repeat(4092));
            assertThat(GoQuotedPrintable.grafanaReads("x=41" + "a".repeat(4091))).isEqualTo("xA" + "a".repeat(4091));
        }
    }

    @Test
    void writesAnEmptyGroupListAsNoHeader() {
        assertThat(value(write(bob().groups(Collections.emptyList()).build()), "X-WEBAUTH-GROUPS")).isNull();
    }
}
