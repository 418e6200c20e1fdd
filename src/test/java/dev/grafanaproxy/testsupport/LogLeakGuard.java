package dev.grafanaproxy.testsupport;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Registered for every test class of the suite (JUnit extension auto-detection, see
 * {@code META-INF/services/org.junit.jupiter.api.extension.Extension}): records every
 * {@code java.util.logging} line of the JVM (both containers and the web app log there) while a test
 * class runs, and fails the class if any line holds a token or secret that {@link TestKeys} issued,
 * whole or as its signature part.
 */
public final class LogLeakGuard implements BeforeAllCallback, AfterAllCallback {
    private static final List<String> LINES = new ArrayList<>();
    private static final SimpleFormatter FORMAT = new SimpleFormatter();
    private static final Handler HANDLER = new Handler() {
        @Override
        public void publish(LogRecord record) {
            String line;
            try {
                line = FORMAT.format(record);
            } catch (RuntimeException e) {
                line = String.valueOf(record.getMessage());
            }
            synchronized (LINES) {
                LINES.add(line);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    static {
        Logger.getLogger("").addHandler(HANDLER);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        synchronized (LINES) {
            LINES.clear();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        List<String> lines;
        synchronized (LINES) {
            lines = new ArrayList<>(LINES);
            LINES.clear();
        }
        for (String secret : TestKeys.ISSUED) {
            String[] parts = secret.split("\\.");
            String signature = parts.length == 3 && parts[2].length() >= 16 ? parts[2] : null;
            for (String line : lines) {
                if (line.contains(secret) || (signature != null && line.contains(signature))) {
                    throw new AssertionError("a token or secret issued by TestKeys appears in a log line of "
                            + context.getDisplayName() + ": " + line.replace(secret, "<REDACTED>"));
                }
            }
        }
    }
}
