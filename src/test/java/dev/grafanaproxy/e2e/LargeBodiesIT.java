package dev.grafanaproxy.e2e;

import dev.grafanaproxy.testsupport.Containers;
import dev.grafanaproxy.testsupport.GrafanaStandIn;
import dev.grafanaproxy.testsupport.RawHttp;
import dev.grafanaproxy.testsupport.ServletContainer;
import dev.grafanaproxy.testsupport.TestData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bodies of any size stream through in constant memory. Runs in its own failsafe execution with
 * {@code -Xmx160m} for the whole JVM (both servers, the stand-in and the client), so a proxy that
 * held a 500 MB body would fail with OutOfMemoryError. Prints throughput through the proxy next
 * to direct to the stand-in, measured in the same run, and the peak heap:
 * {@code mvn verify -Dit.test=LargeBodiesIT -Dtest=skip -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class LargeBodiesIT {
    private static final long UPLOAD = 100L * 1024 * 1024;
    private static final long DOWNLOAD = 500L * 1024 * 1024;

    private static GrafanaStandIn grafana;

    @BeforeAll
    static void start() throws Exception {
        grafana = new GrafanaStandIn().start();
    }

    @AfterAll
    static void stop() {
        grafana.close();
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void a100MbUploadAndA500MbDownloadPassWithIdenticalDigestsInBoundedHeap(Containers kind) throws Exception {
        try (ServletContainer c = kind.builder()
                .contextParam("grafana.url", grafana.baseUrl())
                .contextParam("jwt.secret", E2E.SECRET)
                .contextParam("public_paths", "/*")
                .start();
             HeapWatch heap = new HeapWatch()) {
            assertThat(c.isWebappAvailable()).as(c.logText()).isTrue();
            String uploadSha = TestData.sha256(UPLOAD);
            String downloadSha = TestData.sha256(DOWNLOAD);

            // warm both paths a little so the figures compare steady states
            upload(grafana.port(), "/upload", 8L << 20);
            upload(c.port(), "/grafana/upload", 8L << 20);

            long t0 = System.nanoTime();
            String directUp = upload(grafana.port(), "/upload", UPLOAD);
            long t1 = System.nanoTime();
            String proxiedUp = upload(c.port(), "/grafana/upload", UPLOAD);
            long t2 = System.nanoTime();
            assertThat(directUp).contains(uploadSha);
            assertThat(proxiedUp).contains(uploadSha).contains("\"length\":" + UPLOAD);

            heap.reset();
            long t3 = System.nanoTime();
            String direct = download(grafana.port(), "/large?bytes=" + DOWNLOAD);
            long t4 = System.nanoTime();
            String proxied = download(c.port(), "/grafana/large?bytes=" + DOWNLOAD);
            long t5 = System.nanoTime();
            assertThat(direct).isEqualTo(downloadSha);
            assertThat(proxied).isEqualTo(downloadSha);

            double upDirect = mbps(UPLOAD, t1 - t0);
            double upProxy = mbps(UPLOAD, t2 - t1);
            double downDirect = mbps(DOWNLOAD, t4 - t3);
            double downProxy = mbps(DOWNLOAD, t5 - t4);
            System.out.printf("%n[large-bodies] %s: upload 100 MB proxy %.0f MB/s vs direct %.0f MB/s (%.2fx);"
                            + " download 500 MB proxy %.0f MB/s vs direct %.0f MB/s (%.2fx); peak heap used %d MB of max %d MB%n",
                    kind, upProxy, upDirect, upProxy / upDirect, downProxy, downDirect, downProxy / downDirect,
                    heap.peak() >> 20, Runtime.getRuntime().maxMemory() >> 20);
            if (Runtime.getRuntime().maxMemory() <= 256L << 20) { // only meaningful in the small-heap execution
                assertThat(heap.peak()).as("heap stays far below the body size").isLessThan(DOWNLOAD / 4);
            }
        }
    }

    private static String upload(int port, String path, long length) throws Exception {
        try (RawHttp c = RawHttp.connect("127.0.0.1", port, Duration.ofSeconds(60))) {
            c.send(RawHttp.request("POST", path, "Content-Type: application/octet-stream", "Content-Length: " + length));
            c.send(TestData.stream(length));
            RawHttp.Response r = c.readResponse();
            assertThat(r.status()).isEqualTo(200);
            return r.bodyText();
        }
    }

    private static String download(int port, String path) throws Exception {
        try (RawHttp c = RawHttp.connect("127.0.0.1", port, Duration.ofSeconds(60))) {
            c.send(RawHttp.get(path));
            RawHttp.StreamingResponse s = c.readResponseHead();
            assertThat(s.status()).isEqualTo(200);
            String sha = TestData.sha256(s.body());
            assertThat(s.complete()).isTrue();
            return sha;
        }
    }

    private static double mbps(long bytes, long nanos) {
        return bytes / 1048576.0 / (nanos / 1e9);
    }

    /** Samples used heap every 20 ms; reports the peak. */
    private static final class HeapWatch implements AutoCloseable {
        private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        private final AtomicLong peak = new AtomicLong();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        HeapWatch() {
            thread = new Thread(() -> {
                while (running.get()) {
                    peak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "heap-watch");
            thread.setDaemon(true);
            thread.start();
        }

        void reset() {
            System.gc();
            peak.set(0);
        }

        long peak() {
            return peak.get();
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(1000);
        }
    }
}
