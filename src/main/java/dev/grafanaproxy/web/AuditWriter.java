package dev.grafanaproxy.web;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Writes audit lines from one background thread, {@value #THREAD_NAME}, so a request thread only
 * formats its line and puts it in a bounded queue: it never waits for the logging set-up (SLF4J's
 * JUL binding walks the caller's stack for every record, and JUL's console handler is synchronized
 * and flushes each one). Lines are written in the order they were queued. When the queue is full
 * the line is dropped and counted ({@link #dropped()}), and one WARN on the filter's logger reports
 * the drops at most every 10 s.
 * <p>
 * The thread starts with the first line, and {@link #close()} (the filter's destroy) writes what
 * is queued, waiting at most about 2 s, and returns once the thread has ended. A line offered after
 * that is written on the caller's thread.
 */
final class AuditWriter implements AutoCloseable {
    static final String THREAD_NAME = "grafana-proxy-audit";
    static final int CAPACITY = 65_536;
    private static final Logger AUDIT = LoggerFactory.getLogger(AuditLog.LOGGER);
    private static final Logger LOG = LoggerFactory.getLogger(AuthFilter.class);
    private static final int BATCH = 1024;
    private static final long WARN_INTERVAL = TimeUnit.SECONDS.toNanos(10);
    private static final long CLOSE_WAIT_MILLIS = 2000;
    /** Wakes the thread on close; compared by identity, never written. */
    private static final String WAKE_UP = new String("");

    private final BlockingQueue<String> queue;
    private final Consumer<String> sink;
    private final Consumer<String> warn;
    private final LongSupplier nanoTime;
    private final AtomicLong dropped = new AtomicLong();
    private final Object lock = new Object();
    private volatile Thread thread; // set once, under lock
    private volatile boolean closed;
    private volatile boolean abandoned;
    // the writer thread's own
    private volatile long reported; // read by close() once the thread is given up
    private long lastWarning;

    AuditWriter() {
        this(CAPACITY, sink(), LOG::warn, System::nanoTime);
    }

    /**
     * Where lines go: the audit logger. When SLF4J is bound to JUL (the binding the WAR bundles),
     * straight to the same JUL logger with the source named, as the binding would have named it
     * ({@code AuditWriter writeOne}): the binding finds the source by walking the stack for every
     * line, which was most of the writer's cost.
     */
    private static Consumer<String> sink() {
        if ("org.slf4j.jul.JDK14LoggerAdapter".equals(AUDIT.getClass().getName())) {
            java.util.logging.Logger jul = java.util.logging.Logger.getLogger(AuditLog.LOGGER);
            String source = AuditWriter.class.getName();
            return line -> jul.logp(java.util.logging.Level.INFO, source, "writeOne", line);
        }
        return AUDIT::info;
    }

    /**
     * @param sink     writes one line (on the writer's thread, or the caller's after close)
     * @param warn     receives the "fell behind" warnings
     * @param nanoTime the clock for the warnings' interval
     */
    AuditWriter(int capacity, Consumer<String> sink, Consumer<String> warn, LongSupplier nanoTime) {
        // separate locks for offering and taking: request threads do not wait while the writer drains
        this.queue = new LinkedBlockingQueue<>(capacity);
        this.sink = sink;
        this.warn = warn;
        this.nanoTime = nanoTime;
        this.lastWarning = nanoTime.getAsLong() - WARN_INTERVAL;
    }

    /** Queues a line for writing, or drops and counts it when the queue is full. Never blocks. */
    void write(String line) {
        if (closed) {
            sink.accept(line);
            return;
        }
        if (thread == null) {
            start();
        }
        if (!queue.offer(line)) {
            dropped.incrementAndGet();
        } else if (closed) {
            // close() began meanwhile: the writer may have ended already, so leave nothing behind
            writeLeftovers();
        }
    }

    /** Lines dropped because the queue was full, since start-up. */
    long dropped() {
        return dropped.get();
    }

    private void start() {
        synchronized (lock) {
            if (thread != null || closed) {
                return;
            }
            // no inherited thread-locals: the first caller is a container thread
            Thread t = new Thread(null, this::run, THREAD_NAME, 0, false);
            t.setDaemon(true);
            t.start();
            thread = t;
        }
    }

    private void run() {
        List<String> batch = new ArrayList<>(BATCH);
        try {
            while (!(closed && queue.isEmpty()) && !abandoned) {
                String first;
                try {
                    first = next();
                } catch (InterruptedException e) {
                    continue; // only close() interrupts, once it has given up: the loop's condition ends it
                }
                if (first == null) {
                    warnIfDropped(false);
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, BATCH - 1);
                for (int i = 0; i < batch.size(); i++) {
                    if (abandoned) {
                        dropped.addAndGet(countLines(batch.subList(i, batch.size())));
                        break;
                    }
                    if (batch.get(i) != WAKE_UP) {
                        writeOne(batch.get(i));
                    }
                }
                batch.clear();
                if (!abandoned) {
                    warnIfDropped(false);
                }
            }
        } finally {
            if (!abandoned) {
                warnIfDropped(true); // close() reports for an abandoned writer
            }
        }
    }

    /** The next line; waits no longer than the next warning is due, so pending drops get reported. */
    private String next() throws InterruptedException {
        if (dropped.get() == reported) {
            return queue.take();
        }
        long due = lastWarning + WARN_INTERVAL - nanoTime.getAsLong();
        return due <= 0 ? queue.poll() : queue.poll(due, TimeUnit.NANOSECONDS);
    }

    private void writeOne(String line) {
        try {
            sink.accept(line);
        } catch (RuntimeException | LinkageError e) {
            // a broken handler must not end the writer: the queue would fill up and drop everything
            LOG.debug("writing an audit line", e);
        }
    }

    private void warnIfDropped(boolean last) {
        long total = dropped.get();
        long now = nanoTime.getAsLong();
        if (total != reported && (last || now - lastWarning >= WARN_INTERVAL)) {
            warn.accept("audit log fell behind: " + (total - reported) + " lines dropped");
            reported = total;
            lastWarning = now;
        }
    }

    /**
     * Writes what is queued and ends the thread: waits up to about 2 s for it, then drops (and
     * counts) whatever is left so undeploy is not held up by a stuck log handler.
     */
    @Override
    public void close() {
        Thread t;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            t = thread;
        }
        if (t == null) {
            writeLeftovers();
            return;
        }
        queue.offer(WAKE_UP); // if the queue is full the thread is busy and sees the flag anyway
        try {
            t.join(CLOSE_WAIT_MILLIS);
            if (t.isAlive()) {
                abandoned = true;
                t.interrupt();
                t.join(500);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (abandoned) {
            List<String> left = new ArrayList<>();
            queue.drainTo(left);
            long unreported = dropped.addAndGet(countLines(left)) - reported;
            if (unreported > 0) {
                warn.accept("audit log fell behind: " + unreported + " lines dropped (the log handler did not finish within "
                        + CLOSE_WAIT_MILLIS + " ms of undeploy)");
            }
        } else {
            writeLeftovers();
        }
    }

    private static long countLines(List<String> lines) {
        return lines.stream().filter(l -> l != WAKE_UP).count();
    }

    /** On the caller's thread, after close: lines that raced with it. */
    private void writeLeftovers() {
        for (String line; (line = queue.poll()) != null; ) {
            if (line != WAKE_UP) {
                writeOne(line);
            }
        }
    }
}
