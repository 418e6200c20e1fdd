package dev.grafanaproxy.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** What operators see: the health endpoint and the audit log. */
class OperationsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern FIELD = Pattern.compile("(\\w+)=(\"(?:[^\"\\\\]|\\\\.)*\"|\\S+)");

    @ParameterizedTest
    @EnumSource(Containers.class)
    void healthFollowsGrafanaAndTheKeySourceAndIsNeverForwarded(Containers kind) throws Exception {
        RSAKey key = TestKeys.rsa("ops-1");
        try (JwksServer jwks = JwksServer.start(key);
             GrafanaStandIn grafana = new GrafanaStandIn().start();
             ServletContainer c = kind.builder()
                     .contextParam("grafana.url", grafana.baseUrl())
                     .contextParam("jwt.jwk_set_url", jwks.url().toString())
                     .contextParam("jwt.cache_ttl", "1s")
                     .contextParam("health.cache_ttl", "200ms")
                     .start()) {
            JsonNode up = health(c, 200);
            assertThat(up.path("status").asText()).isEqualTo("UP");
            assertThat(up.path("checks").path("grafana").path("httpStatus").asInt()).isEqualTo(200);
            assertThat(up.path("checks").path("keys").path("source").asText()).isEqualTo("jwt.jwk_set_url");
            assertThat(up.path("checks").path("keys").path("keys").asInt()).isEqualTo(1);
            assertThat(grafana.received()).as("the health endpoint itself is never forwarded")
                    .noneMatch(r -> r.routePath().contains("-/health"));

            grafana.stop();
            Thread.sleep(300);
            JsonNode down = health(c, 503);
            assertThat(down.path("status").asText()).isEqualTo("DOWN");
            assertThat(down.path("reason").asText()).startsWith("Grafana unreachable");
            grafana.start();
            Thread.sleep(300);
            health(c, 200);

            jwks.stop();
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            JsonNode keysDown = null;
            while (System.nanoTime() < deadline) {
                RawHttp.Response r = RawHttp.exchange(c.port(), RawHttp.get("/grafana/-/health"));
                if (r.status() == 503) {
                    keysDown = JSON.readTree(r.bodyText());
                    break;
                }
                Thread.sleep(250);
            }
            assertThat(keysDown).as("503 once the cached keys have expired during the JWKS outage").isNotNull();
            assertThat(keysDown.path("reason").asText()).startsWith("verification keys unavailable");
            jwks.start();
            deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            int status = 0;
            while (System.nanoTime() < deadline && status != 200) {
                Thread.sleep(250);
                status = RawHttp.exchange(c.port(), RawHttp.get("/grafana/-/health")).status();
            }
            assertThat(status).as("back to 200 when the JWKS endpoint is back").isEqualTo(200);
        }
    }

    private static JsonNode health(ServletContainer c, int expected) throws Exception {
        RawHttp.Response r = RawHttp.exchange(c.port(), RawHttp.get("/grafana/-/health"));
        assertThat(r.status()).as(r.bodyText()).isEqualTo(expected);
        assertThat(r.header("Content-Type")).startsWith("application/json");
        return JSON.readTree(r.bodyText());
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void everyRequestHasOneParseableAuditLine(Containers kind) throws Exception {
        RSAKey key = TestKeys.rsa("audit-1");
        try (JwksServer jwks = JwksServer.start(key);
             GrafanaStandIn grafana = new GrafanaStandIn().start();
             ServletContainer c = kind.builder()
                     .contextParam("grafana.url", grafana.baseUrl())
                     .contextParam("jwt.jwk_set_url", jwks.url().toString())
                     .contextParam("jwt.cookie_name", "app_session")
                     .contextParam("jwt.role_attribute_path", "role")
                     .contextParam("jwt.org_attribute_path", "org")
                     .start()) {
            String token = TestKeys.jwt().subject("carol").claim("role", "Editor").claim("org", 3)
                    .expiresIn(Duration.ofMinutes(5)).sign(key);
            c.clearLogLines();
            assertThat(RawHttp.exchange(c.port(), RawHttp.get("/grafana/echo/d/x?orgId=3&secret=q",
                    "Cookie: app_session=" + token)).status()).isEqualTo(200);
            assertThat(RawHttp.exchange(c.port(), RawHttp.get("/grafana/status/404", "Authorization: Bearer " + token))
                    .status()).isEqualTo(404);
            assertThat(RawHttp.exchange(c.port(), RawHttp.get("/grafana/api/search")).status()).isEqualTo(401);
            assertThat(RawHttp.exchange(c.port(), RawHttp.get("/grafana/api/search",
                    "Authorization: Bearer " + TestKeys.jwt().subject("mallory").expiresIn(Duration.ofMinutes(5))
                            .sign(TestKeys.rsa("audit-1")))).status()).isEqualTo(401);
            assertThat(RawHttp.exchange(c.port(), RawHttp.get("/grafana/api/health")).status()).isEqualTo(200);
            // lines are written by the audit thread, a forwarded request's once it completes: wait for them
            List<Map<String, String>> lines = awaitAuditLines(c, 5);
            // forwarded requests are written when they complete, refusals at once: match, don't count on order
            assertThat(lines).hasSize(5);
            assertThat(one(lines, "path", "/grafana/echo/d/x")).containsEntry("outcome", "ok").containsEntry("user", "carol")
                    .containsEntry("role", "Editor").containsEntry("org", "3").containsEntry("method", "GET")
                    .containsEntry("status", "200").containsEntry("client", "127.0.0.1").containsKeys("time", "duration_ms");
            assertThat(one(lines, "path", "/grafana/status/404")).containsEntry("user", "carol").containsEntry("status", "404");
            assertThat(one(lines, "reason", "no token")).containsEntry("outcome", "rejected")
                    .containsEntry("path", "/grafana/api/search").containsEntry("status", "401").doesNotContainKey("user");
            assertThat(one(lines, "reason", "invalid signature")).containsEntry("outcome", "rejected")
                    .containsEntry("status", "401").doesNotContainKey("sub");
            assertThat(one(lines, "path", "/grafana/api/health")).containsEntry("outcome", "ok").containsEntry("user", "-");
            assertThat(c.logText()).doesNotContain(token).doesNotContain("secret=q");
        }
    }

    /** The audit lines captured so far, once there are {@code n} of them (or 10 s have passed). */
    private static List<Map<String, String>> awaitAuditLines(ServletContainer c, int n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            List<String> lines = c.logLines().stream().filter(l -> l.contains("grafana.proxy.audit")).collect(Collectors.toList());
            if (lines.size() >= n || System.nanoTime() > deadline) {
                return lines.stream().map(OperationsIT::parse).collect(Collectors.toList());
            }
            Thread.sleep(20);
        }
    }

    private static Map<String, String> one(List<Map<String, String>> lines, String key, String value) {
        List<Map<String, String>> found = lines.stream().filter(l -> value.equals(l.get(key))).collect(Collectors.toList());
        assertThat(found).as("audit lines with %s=%s in %s", key, value, lines).hasSize(1);
        return found.get(0);
    }

    private static Map<String, String> parse(String line) {
        Map<String, String> fields = new LinkedHashMap<>();
        Matcher m = FIELD.matcher(line.substring(line.indexOf("time=")));
        while (m.find()) {
            String v = m.group(2);
            fields.put(m.group(1), v.startsWith("\"") ? v.substring(1, v.length() - 1).replace("\\\"", "\"") : v);
        }
        return fields;
    }
}
