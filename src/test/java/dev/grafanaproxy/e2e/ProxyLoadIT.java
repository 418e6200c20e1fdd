package dev.grafanaproxy.e2e;

import dev.grafanaproxy.testsupport.Containers;
import dev.grafanaproxy.testsupport.GrafanaStandIn;
import dev.grafanaproxy.testsupport.RawHttp;
import dev.grafanaproxy.testsupport.ServletContainer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A slow Grafana must not tie up the container's request threads: with 10 request threads, 50
 * concurrent requests to a 3 s upstream all succeed while another servlet on the same server
 * keeps answering at once.
 */
class ProxyLoadIT {

    @ParameterizedTest
    @EnumSource(Containers.class)
    void fiftySlowRequestsOnTenThreadsLeaveTheServerResponsive(Containers kind) throws Exception {
        try (GrafanaStandIn grafana = new GrafanaStandIn().start();
             ServletContainer c = kind.builder()
                     .contextParam("grafana.url", grafana.baseUrl())
                     .contextParam("jwt.secret", E2E.SECRET)
                     .contextParam("public_paths", "/*")
                     .maxThreads(10)
                     .start()) {
            assertThat(c.isWebappAvailable()).as(c.logText()).isTrue();
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build();
            List<CompletableFuture<HttpResponse<String>>> slow = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                slow.add(client.sendAsync(HttpRequest.newBuilder(URI.create(c.url("/grafana/slow?ms=3000&i=" + i)))
                        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString()));
            }
            assertThat(grafana.awaitInFlight(50, Duration.ofSeconds(10))).as("all 50 reached Grafana at once").isTrue();

            long start = System.nanoTime();
            RawHttp.Response ping = RawHttp.exchange(c.port(), RawHttp.get("/ping"));
            Duration pingTook = Duration.ofNanos(System.nanoTime() - start);
            assertThat(ping.status()).isEqualTo(200);
            assertThat(ping.bodyText()).isEqualTo("pong");
            assertThat(pingTook).as("another servlet answers while 50 requests wait on Grafana")
                    .isLessThan(Duration.ofMillis(500));

            for (CompletableFuture<HttpResponse<String>> f : slow) {
                HttpResponse<String> r = f.join();
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("slow");
            }
        }
    }
}
