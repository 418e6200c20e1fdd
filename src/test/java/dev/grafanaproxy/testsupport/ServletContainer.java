package dev.grafanaproxy.testsupport;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.logging.Level;
import org.apache.catalina.startup.Tomcat;
import org.eclipse.jetty.server.Server;

/**
 * An embedded servlet container (Jetty 12 ee10 or Tomcat 11) running a WAR at a context path
 * (by default the real {@code grafana.war} at {@code /grafana}), plus an optional "host app" at
 * {@code /} with {@code /ping} (answers {@code pong}) and {@code /set-cookie?name=N&value=V[&path=P]}
 * (sets {@code N=V; Path=P; HttpOnly}, defaults {@code host_session}, {@code 1}, {@code /}).
 *
 * <p>It listens on {@code 127.0.0.1}. A web app that fails to start (bad configuration, a
 * listener that throws) leaves the server running with {@link #isWebappAvailable()} false, as a
 * real container does. While it runs it captures every {@code java.util.logging} record of the JVM
 * (both containers, and the web app through SLF4J, log there) in {@link #logLines()}.
 *
 * <pre>{@code
 * @ParameterizedTest
 * @EnumSource(Containers.class)
 * void proxies(Containers kind) throws Exception {
 *     try (GrafanaStandIn grafana = new GrafanaStandIn().start();
 *          ServletContainer c = kind.builder().contextParam("grafana.url", grafana.baseUrl()).start()) {
 *         assertThat(c.isWebappAvailable()).isTrue();
 *         RawHttp.Response r = RawHttp.exchange(c.port(), RawHttp.get("/grafana/api/health"));
 *     }
 * }
 * }</pre>
 */
public interface ServletContainer extends AutoCloseable {

    /** Which container this is. */
    Containers kind();

    /** The settings it was built with. */
    Settings settings();

    /**
     * Starts the server and deploys the web app; returns once both are up (or the web app has
     * failed, see {@link #isWebappAvailable()}). Log capture starts just before.
     *
     * @return this
     * @throws Exception if the server itself cannot start (not for a failing web app)
     */
    ServletContainer start() throws Exception;

    /** Stops the server (log capture stops too; captured lines stay readable). */
    void stop() throws Exception;

    /** Stops the server if running and deletes its temporary directory; never throws. */
    @Override
    void close();

    /** The HTTP port it listens on (valid after {@link #start()}). */
    int port();

    /** {@code http://127.0.0.1:PORT}, without trailing slash. */
    default String baseUrl() {
        return "http://127.0.0.1:" + port();
    }

    /** {@link #baseUrl()} + {@code pathAndQuery} (which starts with {@code /}). */
    default String url(String pathAndQuery) {
        return baseUrl() + pathAndQuery;
    }

    /** The web app's public URL, {@code http://127.0.0.1:PORT/grafana} (no trailing slash). */
    default String webappUrl() {
        return baseUrl() + settings().contextPath();
    }

    /**
     * Stops the web app alone (undeploy) while the server keeps running and its connections stay
     * open, as a redeploy or the manager's "stop" does.
     */
    void undeploy() throws Exception;

    /** Whether the web app at {@link Settings#contextPath()} started and serves requests. */
    boolean isWebappAvailable();

    /**
     * Every log record captured since {@link #start()} (or {@link #clearLogLines()}), one string
     * each: {@code LEVEL logger: message}, followed by the stack trace of an attached throwable.
     */
    List<String> logLines();

    /** Forgets the captured log lines. */
    void clearLogLines();

    /** All captured log lines joined with newlines (handy for {@code doesNotContain(token)}). */
    default String logText() {
        return String.join("\n", logLines());
    }

