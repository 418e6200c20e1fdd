package dev.grafanaproxy.e2e;

import dev.grafanaproxy.testsupport.Containers;
import dev.grafanaproxy.testsupport.GrafanaStandIn;
import dev.grafanaproxy.testsupport.ServletContainer;
import dev.grafanaproxy.testsupport.TestData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client that stops reading while Grafana streams as fast as it can must not make the proxy
 * queue the stream: the relay stops reading from Grafana, so Grafana's writes stall after what the
 * sockets buffer, and the heap does not grow. Runs with the large-bodies execution, whose whole JVM
 * has {@code -Xmx160m}: the 192 MiB stream could not be held. When the client reads again, every
 * byte arrives in order.
 */
class WebSocketSlowClientIT {
    private static final int MESSAGES = 3000;
    private static final int SIZE = 64 * 1024;

    @ParameterizedTest
    @EnumSource(Containers.class)
    void aSlowReadingClientStallsGrafanaInsteadOfGrowingTheHeap(Containers kind) throws Exception {
        try (GrafanaStandIn grafana = new GrafanaStandIn().start();
             ServletContainer c = kind.builder()
                     .contextParam("grafana.url", grafana.baseUrl())
                     .contextParam("jwt.secret", E2E.SECRET)
                     .contextParam("jwt.cookie_name", "app_session")
                     .contextParam("grafana.headers_encoded", "true")
                     .start()) {
            assertThat(c.isWebappAvailable()).as(c.logText()).isTrue();
            var memory = ManagementFactory.getMemoryMXBean();
            System.gc();
            long before = memory.getHeapMemoryUsage().getUsed();

            Reader reader = new Reader();
            WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
                    .header("Cookie", "app_session=" + WebSocketIT.token(Duration.ofMinutes(10)))
                    .buildAsync(URI.create("ws://127.0.0.1:" + c.port() + "/grafana/api/live/ws?flood=" + MESSAGES + "&size=" + SIZE),
                            reader)
                    .get(30, TimeUnit.SECONDS);
            reader.hello.get(10, TimeUnit.SECONDS);

            // the client reads nothing more: Grafana's writes must stall
            long sent;
            long previous = -1;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                Thread.sleep(1000);
                sent = grafana.live().floodSent();
                if (sent == previous || System.nanoTime() > deadline) {
                    break;
                }
                previous = sent;
            }
            System.gc();
            long after = memory.getHeapMemoryUsage().getUsed();
            System.out.printf("%n[websocket-slow-client] %s: Grafana stalled after %d of %d messages (%d MiB of %d MiB);"
                            + " heap used %d MiB before, %d MiB while stalled (max %d MiB)%n", kind, sent, MESSAGES,
                    sent * SIZE >> 20, (long) MESSAGES * SIZE >> 20, before >> 20, after >> 20,
                    Runtime.getRuntime().maxMemory() >> 20);
            assertThat(sent).as("Grafana's writes stall").isLessThan(MESSAGES);
            assertThat(sent * SIZE).as("only socket buffers hold the stream").isLessThan(64L << 20);
            assertThat(after - before).as("the heap does not grow with the stream").isLessThan(48L << 20);

            // reading again: everything arrives, in order
            ws.request(Long.MAX_VALUE);
            reader.done.get(120, TimeUnit.SECONDS);
            assertThat(reader.bytes.get()).isEqualTo((long) MESSAGES * SIZE);
            assertThat(reader.sha256()).isEqualTo(TestData.sha256((long) MESSAGES * SIZE));
            ws.abort();
        }
    }

    /** Reads the hello, then the flood only as far as demanded, hashing instead of keeping it. */
    private static final class Reader implements WebSocket.Listener {
        final CompletableFuture<Void> hello = new CompletableFuture<>();
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final AtomicLong bytes = new AtomicLong();
        private final MessageDigest sha = TestData.newSha256();
        private String digest;

        @Override
        public void onOpen(WebSocket webSocket) {
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            if (last) {
                hello.complete(null);
            }
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            bytes.addAndGet(data.remaining());
            sha.update(data);
            if (bytes.get() == (long) MESSAGES * SIZE) {
                digest = HexFormat.of().formatHex(sha.digest());
                done.complete(null);
            }
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            done.completeExceptionally(error);
        }

        String sha256() {
            return digest;
        }
    }
}
