package dev.grafanaproxy.e2e;

import dev.grafanaproxy.testsupport.Containers;
import dev.grafanaproxy.testsupport.GrafanaStandIn;
import dev.grafanaproxy.testsupport.RawHttp;
import dev.grafanaproxy.testsupport.ServletContainer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** Start-up with bad configuration, and undeploy without leaked threads. */
class LifecycleIT {

    @ParameterizedTest
    @EnumSource(Containers.class)
    void aBadValueStopsTheWebAppWithOneLineNamingTheKeyAndTheServerKeepsRunning(Containers kind) throws Exception {
        try (ServletContainer c = kind.builder()
                .contextParam("grafana.url", "ftp://grafana.internal")
                .contextParam("jwt.secret", E2E.SECRET)
                .start()) {
            assertThat(c.isWebappAvailable()).isFalse();
            List<String> lines = c.logLines().stream().filter(l -> l.contains("grafana-proxy configuration error"))
                    .collect(Collectors.toList());
            assertThat(lines).hasSize(1);
            assertThat(lines.get(0)).contains("grafana.url").contains("\"ftp://grafana.internal\"")
                    .contains("expected an http or https URL");
            assertThat(RawHttp.exchange(c.port(), RawHttp.get("/ping")).bodyText()).isEqualTo("pong");
        }
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void aSecretIsNeverShownInAStartUpError(Containers kind) throws Exception {
        try (ServletContainer c = kind.builder()
                .contextParam("grafana.url", "http://127.0.0.1:3000")
                .contextParam("jwt.secret", "s3cr3t-value-that-must-not-leak-0123456789")
                .contextParam("jwt.jwk_set_file", "/etc/keys.json")
                .start()) {
            assertThat(c.isWebappAvailable()).isFalse();
            assertThat(c.logText()).contains("jwt.jwk_set_file").contains("jwt.secret")
                    .doesNotContain("s3cr3t-value-that-must-not-leak");
        }
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void undeployLeavesNoProxyThreads(Containers kind) throws Exception {
        try (GrafanaStandIn grafana = new GrafanaStandIn().start()) {
            ServletContainer c = kind.builder()
                    .contextParam("grafana.url", grafana.baseUrl())
                    .contextParam("jwt.secret", E2E.SECRET)
                    .contextParam("public_paths", "/*")
                    .start();
            try {
                assertThat(RawHttp.exchange(c.port(), RawHttp.get("/grafana/echo/x")).status()).isEqualTo(200);
                assertThat(proxyThreads()).isNotEmpty();
            } finally {
                c.close();
            }
            assertThat(proxyThreads()).as("I/O threads of the upstream client after undeploy").isEmpty();
            assertThat(grafana.awaitOpenConnections(0, java.time.Duration.ofSeconds(5)))
                    .as("pooled connections to Grafana closed on undeploy").isTrue();
        }
    }

    private static List<String> proxyThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith("grafana-proxy")).collect(Collectors.toList());
    }
}
