package dev.grafanaproxy.web;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The audit writer's queue, thread and shutdown, driven by a sink that holds the thread back on demand. */
class AuditWriterTest {
    private final List<String> written = new CopyOnWriteArrayList<>();
    private final List<String> warnings = new CopyOnWriteArrayList<>();
    private final AtomicLong clock = new AtomicLong();
    private final List<AuditWriter> writers = new ArrayList<>();

    @AfterEach
    void closeAll() {
        writers.forEach(AuditWriter::close);
    }

    private AuditWriter writer(int capacity, Consumer<String> sink) {
        AuditWriter w = new AuditWriter(capacity, sink, warnings::add, clock::get);
        writers.add(w);
        return w;
    }

    /**
     * With the bundled SLF4J binding, lines go to the JUL logger {@code grafana.proxy.audit} at INFO,
     * naming the source as the binding did, and that logger's level still decides.
     */
    @Test
    void theDefaultSinkIsTheJulAuditLoggerAtInfoWithItsSourceNamed() {
        java.util.logging.Logger jul = java.util.logging.Logger.getLogger(AuditLog.LOGGER);
        List<java.util.logging.LogRecord> records = new CopyOnWriteArrayList<>();
        java.util.logging.Handler handler = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                records.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Level before = jul.getLevel();
        jul.addHandler(handler);
        try {
            AuditWriter w = new AuditWriter();
            writers.add(w);
            w.write("outcome=ok user=alice");
            w.close();
            assertThat(records).hasSize(1);
            java.util.logging.LogRecord r = records.get(0);
            assertThat(r.getLevel()).isEqualTo(java.util.logging.Level.INFO);
            assertThat(r.getLoggerName()).isEqualTo("grafana.proxy.audit");
            assertThat(r.getMessage()).isEqualTo("outcome=ok user=alice");
            assertThat(r.getSourceClassName()).isEqualTo(AuditWriter.class.getName());
            assertThat(r.getSourceMethodName()).isEqualTo("writeOne");

            jul.setLevel(java.util.logging.Level.WARNING);
            AuditWriter quiet = new AuditWriter();
            writers.add(quiet);
            quiet.write("outcome=ok user=bob");
            quiet.close();
            assertThat(records).as("below the logger's level nothing is written").hasSize(1);
        } finally {
            jul.removeHandler(handler);
            jul.setLevel(before);
        }
    }

    @Test
    void linesAreWrittenInOrderByOneBackgroundThreadAndCloseWaitsForThem() {
        List<String> threads = new CopyOnWriteArrayList<>();
        AuditWriter w = writer(AuditWriter.CAPACITY, line -> {
            threads.add(Thread.currentThread().getName());
            written.add(line);
        });
        List<String> lines = IntStream.range(0, 10_000).mapToObj(i -> "line " + i).collect(Collectors.toList());
        lines.forEach(w::write);

        w.close();

        assertThat(written).containsExactlyElementsOf(lines);
        assertThat(threads).containsOnly(AuditWriter.THREAD_NAME);
        assertThat(writerThreads()).as("the writer's thread has ended when close() returns").isEmpty();
        assertThat(w.dropped()).isZero();
        assertThat(warnings).isEmpty();
    }

    @Test
    void aFullQueueDropsAndCountsAndOneWarningReportsIt() throws Exception {
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AuditWriter w = writer(3, line -> {
            if (line.equals("first")) {
                holding.countDown();
                await(release);
            }
            written.add(line);
        });
        w.write("first");
        assertThat(holding.await(10, TimeUnit.SECONDS)).as("the writer took the first line").isTrue();
        // the thread is held inside the sink: the queue (3) fills up
        w.write("a");
        w.write("b");
        w.write("c");
        w.write("lost 1");
        w.write("lost 2");
        assertThat(w.dropped()).isEqualTo(2);
        assertThat(warnings).isEmpty();

        release.countDown();
        w.close();

        assertThat(written).containsExactly("first", "a", "b", "c");
        assertThat(warnings).containsExactly("audit log fell behind: 2 lines dropped");
        assertThat(writerThreads()).isEmpty();
    }

    @Test
    void theWarningComesAtMostEveryTenSecondsAndCloseReportsWhatIsLeft() throws Exception {
        CountDownLatch[] release = {new CountDownLatch(1)};
        CountDownLatch[] holding = {new CountDownLatch(1)};
        AuditWriter w = writer(1, line -> {
            if (line.startsWith("hold")) {
                CountDownLatch mine = release[0]; // before the test may swap it
                holding[0].countDown();
                await(mine);
            }
            written.add(line);
        });
        fillAndDrop(w, holding[0], "hold 1", 3);
        CountDownLatch firstRelease = release[0];
        holding[0] = new CountDownLatch(1);
        release[0] = new CountDownLatch(1);
        firstRelease.countDown();
        // the first batch of drops is reported as soon as the writer is free again
        awaitWarnings(1);
        assertThat(warnings).containsExactly("audit log fell behind: 3 lines dropped");
        awaitWritten("queued behind hold 1");

        clock.addAndGet(TimeUnit.SECONDS.toNanos(5));
        fillAndDrop(w, holding[0], "hold 2", 2);
        release[0].countDown();
        awaitWritten("queued behind hold 2");
        w.write("after"); // written after the check that follows the held batch
        awaitWritten("after");
        assertThat(warnings).as("only 5 s since the last warning").hasSize(1);
        assertThat(w.dropped()).isEqualTo(5);

        w.close();
        assertThat(warnings).containsExactly("audit log fell behind: 3 lines dropped",
                "audit log fell behind: 2 lines dropped");
        assertThat(writerThreads()).isEmpty();
    }

    @Test
    void aWriterNeverUsedStartsNoThreadAndWritesOnTheCallersThreadAfterClose() {
        AuditWriter w = writer(4, written::add);
        assertThat(writerThreads()).isEmpty();
        w.close();
        w.write("late");
        assertThat(written).containsExactly("late");
        assertThat(writerThreads()).isEmpty();
    }

    @Test
    void closeGivesUpOnAStuckHandlerAndCountsWhatItLeft() {
        CountDownLatch never = new CountDownLatch(1);
        AuditWriter w = writer(8, line -> {
            try {
                never.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        w.write("stuck");
        w.write("queued 1");
        w.write("queued 2");
        long start = System.nanoTime();
        w.close();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(5_000);
        assertThat(writerThreads()).as("interrupted out of the stuck handler").isEmpty();
        assertThat(w.dropped()).isEqualTo(2);
        assertThat(warnings).containsExactly(
                "audit log fell behind: 2 lines dropped (the log handler did not finish within 2000 ms of undeploy)");
    }

    /** Writes {@code hold} and, while the writer is held in it, fills the queue of capacity 1 and drops {@code drops} lines. */
    private static void fillAndDrop(AuditWriter w, CountDownLatch holding, String hold, int drops) throws Exception {
        w.write(hold);
        assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
        long before = w.dropped();
        w.write("queued behind " + hold);
        for (int i = 0; i < drops; i++) {
            w.write("dropped behind " + hold);
        }
        assertThat(w.dropped() - before).isEqualTo(drops);
    }

    private void awaitWarnings(int n) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (warnings.size() < n && System.nanoTime() < end) {
            Thread.sleep(5);
        }
    }

    private void awaitWritten(String line) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!written.contains(line) && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        assertThat(written).contains(line);
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static List<String> writerThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(AuditWriter.THREAD_NAME::equals).collect(Collectors.toList());
    }
}