    /**
     * Waits for a captured log line matching {@code filter} (lines already captured count).
     *
     * @return whether one appeared within {@code timeout}
     */
    default boolean awaitLogLine(Predicate<String> filter, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (logLines().stream().anyMatch(filter)) {
                return true;
            }
            if (System.nanoTime() > end) {
                return false;
            }
            Thread.sleep(20);
        }
    }

    /**
     * Everything a container is built from; made by {@link Builder}.
     *
     * @param kind             Jetty or Tomcat
     * @param war              the WAR file (or exploded directory) to deploy
     * @param contextPath      where to mount it, e.g. {@code /grafana}
     * @param contextParams    context parameters given from outside the WAR (Tomcat: like
     *                         {@code <Parameter override="false">} in a context file; Jetty: like
     *                         {@code setInitParameter} in a context XML)
     * @param maxThreads       request-processing threads
     * @param port             port to bind, 0 for an ephemeral one
     * @param hostApp          whether to deploy the host app at {@code /}
     * @param appLogLevel      JUL level for the {@code dev.grafanaproxy} loggers while running
     * @param jettyCustomizer  last-minute changes to the Jetty {@link Server} before start
     * @param tomcatCustomizer last-minute changes to the {@link Tomcat} before start
     */
    record Settings(Containers kind, Path war, String contextPath, Map<String, String> contextParams, int maxThreads,
            int port, boolean hostApp, Level appLogLevel, Consumer<Server> jettyCustomizer,
            Consumer<Tomcat> tomcatCustomizer) {

        /** Validates and copies. */
        public Settings {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(war, "war");
            if (!contextPath.startsWith("/") || contextPath.endsWith("/")) {
                throw new IllegalArgumentException("context path must look like /name: " + contextPath);
            }
            contextParams = Map.copyOf(contextParams);
        }
    }

    /**
     * Builds a {@link ServletContainer}; get one from {@link Containers#builder()}. Defaults: the WAR
     * named by system property {@code grafana.war} (else {@code target/grafana.war}), context path
     * {@code /grafana}, no context parameters, 10 request threads, an ephemeral port, the host app
     * on, {@code dev.grafanaproxy} logging at {@code ALL}.
     */
    final class Builder {
        private final Containers kind;
        private Path war;
        private String contextPath = "/grafana";
        private final Map<String, String> contextParams = new LinkedHashMap<>();
        private int maxThreads = 10;
        private int port;
        private boolean hostApp = true;
        private Level appLogLevel = Level.ALL;
        private Consumer<Server> jettyCustomizer = s -> { };
        private Consumer<Tomcat> tomcatCustomizer = t -> { };

        Builder(Containers kind) {
            this.kind = kind;
        }

        /** The WAR file or exploded WAR directory to deploy. */
        public Builder war(Path war) {
            this.war = war;
            return this;
        }

        /** The context path, e.g. {@code /grafana} (default). */
        public Builder contextPath(String contextPath) {
            this.contextPath = contextPath;
            return this;
        }

        /** Adds one context parameter (a configuration key of the proxy, e.g. {@code grafana.url}). */
        public Builder contextParam(String name, String value) {
            contextParams.put(name, value);
            return this;
        }

        /** Adds every entry as a context parameter. */
        public Builder contextParams(Map<String, String> params) {
            contextParams.putAll(params);
            return this;
        }

        /** The number of request-processing threads (default 10), to check that waiting holds none. */
        public Builder maxThreads(int maxThreads) {
            if (maxThreads < 1) {
                throw new IllegalArgumentException("maxThreads must be >= 1");
            }
            this.maxThreads = maxThreads;
            return this;
        }

        /** A fixed port (default 0: ephemeral). */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** Whether to deploy the host app at {@code /} (default true). */
        public Builder hostApp(boolean hostApp) {
            this.hostApp = hostApp;
            return this;
        }

        /** JUL level of the {@code dev.grafanaproxy} loggers while running (default ALL, so debug lines are captured). */
        public Builder appLogLevel(Level level) {
            this.appLogLevel = Objects.requireNonNull(level);
            return this;
        }

        /** Changes to apply to the Jetty server just before start (ignored by Tomcat). */
        public Builder jettyCustomizer(Consumer<Server> customizer) {
            this.jettyCustomizer = Objects.requireNonNull(customizer);
            return this;
        }

        /** Changes to apply to Tomcat just before start (ignored by Jetty). */
        public Builder tomcatCustomizer(Consumer<Tomcat> customizer) {
            this.tomcatCustomizer = Objects.requireNonNull(customizer);
            return this;
        }

        /** The settings as configured so far (resolves the default WAR). */
        public Settings settings() {
            return new Settings(kind, war != null ? war : defaultWar(), contextPath, contextParams, maxThreads, port, hostApp,
                    appLogLevel, jettyCustomizer, tomcatCustomizer);
        }

        /** Creates the container without starting it. */
        public ServletContainer build() {
            Settings s = settings();
            if (!Files.exists(s.war())) {
                throw new IllegalStateException("WAR not found: " + s.war().toAbsolutePath()
                        + " (run 'mvn package' first, or set -Dgrafana.war=...)");
            }
            return kind.create(s);
        }

        /** Creates and starts the container (see {@link ServletContainer#start()}). */
        public ServletContainer start() throws Exception {
            ServletContainer c = build();
            try {
                return c.start();
            } catch (Exception | Error e) {
                c.close();
                throw e;
            }
        }

        private static Path defaultWar() {
            String prop = System.getProperty("grafana.war");
            return prop != null && !prop.isBlank() ? Path.of(prop) : Path.of("target", "grafana.war");
        }
    }
}
