package dev.grafanaproxy.proxy;

import dev.grafanaproxy.config.ProxyConfig;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ResponseRewriterTest {
    private static final String ORIGIN = "https://app.example.com";

    private static ResponseRewriter rewriter(boolean strip) {
        return new ResponseRewriter(ProxyConfig.custom()
                .set("grafana.url", "http://127.0.0.1:3000/")
                .set("grafana.strip_prefix", String.valueOf(strip))
                .set("jwt.secret", "0123456789abcdef0123456789abcdef")
                .build());
    }

    @Test
    void absoluteLocationsOnGrafanaBecomePublicUrls() {
        ResponseRewriter r = rewriter(false);
        assertThat(r.location("http://127.0.0.1:3000/grafana/login?x=1", ORIGIN, "/grafana"))
                .isEqualTo("https://app.example.com/grafana/login?x=1");
        assertThat(r.location("HTTP://127.0.0.1:3000/grafana/", ORIGIN, "/grafana"))
                .isEqualTo("https://app.example.com/grafana/");
        assertThat(r.location("http://127.0.0.1:3000", ORIGIN, "/grafana")).isEqualTo("https://app.example.com/");
    }

    @Test
    void otherLocationsAreLeftAloneWithoutStripPrefix() {
        ResponseRewriter r = rewriter(false);
        assertThat(r.location("https://idp.example.com/auth", ORIGIN, "/grafana")).isEqualTo("https://idp.example.com/auth");
        assertThat(r.location("http://127.0.0.1:30001/x", ORIGIN, "/grafana")).isEqualTo("http://127.0.0.1:30001/x");
        assertThat(r.location("/grafana/login", ORIGIN, "/grafana")).isEqualTo("/grafana/login");
        assertThat(r.location("/login", ORIGIN, "/grafana")).isEqualTo("/login");
        assertThat(r.location("d/abc", ORIGIN, "/grafana")).isEqualTo("d/abc");
        assertThat(r.setCookie("grafana_session=1; Path=/; HttpOnly", "/grafana")).isEqualTo("grafana_session=1; Path=/; HttpOnly");
    }

    @Test
    void withStripPrefixPathsNotUnderTheMountAreMovedUnderIt() {
        ResponseRewriter r = rewriter(true);
        assertThat(r.location("/login", ORIGIN, "/grafana")).isEqualTo("/grafana/login");
        assertThat(r.location("/grafana/login", ORIGIN, "/grafana")).isEqualTo("/grafana/login");
        assertThat(r.location("/grafanax", ORIGIN, "/grafana")).isEqualTo("/grafana/grafanax");
        assertThat(r.location("//evil.example/x", ORIGIN, "/grafana")).isEqualTo("//evil.example/x");
        assertThat(r.location("http://127.0.0.1:3000/login", ORIGIN, "/grafana")).isEqualTo("https://app.example.com/grafana/login");
        assertThat(r.location("http://127.0.0.1:3000/grafana/login", ORIGIN, "/grafana"))
                .isEqualTo("https://app.example.com/grafana/login");
        assertThat(r.setCookie("grafana_session=1; Path=/; HttpOnly", "/grafana")).isEqualTo("grafana_session=1; Path=/grafana/; HttpOnly");
        assertThat(r.setCookie("a=1; path=/api", "/grafana")).isEqualTo("a=1; path=/grafana/api");
        assertThat(r.setCookie("a=1; Path=/grafana/", "/grafana")).isEqualTo("a=1; Path=/grafana/");
        assertThat(r.setCookie("a=1; HttpOnly", "/grafana")).isEqualTo("a=1; HttpOnly");
    }
}
