package dev.grafanaproxy.identity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.grafanaproxy.testsupport.TestKeys;
import dev.grafanaproxy.token.VerifiedToken;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The writer follows grafana.auth_mode and grafana.jwt_source, chosen in one place. */
class IdentityWritersTest {
    private static final Identity BOB = Identity.builder().login("bob").role(GrafanaRole.EDITOR).build();

    @Test
    void proxyModeSendsAuthProxyHeadersAndPublishesNoKeys() {
        IdentityWriter w = IdentityWriters.create(TestConfigs.config());
        assertThat(w).isInstanceOf(ProxyHeadersWriter.class);
        assertThat(w.write(BOB, null).headers()).extracting(IdentityHeaders.Header::name)
                .containsExactly("X-WEBAUTH-USER", "X-WEBAUTH-ROLE");
        assertThat(w.jwks()).isEmpty();
    }

    @Test
    void jwtModeMintsByDefault() {
        try (IdentityWriter w = IdentityWriters.create(TestConfigs.config("grafana.auth_mode", "jwt"))) {
            assertThat(w).isInstanceOf(GrafanaJwtWriter.class);
            assertThat(w.write(BOB, null).headers()).extracting(IdentityHeaders.Header::name).containsExactly("X-JWT-Assertion");
            assertThat(w.jwks()).isPresent();
        }
    }

    @Test
    void forwardSendsTheVerifiedAppTokenUnchangedAndNoProxyHeaders() {
        String appToken = TestKeys.jwt().sign(TestKeys.rsa());
        VerifiedToken verified = new VerifiedToken(appToken, Map.of("sub", "bob"), Instant.now().plusSeconds(60));
        IdentityWriter w = IdentityWriters.create(TestConfigs.config("grafana.auth_mode", "jwt", "grafana.jwt_source", "forward",
                "grafana.jwt_header", "X-Token"));
        assertThat(w).isInstanceOf(ForwardedJwtWriter.class);
        assertThat(w.write(BOB, verified).headers()).containsExactly(new IdentityHeaders.Header("X-Token", appToken));
        assertThat(w.jwks()).isEmpty();
    }
}
