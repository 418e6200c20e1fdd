package dev.grafanaproxy.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Picks up changes to the files the configuration is read from: the {@code config_file}, and the
 * key material in {@code jwt.key_file} and {@code jwt.jwk_set_file}. It polls their content digests
 * (polling works on every file system and catches editors that replace files by renaming, which
 * file-system events often miss), reloads the whole configuration from all sources, and hands it to
 * the {@link ConfigHolder}. A bad change is logged as one line and changes nothing.
 *
 * <p>One daemon thread per web app, stopped by {@link #close()} on undeploy.
 */
public final class ConfigWatcher implements AutoCloseable {
    // java.util.logging: this package uses the JDK only; SLF4J's JUL binding routes the rest there too
    private static final Logger LOG = Logger.getLogger(ConfigWatcher.class.getName());

    private final ConfigHolder holder;
    private final Supplier<ProxyConfig> loader;
    private final ScheduledExecutorService executor;
    private Map<Path, String> digests;

    /**
     * @param loader reads the configuration from all sources again (throws {@link ConfigException})
     */
    public ConfigWatcher(ConfigHolder holder, Supplier<ProxyConfig> loader, Duration interval, String threadName) {
        this.holder = holder;
        this.loader = loader;
        this.digests = digests(watchedFiles(holder.current()));
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
        long ms = Math.max(100, interval.toMillis());
        executor.scheduleWithFixedDelay(this::check, ms, ms, TimeUnit.MILLISECONDS);
    }

    /** The files a configuration depends on. */
    public static Map<ConfigKey, Path> watchedFiles(ProxyConfig config) {
        Map<ConfigKey, Path> files = new LinkedHashMap<>();
        for (ConfigKey k : new ConfigKey[] {ConfigKey.CONFIG_FILE, ConfigKey.JWT_KEY_FILE, ConfigKey.JWT_JWK_SET_FILE}) {
            String v = config.raw(k);
            if (v != null && !v.isBlank()) {
                files.put(k, Path.of(v.trim()));
            }
        }
        return files;
    }

    /** Whether a configuration reads any file worth watching. */
    public static boolean hasWatchedFiles(ProxyConfig config) {
        return !watchedFiles(config).isEmpty();
    }

    private synchronized void check() {
        try {
            Map<Path, String> now = digests(watchedFiles(holder.current()));
            if (now.equals(digests)) {
                return;
            }
            ProxyConfig next;
            try {
                next = loader.get();
                holder.apply(next);
            } catch (ConfigException e) {
                // remember what we saw, so one bad edit is reported once, not every poll
                digests = now;
                LOG.severe("grafana-proxy configuration change rejected, keeping the previous configuration: "
                        + e.getMessage());
                return;
            }
            digests = digests(watchedFiles(next));
            LOG.info("grafana-proxy configuration reloaded (generation " + holder.generation() + ")");
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "grafana-proxy configuration watch failed: " + e, e);
        }
    }

    private static Map<Path, String> digests(Map<ConfigKey, Path> files) {
        Map<Path, String> d = new LinkedHashMap<>();
        for (Path p : files.values()) {
            d.put(p, digest(p));
        }
        return d;
    }

    private static String digest(Path file) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] h = md.digest(Files.readAllBytes(file));
            StringBuilder sb = new StringBuilder();
            for (byte b : h) {
                sb.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
            }
            return sb.toString();
        } catch (NoSuchFileException e) {
            return "missing";
        } catch (IOException e) {
            return "unreadable:" + e.getClass().getSimpleName();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "ConfigWatcher" + Objects.toString(digests.keySet());
    }
}
