package dev.grafanaproxy.benchmarks;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executors;

/**
 * What a server JVM uses, on a side port so that reading it costs the measured connector nothing.
 * {@code GET /reset} starts a window; {@code GET /stats} reports, since then: the heap's
 * high-water mark (sampled every 5 ms), the largest heap left after a collection (what is really
 * retained), the peak thread count, and the peak RSS ({@code VmHWM}, reset through
 * {@code /proc/self/clear_refs}); plus the current values.
 */
final class ServerStats {

    private static final List<MemoryPoolMXBean> HEAP = ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(p -> p.getType() == MemoryType.HEAP).toList();
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private static volatile long heapPeak;
    private static volatile long liveAfterGcPeak;

    private ServerStats() {
    }

    static void start(int port) throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 16);
        http.setExecutor(Executors.newSingleThreadExecutor(r -> daemon(r, "bench-stats")));
        http.createContext("/reset", ex -> {
            reset();
            respond(ex, "ok\n");
        });
        http.createContext("/gc", ex -> {
            System.gc();
            respond(ex, "ok\n");
        });
        http.createContext("/stats", ex -> respond(ex, stats()));
        http.start();
        Thread sampler = daemon(ServerStats::sample, "bench-heap-sampler");
        sampler.start();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private static void sample() {
        while (true) {
            long used = heapUsed();
            if (used > heapPeak) {
                heapPeak = used;
            }
            long live = liveAfterGc();
            if (live > liveAfterGcPeak) {
                liveAfterGcPeak = live;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static long heapUsed() {
        long sum = 0;
        for (MemoryPoolMXBean p : HEAP) {
            sum += p.getUsage().getUsed();
        }
        return sum;
    }

    /** Old generation after its last collection plus survivors: the heap a collection could not free. */
    private static long liveAfterGc() {
        long sum = 0;
        for (MemoryPoolMXBean p : HEAP) {
            MemoryUsage u = p.getCollectionUsage();
            if (u != null && !p.getName().contains("Eden")) {
                sum += u.getUsed();
            }
        }
        return sum;
    }

    private static synchronized void reset() {
        heapPeak = heapUsed();
        liveAfterGcPeak = liveAfterGc();
        THREADS.resetPeakThreadCount();
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException | RuntimeException e) {
            // not Linux or not allowed: the peak RSS then counts from the JVM's start
        }
    }

    private static String stats() {
        String status = readStatus();
        return "heap_used=" + heapUsed() + "\nheap_peak=" + heapPeak + "\nlive_after_gc_peak=" + liveAfterGcPeak
                + "\nthreads=" + THREADS.getThreadCount() + "\nthreads_peak=" + THREADS.getPeakThreadCount()
                + "\nrss=" + kib(status, "VmRSS:") + "\nrss_peak=" + kib(status, "VmHWM:") + "\n";
    }

    private static String readStatus() {
        try {
            return Files.readString(Path.of("/proc/self/status"));
        } catch (IOException e) {
            return "";
        }
    }

    private static long kib(String status, String field) {
        for (String line : status.split("\n")) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.substring(field.length()).replace("kB", "").trim()) * 1024;
            }
        }
        return -1;
    }

    private static void respond(com.sun.net.httpserver.HttpExchange ex, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(200, b.length);
        ex.getResponseBody().write(b);
        ex.close();
    }
}
