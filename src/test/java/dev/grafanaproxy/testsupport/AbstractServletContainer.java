package dev.grafanaproxy.testsupport;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.stream.Stream;

/** What both embedded containers share: temp directory, log capture, app log level. */
abstract class AbstractServletContainer implements ServletContainer {

    private static final String APP_LOGGER = "dev.grafanaproxy";

    protected final Settings settings;
    private final LogCapture logs = new LogCapture();
    private Path baseDir;
    private Logger appLogger; // strong reference: JUL forgets the level of unreferenced loggers
    private Level previousAppLevel;
    private boolean running;

    AbstractServletContainer(Settings settings) {
        this.settings = settings;
    }

    @Override
    public Settings settings() {
        return settings;
    }

    @Override
    public Containers kind() {
        return settings.kind();
    }

    @Override
    public final synchronized ServletContainer start() throws Exception {
        if (running) {
            return this;
        }
        if (baseDir == null) {
            baseDir = Files.createTempDirectory("grafana-proxy-" + kind().name().toLowerCase() + "-");
        }
        appLogger = Logger.getLogger(APP_LOGGER);
        previousAppLevel = appLogger.getLevel();
        appLogger.setLevel(settings.appLogLevel());
        logs.install();
        running = true;
        try {
            doStart(baseDir);
        } catch (Exception | Error e) {
            stop();
            throw e;
        }
        return this;
    }

    @Override
    public final synchronized void stop() throws Exception {
        if (!running) {
            return;
        }
        running = false;
        try {
            doStop();
        } finally {
            logs.uninstall();
            appLogger.setLevel(previousAppLevel);
        }
    }

    @Override
    public final synchronized void close() {
        try {
            stop();
        } catch (Exception e) {
            throw new IllegalStateException(kind() + " failed to stop", e);
        } finally {
            if (baseDir != null) {
                deleteTree(baseDir);
                baseDir = null;
            }
        }
    }

    @Override
    public List<String> logLines() {
        return logs.lines();
    }

    @Override
    public void clearLogLines() {
        logs.clear();
    }

    /** Starts the server with its working files under {@code baseDir}. */
    protected abstract void doStart(Path baseDir) throws Exception;

    /** Stops the server. */
    protected abstract void doStop() throws Exception;

    @Override
    public String toString() {
        return kind() + "[" + (running ? baseUrl() + settings.contextPath() : "stopped") + "]";
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A JUL handler on the root logger keeping every record as one formatted string. */
    private static final class LogCapture extends Handler {
        private final List<String> lines = new ArrayList<>();
        private final SimpleFormatter messageFormatter = new SimpleFormatter();

        LogCapture() {
            setLevel(Level.ALL);
        }

        void install() {
            Logger.getLogger("").addHandler(this);
        }

        void uninstall() {
            Logger.getLogger("").removeHandler(this);
        }

        @Override
        public void publish(LogRecord r) {
            if (!isLoggable(r)) {
                return;
            }
            StringBuilder sb = new StringBuilder().append(r.getLevel()).append(' ').append(r.getLoggerName()).append(": ")
                    .append(messageFormatter.formatMessage(r));
            if (r.getThrown() != null) {
                StringWriter sw = new StringWriter();
                r.getThrown().printStackTrace(new PrintWriter(sw));
                sb.append('\n').append(sw);
            }
            synchronized (lines) {
                lines.add(sb.toString());
            }
        }

        List<String> lines() {
            synchronized (lines) {
                return List.copyOf(lines);
            }
        }

        void clear() {
            synchronized (lines) {
                lines.clear();
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
