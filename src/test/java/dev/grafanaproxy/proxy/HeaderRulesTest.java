package dev.grafanaproxy.proxy;

import dev.grafanaproxy.config.ProxyConfig;
import org.junit.jupiter.api.Test;

import java.util.Collections;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class HeaderRulesTest {
    private final HeaderRules rules = new HeaderRules(ProxyConfig.custom()
            .set("grafana.url", "http://127.0.0.1:3000")
            .set("jwt.secret", "0123456789abcdef0123456789abcdef")
            .set("jwt.cookie_name", "app_session")
            .build());

    @Test
    void hopByHopHeadersAreDroppedInEveryLetterCase() {
        for (String h : List.of("Connection", "keep-alive", "PROXY-CONNECTION", "te", "Transfer-Encoding", "upgrade",
                "Trailer", "Proxy-Authenticate", "proxy-authorization")) {
            assertThat(HeaderRules.isHopByHop(h)).as(h).isTrue();
            assertThat(rules.dropFromRequest(h, Set.of())).as(h).isTrue();
            assertThat(HeaderRules.dropFromResponse(h, Set.of())).as(h).isTrue();
        }
        assertThat(HeaderRules.isHopByHop("X-Custom")).isFalse();
    }

    @Test
    void headersNamedInConnectionAreHopByHop() {
        Set<String> tokens = HeaderRules.connectionTokens(Collections.enumeration(List.of("close, X-Foo", " x-bar ")));
        assertThat(tokens).containsExactlyInAnyOrder("close", "X-Foo", "x-bar");
        assertThat(rules.dropFromRequest("x-foo", tokens)).isTrue();
        assertThat(rules.dropFromRequest("X-BAR", tokens)).isTrue();
        assertThat(HeaderRules.dropFromResponse("X-Foo", tokens)).isTrue();
        assertThat(rules.dropFromRequest("X-Baz", tokens)).isFalse();
    }

    @Test
    void identityHeadersCredentialsAndProxyOwnedHeadersAreNeverCopied() {
        for (String h : List.of("x-webauth-user", "X-WEBAUTH-NAME", "x-WebAuth-Email", "X-WEBAUTH-ROLE", "x-webauth-groups",
                "x-grafana-org-id", "x-jwt-assertion", "Authorization", "host", "Content-Length", "Expect",
                "X-Forwarded-For", "x-forwarded-host", "X-Forwarded-Proto")) {
            assertThat(rules.dropFromRequest(h, Set.of())).as(h).isTrue();
        }
        assertThat(rules.isIdentityHeader("X-Webauth-User")).isTrue();
        assertThat(rules.isIdentityHeader("Authorization")).isFalse();
        assertThat(rules.dropFromRequest("Accept", Set.of())).isFalse();
        assertThat(rules.dropFromRequest("Cookie", Set.of())).isFalse();
    }

    @Test
    void theAppJwtCookieIsCutOutOfCookieAndEveryOtherCookiePasses() {
        assertThat(rules.stripTokenCookie("a=1; app_session=eyJ.x.y; grafana_session=abc"))
                .isEqualTo("a=1; grafana_session=abc");
        assertThat(rules.stripTokenCookie("app_session=eyJ.x.y")).isNull();
        assertThat(rules.stripTokenCookie("app_session_other=1;app_session=t")).isEqualTo("app_session_other=1");
        assertThat(rules.stripTokenCookie("grafana_session=abc")).isEqualTo("grafana_session=abc");
    }
}
