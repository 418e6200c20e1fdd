package dev.grafanaproxy.benchmarks;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/** The workloads wrk and hey cannot express: idle streams, isolation, and a long sequential stream. */
final class Clients {

    private Clients() {
    }

    /** Open {@code n} event-stream requests at once; how many got their first event within the time. */
    static final class IdleStreams implements AutoCloseable {
        private final List<SocketChannel> channels = new ArrayList<>();
        private final Selector selector;
        final int opened;
        final int receiving;

        IdleStreams(int port, String path, String cookie, int n, Duration within) throws IOException {
            selector = Selector.open();
            byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nAccept: text/event-stream\r\n"
                    + (cookie == null ? "" : "Cookie: " + cookie + "\r\n") + "\r\n").getBytes(StandardCharsets.US_ASCII);
            int open = 0;
            for (int i = 0; i < n; i++) {
                try {
                    SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
                    ch.write(ByteBuffer.wrap(request));
                    ch.configureBlocking(false);
                    ch.register(selector, SelectionKey.OP_READ, new StringBuilder());
                    channels.add(ch);
                    open++;
                } catch (IOException e) {
                    break; // out of descriptors or refused: counted by what did open
                }
            }
            opened = open;
            int got = 0;
            long deadline = System.nanoTime() + within.toNanos();
            ByteBuffer buf = ByteBuffer.allocate(4096);
            while (got < open && System.nanoTime() < deadline) {
                selector.select(200);
                for (SelectionKey key : selector.selectedKeys()) {
                    buf.clear();
                    int r = ((SocketChannel) key.channel()).read(buf);
                    StringBuilder seen = (StringBuilder) key.attachment();
                    if (r > 0) {
                        seen.append(new String(buf.array(), 0, r, StandardCharsets.ISO_8859_1));
                    }
                    if (seen.indexOf("data: hello") >= 0 && seen.indexOf(" 200 ") > 0) {
                        got++;
                        key.cancel();
                    } else if (r < 0) {
                        key.cancel();
                    }
                }
                selector.selectedKeys().clear();
            }
            receiving = got;
        }

        @Override
        public void close() throws IOException {
            for (SocketChannel ch : channels) {
                ch.close();
            }
            selector.close();
        }
    }

    /** Slow requests flooding a container with few request threads, while the host app's page is probed. */
    record Isolation(int slowOk, int slowFailed, double slowSeconds, int probes, int probeFailures, double probeP99,
            double probeMax) {
    }

    static Isolation isolation(int port, String slowPath, String cookie, int concurrent, Duration probeEvery)
            throws InterruptedException {
        HttpClient slowClient = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        HttpClient probeClient = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        HttpRequest slow = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + slowPath))
                .header("Cookie", cookie).timeout(Duration.ofSeconds(60)).build();
        HttpRequest probe = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                .timeout(Duration.ofSeconds(10)).build();
        // one probe first, so that the probe's connection exists before the flood
        probeOnce(probeClient, probe);
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        long start = System.nanoTime();
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (int i = 0; i < concurrent; i++) {
            all.add(slowClient.sendAsync(slow, HttpResponse.BodyHandlers.ofString()).handle((r, e) -> {
                if (e == null && r.statusCode() == 200 && r.body().contains("slow")) {
                    ok.incrementAndGet();
                } else {
                    failed.incrementAndGet();
                }
                return null;
            }));
        }
        CompletableFuture<Void> done = CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
        List<Double> latencies = new ArrayList<>();
        int probeFailures = 0;
        while (!done.isDone()) {
            long t0 = System.nanoTime();
            double ms = probeOnce(probeClient, probe);
            if (ms < 0) {
                probeFailures++;
            } else {
                latencies.add(ms);
            }
            long sleep = probeEvery.toMillis() - (System.nanoTime() - t0) / 1_000_000;
            if (sleep > 0) {
                Thread.sleep(sleep);
            }
        }
        double slowSeconds = (System.nanoTime() - start) / 1e9;
        Collections.sort(latencies);
        double p99 = latencies.isEmpty() ? Double.NaN
                : latencies.get(Math.min(latencies.size() - 1, (int) Math.ceil(latencies.size() * 0.99) - 1));
        double max = latencies.isEmpty() ? Double.NaN : latencies.get(latencies.size() - 1);
        return new Isolation(ok.get(), failed.get(), slowSeconds, latencies.size() + probeFailures, probeFailures,
                p99, max);
    }

    /** Milliseconds for one probe of the host page, or -1 if it failed. */
    private static double probeOnce(HttpClient client, HttpRequest probe) {
        long t0 = System.nanoTime();
        try {
            HttpResponse<String> r = client.send(probe, HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 && r.body().contains("Host app") ? (System.nanoTime() - t0) / 1e6 : -1;
        } catch (IOException | InterruptedException e) {
            return -1;
        }
    }

    /** GETs {@code url} {@code times} times in a row on one connection, discarding; the bytes received. */
    /**
     * One GET that must answer 200 with exactly {@code length} bytes: a system that answers
     * something else (an error page is fast) is reported as failed, never measured.
     */
    static void check(String url, String cookie, long length) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest req = HttpRequest.newBuilder(URI.create(url)).header("Cookie", cookie)
                .timeout(Duration.ofSeconds(10)).build();
        HttpResponse<byte[]> r = client.send(req, HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200 || r.body().length != length) {
            throw new IOException(url + " answered " + r.statusCode() + " with " + r.body().length
                    + " bytes instead of 200 with " + length);
        }
    }

    static long stream(String url, String cookie, int times) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest req = HttpRequest.newBuilder(URI.create(url)).header("Cookie", cookie)
                .timeout(Duration.ofSeconds(30)).build();
        long total = 0;
        for (int i = 0; i < times; i++) {
            HttpResponse<java.io.InputStream> r = client.send(req, HttpResponse.BodyHandlers.ofInputStream());
            try (java.io.InputStream in = r.body()) {
                byte[] buf = new byte[64 * 1024];
                for (int n; (n = in.read(buf)) >= 0;) {
                    total += n;
                }
            }
            if (r.statusCode() != 200) {
                throw new IOException(url + " answered " + r.statusCode());
            }
        }
        return total;
    }
}
