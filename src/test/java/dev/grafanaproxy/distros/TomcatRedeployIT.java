package dev.grafanaproxy.distros;

import com.nimbusds.jose.jwk.RSAKey;
import dev.grafanaproxy.testsupport.Distribution;
import dev.grafanaproxy.testsupport.DistributionServer;
import dev.grafanaproxy.testsupport.GrafanaStandIn;
import dev.grafanaproxy.testsupport.JwksServer;
import dev.grafanaproxy.testsupport.RawHttp;
import dev.grafanaproxy.testsupport.TestKeys;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

import static dev.grafanaproxy.testsupport.ConfFiles.GRAFANA_URL;
import static dev.grafanaproxy.testsupport.ConfFiles.JWKS_URL;
import static dev.grafanaproxy.testsupport.ConfFiles.placeholders;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hot redeploy: a new {@code grafana.war} moved over the old one under a running Tomcat (autoDeploy,
 * as shipped) reloads the web app, which then serves again, and Tomcat's own leak detection has
 * nothing to say about it: neither the warnings it logs when a stopped web app left threads or
 * ThreadLocals behind, nor the manager's {@code findleaks} (which forces a GC and lists every
 * stopped web app whose class loader is still reachable).
 */
class TomcatRedeployIT {
    private static GrafanaStandIn grafana;
    private static JwksServer jwks;
    private static RSAKey key;

    @BeforeAll
    static void startUpstreams() {
        Distribution.assumeAvailable();
        grafana = new GrafanaStandIn().start();
        key = TestKeys.rsa();
        jwks = JwksServer.start(key);
    }

    @AfterAll
    static void stopUpstreams() {
        if (grafana != null) {
            grafana.close();
        }
        if (jwks != null) {
            jwks.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Distribution.class, names = {"TOMCAT_10_1", "TOMCAT_11"})
    void replacingTheWarUnderARunningTomcatReloadsItWithoutLeaks(Distribution distribution) throws Exception {
        Smoke smoke = new Smoke(grafana);
        String token = smoke.token(key);
        try (DistributionServer server = DistributionServer.builder(distribution).name("redeploy").manager()
                .contextFile(placeholders(GRAFANA_URL, grafana.baseUrl(), JWKS_URL, jwks.url().toString())).start()) {
            int port = server.port();
            String cookie = Smoke.loginAtHostApp(port, token);
            // use everything that could hold on to the class loader: upstream pool, JWKS cache, streaming
            smoke.assertAuthenticated(port, cookie);
            Smoke.assertStreaming(port, cookie, 4L << 20);
            assertThat(findLeaks(server)).as("before any reload").containsExactly("OK - No memory leaks found");

            server.replaceWar(Path.of(System.getProperty("grafana.war", "target/grafana.war")));
            assertThat(server.awaitLogLine(l -> l.contains("Reloading Context with name [/grafana] is completed"),
                    Duration.ofSeconds(60))).as("Tomcat reloads /grafana after the WAR changed:\n%s", server.logText()).isTrue();

            smoke.assertAuthenticated(port, cookie);
            Smoke.assertStreaming(port, cookie, 4L << 20);

            // the old class loader must become unreachable; findleaks runs a full GC each time
            List<String> leaks = List.of();
            for (int i = 0; i < 10; i++) {
                leaks = findLeaks(server);
                if (leaks.equals(List.of("OK - No memory leaks found"))) {
                    break;
                }
                Thread.sleep(500);
            }
            assertThat(leaks).as("findleaks after the reload").containsExactly("OK - No memory leaks found");

            assertThat(server.stop()).isTrue();
            List<String> warnings = server.logLines().stream()
                    .filter(l -> l.contains("web application [grafana]") || l.contains("memory leak"))
                    .collect(Collectors.toList());
            assertThat(warnings).as("Tomcat's leak warnings for /grafana").isEmpty();
            smoke.assertCleanLogs(server);
        }
    }

    private static List<String> findLeaks(DistributionServer server) throws Exception {
        RawHttp.Response r = server.exchange(RawHttp.get("/manager/text/findleaks?statusLine=true", server.managerAuthorization()));
        assertThat(r.status()).as(r.bodyText()).isEqualTo(200);
        return r.bodyText().lines().map(String::strip).filter(l -> !l.isEmpty()).collect(Collectors.toList());
    }
}
