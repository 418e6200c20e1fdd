package dev.grafanaproxy.e2e;

import dev.grafanaproxy.testsupport.Containers;
import dev.grafanaproxy.testsupport.GrafanaStandIn;
import dev.grafanaproxy.testsupport.RawHttp;
import dev.grafanaproxy.testsupport.ServletContainer;
import dev.grafanaproxy.testsupport.TestData;
import dev.grafanaproxy.testsupport.TestKeys;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The proxy under concurrent load. A slow Grafana must not tie up the container's request threads:
 * with 10 request threads, 50 concurrent requests to a 3 s upstream all succeed while another
 * servlet on the same server keeps answering at once. And many uploads at once on keep-alive
 * connections all arrive whole, none hangs.
 */
class ProxyLoadIT {
    /** Upload sizes, cycled through: all above the proxy's 32 KB body buffer and none a multiple of it. */
    private static final int[] UPLOAD_SIZES = {100_003, 250_007, 517_119, 1_048_573};
    private static final int UPLOAD_CONNECTIONS = 8;
    private static final int UPLOADS_PER_CONNECTION = 150;
    /** Each connection stops starting new uploads after this, so a slow machine does not run long. */
    private static final Duration UPLOAD_BUDGET = Duration.ofSeconds(8);
    /** Far more than any healthy run takes: reaching it means an upload hung. */
    private static final Duration UPLOAD_DEADLINE = Duration.ofSeconds(60);

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

