package dev.grafanaproxy.e2e;

import dev.grafanaproxy.testsupport.Containers;
import dev.grafanaproxy.testsupport.GrafanaStandIn;
import dev.grafanaproxy.testsupport.RawHttp;
import dev.grafanaproxy.testsupport.ServletContainer;
import dev.grafanaproxy.testsupport.WsClient;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * 200 Live connections held open at once through a container limited to 20 request threads, each
 * exchanging messages, while another servlet keeps answering at once. Prints the time to open them
 * and the message throughput (1 KiB echoes, 200 connections x 50 messages in flight) through the
 * proxy next to direct to the stand-in, measured in the same run:
 * {@code mvn verify -Dit.test=WebSocketLoadIT -Dtest=skip -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class WebSocketLoadIT {
    private static final int CONNECTIONS = 200;
    private static final int MESSAGES = 50;

    @ParameterizedTest
    @EnumSource(Containers.class)
    void twoHundredLiveConnectionsOnTwentyRequestThreads(Containers kind) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(32);
        try (GrafanaStandIn grafana = new GrafanaStandIn().start();
             ServletContainer c = kind.builder()
                     .contextParam("grafana.url", grafana.baseUrl())
                     .contextParam("jwt.secret", E2E.SECRET)
                     .contextParam("jwt.cookie_name", "app_session")
                     .contextParam("grafana.headers_encoded", "true")
                     .maxThreads(20)
                     .start()) {
            assertThat(c.isWebappAvailable()).as(c.logText()).isTrue();
            Map<String, String> headers = Map.of("Cookie", "app_session=" + WebSocketIT.token(Duration.ofMinutes(10)),
                    "Origin", "http://app.example.com");
            URI viaProxy = URI.create("ws://127.0.0.1:" + c.port() + "/grafana/api/live/ws");
            URI direct = URI.create("ws://127.0.0.1:" + grafana.port() + "/grafana/api/live/ws");

            long t0 = System.nanoTime();
            List<WsClient> proxied = open(pool, viaProxy, headers);
            long openProxy = System.nanoTime() - t0;
            assertThat(grafana.live().awaitOpenSessions(CONNECTIONS, Duration.ofSeconds(10)))
                    .as("all %d held open at Grafana", CONNECTIONS).isTrue();

            long start = System.nanoTime();
            RawHttp.Response ping = RawHttp.exchange(c.port(), RawHttp.get("/ping"));
            assertThat(ping.bodyText()).isEqualTo("pong");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("another servlet answers with 200 relays open")
                    .isLessThan(Duration.ofMillis(500));

            exchange(pool, proxied, 5); // warm-up, and every connection exchanges messages
            long proxyNanos = exchange(pool, proxied, MESSAGES);
            assertThat(grafana.live().openSessions()).isEqualTo(CONNECTIONS);
            proxied.forEach(WsClient::close);
            assertThat(grafana.live().awaitOpenSessions(0, Duration.ofSeconds(10))).isTrue();

            long t1 = System.nanoTime();
            List<WsClient> straight = open(pool, direct, headers);
            long openDirect = System.nanoTime() - t1;
            exchange(pool, straight, 5);
            long directNanos = exchange(pool, straight, MESSAGES);
            straight.forEach(WsClient::close);

            double total = (double) CONNECTIONS * MESSAGES;
            System.out.printf("%n[websocket-load] %s: %d connections held on 20 request threads; opening them took %d ms via proxy"
                            + " vs %d ms direct; echo throughput (1 KiB messages, %d per connection) %.0f msg/s via proxy vs %.0f msg/s"
                            + " direct (%.2fx)%n", kind, CONNECTIONS, openProxy / 1_000_000, openDirect / 1_000_000, MESSAGES,
                    total / (proxyNanos / 1e9), total / (directNanos / 1e9), (double) directNanos / proxyNanos);
        } finally {
            pool.shutdownNow();
        }
    }

    private static List<WsClient> open(ExecutorService pool, URI uri, Map<String, String> headers) throws Exception {
        List<CompletableFuture<WsClient>> futures = new ArrayList<>();
        for (int i = 0; i < CONNECTIONS; i++) {
            futures.add(CompletableFuture.supplyAsync(() -> {
                try {
                    WsClient ws = WsClient.connect(uri, headers, List.of());
                    assertThat(ws.next(Duration.ofSeconds(30)).type()).isEqualTo("TEXT"); // hello
                    return ws;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, pool));
        }
        List<WsClient> clients = new ArrayList<>();
        for (CompletableFuture<WsClient> f : futures) {
            clients.add(f.join());
        }
        return clients;
    }

    /** Every connection sends {@code n} 1 KiB messages back to back and reads the n echoes; returns the time taken. */
    private static long exchange(ExecutorService pool, List<WsClient> clients, int n) {
        String payload = "x".repeat(1024 - 8);
        long start = System.nanoTime();
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (int i = 0; i < clients.size(); i++) {
            WsClient ws = clients.get(i);
            int id = i;
            all.add(CompletableFuture.runAsync(() -> {
                try {
                    for (int k = 0; k < n; k++) {
                        ws.socket().sendText(String.format("%03d%04d", id % 1000, k) + payload, true).join();
                    }
                    for (int k = 0; k < n; k++) {
                        WsClient.Event e = ws.next(Duration.ofSeconds(60));
                        assertThat(e.text()).startsWith(String.format("%03d%04d", id % 1000, k));
                    }
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }, pool));
        }
        all.forEach(CompletableFuture::join);
        return System.nanoTime() - start;
    }
}
