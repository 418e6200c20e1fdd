package dev.grafanaproxy.e2e;

import com.nimbusds.jose.jwk.RSAKey;
import dev.grafanaproxy.testsupport.Containers;
import dev.grafanaproxy.testsupport.GrafanaStandIn;
import dev.grafanaproxy.testsupport.JwksServer;
import dev.grafanaproxy.testsupport.RawHttp;
import dev.grafanaproxy.testsupport.ServletContainer;
import dev.grafanaproxy.testsupport.TestKeys;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The Prometheus scrape endpoint after a scripted set of requests: exact counts per status and reason. */
class MetricsIT {
    private static final Pattern SAMPLE = Pattern.compile("^([a-z_]+)(\\{[^}]*})? ([0-9.eE+-]+)$", Pattern.MULTILINE);

    @ParameterizedTest
    @EnumSource(Containers.class)
    void countsAreExactAfterAScriptedSetOfRequests(Containers kind) throws Exception {
        RSAKey key = TestKeys.rsa("m-1");
        try (JwksServer jwks = JwksServer.start(key);
             GrafanaStandIn grafana = new GrafanaStandIn().start();
             ServletContainer c = kind.builder()
                     .contextParam("grafana.url", grafana.baseUrl())
                     .contextParam("jwt.jwk_set_url", jwks.url().toString())
                     .contextParam("metrics.path", "/-/metrics")
                     .start()) {
            int port = c.port();
            String valid = TestKeys.jwt().subject("dave").expiresIn(Duration.ofMinutes(5)).sign(key);
            String auth = "Authorization: Bearer " + valid;
            assertThat(RawHttp.exchange(port, RawHttp.get("/grafana/echo/a", auth)).status()).isEqualTo(200);
            assertThat(RawHttp.exchange(port, RawHttp.get("/grafana/echo/b", auth)).status()).isEqualTo(200);
            assertThat(RawHttp.exchange(port, RawHttp.request("POST", "/grafana/echo/c", auth, "Content-Length: 5"),
                    "hello".getBytes()).status()).isEqualTo(200);
            assertThat(RawHttp.exchange(port, RawHttp.get("/grafana/status/404", auth)).status()).isEqualTo(404);
            assertThat(RawHttp.exchange(port, RawHttp.get("/grafana/api/search")).status()).isEqualTo(401);
            String expired = TestKeys.jwt().subject("dave").expiresAt(Instant.now().minusSeconds(600)).sign(key);
            assertThat(RawHttp.exchange(port, RawHttp.get("/grafana/api/search", "Authorization: Bearer " + expired)).status())
                    .isEqualTo(401);
            String forged = TestKeys.jwt().subject("dave").expiresIn(Duration.ofMinutes(5)).sign(TestKeys.rsa("m-1"));
            assertThat(RawHttp.exchange(port, RawHttp.get("/grafana/api/search", "Authorization: Bearer " + forged)).status())
                    .isEqualTo(401);
            assertThat(RawHttp.exchange(port, RawHttp.get("/grafana/echo/d", auth, "X-WEBAUTH-USER: admin")).status())
                    .isEqualTo(200);
            assertThat(RawHttp.exchange(port, RawHttp.get("/grafana/api/health")).status()).isEqualTo(200);
            Thread.sleep(300); // forwarded requests are timed when their response completes

            RawHttp.Response scrape = RawHttp.exchange(port, RawHttp.get("/grafana/-/metrics"));
            assertThat(scrape.status()).isEqualTo(200);
            assertThat(scrape.header("Content-Type").replace(" ", "")).startsWith("text/plain;version=0.0.4");
            Map<String, Double> m = parse(scrape.bodyText());
            assertThat(m).as(scrape.bodyText()).containsKeys("grafana_proxy_auth_total{outcome=\"valid\",reason=\"none\"}",
                    "grafana_proxy_requests_seconds_count{method=\"read\",status=\"200\"}");
            assertThat(m.get("grafana_proxy_requests_seconds_count{method=\"read\",status=\"200\"}")).isEqualTo(4.0);
            assertThat(m.get("grafana_proxy_requests_seconds_count{method=\"write\",status=\"200\"}")).isEqualTo(1.0);
            assertThat(m.get("grafana_proxy_requests_seconds_count{method=\"read\",status=\"404\"}")).isEqualTo(1.0);
            assertThat(m.get("grafana_proxy_requests_seconds_count{method=\"read\",status=\"401\"}")).isEqualTo(3.0);
            assertThat(m.get("grafana_proxy_auth_total{outcome=\"valid\",reason=\"none\"}")).isEqualTo(5.0);
            assertThat(m.get("grafana_proxy_auth_total{outcome=\"no_token\",reason=\"none\"}")).isEqualTo(1.0);
            assertThat(m.get("grafana_proxy_auth_total{outcome=\"rejected\",reason=\"expired\"}")).isEqualTo(1.0);
            assertThat(m.get("grafana_proxy_auth_total{outcome=\"rejected\",reason=\"bad_signature\"}")).isEqualTo(1.0);
            assertThat(m.get("grafana_proxy_auth_total{outcome=\"public\",reason=\"none\"}")).isEqualTo(1.0);
            assertThat(m.get("grafana_proxy_spoof_attempts_total")).isEqualTo(1.0);
            assertThat(m.get("grafana_proxy_received_bytes_total")).isEqualTo(5.0);
            assertThat(m.get("grafana_proxy_sent_bytes_total")).isPositive();
            assertThat(m.get("grafana_proxy_upstream_seconds_count")).isEqualTo(6.0);
            assertThat(m.get("grafana_proxy_jwks_keys")).isEqualTo(1.0);
            assertThat(m.get("grafana_proxy_jwks_fetches_total")).isGreaterThanOrEqualTo(1.0);
            assertThat(m.get("grafana_proxy_jwks_failures_total")).isEqualTo(0.0);
            assertThat(m.get("grafana_proxy_websocket_relays")).isEqualTo(0.0);
            assertThat(m.get("grafana_proxy_audit_dropped_total")).isEqualTo(0.0);
            assertThat(m).containsKeys("grafana_proxy_pool_connections{state=\"leased\"}",
                    "grafana_proxy_pool_connections{state=\"pending\"}", "grafana_proxy_pool_connections{state=\"available\"}");
            assertThat(grafana.received()).noneMatch(r -> r.routePath().contains("metrics"));
        }
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void theScrapeEndpointRefusesAddressesOutsideTheAllowList(Containers kind) throws Exception {
        try (GrafanaStandIn grafana = new GrafanaStandIn().start();
             ServletContainer c = kind.builder()
                     .contextParam("grafana.url", grafana.baseUrl())
                     .contextParam("jwt.secret", E2E.SECRET)
                     .contextParam("metrics.path", "/-/metrics")
                     .contextParam("metrics.allow", "10.0.0.0/8")
                     .start()) {
            RawHttp.Response r = RawHttp.exchange(c.port(), RawHttp.get("/grafana/-/metrics"));
            assertThat(r.status()).isEqualTo(403);
            assertThat(r.bodyText()).isEqualTo("{\"message\":\"metrics are not served to this address\"}");
            assertThat(grafana.received()).isEmpty();
        }
    }

    private static Map<String, Double> parse(String text) {
        Map<String, Double> samples = new HashMap<>();
        Matcher m = SAMPLE.matcher(text);
        while (m.find()) {
            samples.put(m.group(1) + (m.group(2) == null ? "" : m.group(2)), Double.parseDouble(m.group(3)));
        }
        return samples;
    }
}