    /**
     * Many uploads at once, each larger than the proxy's body buffer, so reading the client's body
     * pauses when the buffer is full and resumes from HttpCore's I/O thread once Grafana has taken
     * it. This once deadlocked on Tomcat (an I/O thread called {@code isReady()} while holding the
     * body's lock, and Tomcat's dispatch lock was held by a container thread waiting for that lock
     * in {@code onAllDataRead}); the stuck I/O thread then hung every exchange on its reactor. So:
     * every upload must arrive whole (the stand-in echoes its length and SHA-256) and answer 200,
     * all within a deadline far above a healthy run. No timing is asserted beyond that.
     */
    @ParameterizedTest
    @EnumSource(Containers.class)
    void concurrentUploadsOnKeepAliveConnectionsAllArriveWholeAndNoneHangs(Containers kind) throws Exception {
        byte[][] bodies = new byte[UPLOAD_SIZES.length][];
        String[] digests = new String[UPLOAD_SIZES.length];
        for (int i = 0; i < UPLOAD_SIZES.length; i++) {
            bodies[i] = TestData.bytes(UPLOAD_SIZES[i]);
            digests[i] = TestData.sha256(bodies[i]);
        }
        String session = "Cookie: app_session=" + TestKeys.jwt().subject("alice").expiresIn(Duration.ofMinutes(10))
                .sign(TestKeys.hmac(E2E.SECRET));
        try (GrafanaStandIn grafana = new GrafanaStandIn().start();
             ServletContainer c = kind.builder()
                     .contextParam("grafana.url", grafana.baseUrl())
                     .contextParam("jwt.secret", E2E.SECRET)
                     .contextParam("jwt.cookie_name", "app_session")
                     .start()) {
            assertThat(c.isWebappAvailable()).as(c.logText()).isTrue();
            Queue<RawHttp> open = new ConcurrentLinkedQueue<>();
            AtomicInteger done = new AtomicInteger();
            long budgetEnd = System.nanoTime() + UPLOAD_BUDGET.toNanos();
            AtomicInteger ids = new AtomicInteger();
            ExecutorService clients = Executors.newFixedThreadPool(UPLOAD_CONNECTIONS,
                    r -> {
                        Thread t = new Thread(r, "upload-client-" + ids.incrementAndGet());
                        t.setDaemon(true); // never keeps the JVM up, whatever hangs
                        return t;
                    });
            long start = System.nanoTime();
            try {
                List<Future<Integer>> connections = new ArrayList<>();
                for (int t = 0; t < UPLOAD_CONNECTIONS; t++) {
                    int first = t;
                    connections.add(clients.submit(() -> {
                        int n = 0;
                        while (n < UPLOADS_PER_CONNECTION && System.nanoTime() < budgetEnd) {
                            // keep-alive until the server closes (Tomcat does after 100 requests)
                            try (RawHttp http = RawHttp.connect("127.0.0.1", c.port(), UPLOAD_DEADLINE)) {
                                open.add(http);
                                boolean keepAlive = true;
                                while (keepAlive && n < UPLOADS_PER_CONNECTION && System.nanoTime() < budgetEnd) {
                                    int k = (first + n) % bodies.length;
                                    http.send(RawHttp.request("POST", "/grafana/upload?c=" + first + "&n=" + n, session,
                                            "Content-Type: application/octet-stream", "Content-Length: " + bodies[k].length));
                                    http.send(bodies[k]);
                                    RawHttp.Response r = http.readResponse();
                                    String what = "upload " + n + " of " + bodies[k].length + " bytes by client " + first;
                                    assertThat(r.status()).as(what).isEqualTo(200);
                                    assertThat(r.bodyText()).as(what)
                                            .contains("\"length\":" + bodies[k].length).contains(digests[k]);
                                    keepAlive = !r.connectionClose();
                                    n++;
                                    done.incrementAndGet();
                                }
                                open.remove(http);
                            }
                        }
                        return n;
                    }));
                }
                clients.shutdown();
                // a lock-order deadlock fails at once; any other hang at the deadline
                ThreadMXBean mx = ManagementFactory.getThreadMXBean();
                long deadline = start + UPLOAD_DEADLINE.toNanos();
                long[] deadlocked = null;
                while (!clients.awaitTermination(200, TimeUnit.MILLISECONDS)
                        && (deadlocked = mx.findDeadlockedThreads()) == null && System.nanoTime() < deadline) {
                    // waiting
                }
                if (!clients.isTerminated()) {
                    String why = deadlocked != null
                            ? "deadlocked after " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms:\n"
                                    + threads(mx.getThreadInfo(deadlocked, true, true))
                            : "no answer within " + UPLOAD_DEADLINE + ":\n" + threads(mx.dumpAllThreads(true, true));
                    open.forEach(ProxyLoadIT::closeQuietly); // unblocks the clients
                    throw new AssertionError(kind + ": uploads hung, " + done.get() + " done, the rest stuck; " + why);
                }
                int total = 0;
                for (Future<Integer> f : connections) {
                    try {
                        total += f.get();
                    } catch (ExecutionException e) {
                        throw e.getCause() instanceof AssertionError a ? a
                                : new AssertionError(kind + ": a client failed", e.getCause());
                    }
                }
                System.out.println(String.format("%n[upload-load] %s: %d uploads by %d clients in %d ms", kind, total,
                        UPLOAD_CONNECTIONS, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)));
                assertThat(total).as("uploads done").isGreaterThanOrEqualTo(UPLOAD_CONNECTIONS);
            } finally {
                clients.shutdownNow();
                open.forEach(ProxyLoadIT::closeQuietly);
            }
        }
    }

    /** The stacks of these threads, but for the test's own clients. */
    private static String threads(ThreadInfo[] infos) {
        StringBuilder sb = new StringBuilder();
        for (ThreadInfo info : infos) {
            if (info != null && !info.getThreadName().startsWith("upload-client-")) {
                sb.append(full(info));
            }
        }
        return sb.toString();
    }

    /** {@link ThreadInfo#toString()} stops after 8 frames; the lock order needs them all. */
    private static String full(ThreadInfo info) {
        StringBuilder sb = new StringBuilder("\"" + info.getThreadName() + "\" " + info.getThreadState());
        if (info.getLockName() != null) {
            sb.append(" on ").append(info.getLockName()).append(" owned by \"").append(info.getLockOwnerName()).append('"');
        }
        sb.append('\n');
        for (StackTraceElement e : info.getStackTrace()) {
            sb.append("\tat ").append(e).append('\n');
        }
        return sb.append('\n').toString();
    }

    private static void closeQuietly(RawHttp http) {
        try {
            http.close();
        } catch (IOException ignored) {
            // only unblocking a client
        }
    }
}
