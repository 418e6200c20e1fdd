package dev.grafanaproxy.sample.launcher;

import dev.grafanaproxy.sample.app.DemoUser;
import dev.grafanaproxy.sample.app.DemoUsers;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.BindException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.logging.LogManager;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.ee10.websocket.jakarta.server.config.JakartaWebSocketServletContainerInitializer;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.eclipse.jetty.util.resource.ResourceFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.xml.XmlConfiguration;

/**
 * The one-command demo. One embedded Jetty 12 (ee10) server with
 * <ul>
 * <li>the sample app ({@code webapp-sample/src/main/webapp}) at {@code /}, and</li>
 * <li>the real {@code target/grafana.war} at {@code /grafana}, deployed with the shipped
 *     {@code conf/jetty/grafana.xml} (as a Jetty user deploys it) plus the context parameters that
 *     depend on where this demo runs: {@code grafana.url}, {@code jwt.jwk_set_url} (this server's
 *     {@code /.well-known/jwks.json}) and {@code jwt.groups_attribute_path};</li>
 * <li>Grafana: {@code GRAFANA_URL} if set, else a {@link DemoGrafana} stand-in on a free port.</li>
 * </ul>
 *
 * <pre>
 * mvn -q package -Dmaven.test.skip &amp;&amp; mvn -q -f webapp-sample/pom.xml compile exec:java
 * </pre>
 *
 * Settings (environment variable, or system property, or argument): {@code PORT} /
 * {@code -Dport} / {@code --port=N} (default 8080, 0 picks a free one), {@code BIND_ADDRESS} /
 * {@code -Dbind.address} / {@code --bind-address=A} (default {@code 127.0.0.1}), {@code GRAFANA_URL} /
 * {@code -Dgrafana.url} / {@code --grafana-url=U}. Any {@code GRAFANA_PROXY_*} variable configures
 * the proxy as in production (it takes precedence over context parameters).
 */
public final class SampleLauncher implements AutoCloseable {

    public static final int DEFAULT_PORT = 8080;
    public static final String DEFAULT_HOST = "127.0.0.1";

    /**
     * Where and what to run.
     *
     * @param host       the address to listen on
     * @param port       the port, 0 for a free one
     * @param sampleHome the {@code webapp-sample} directory (the WAR and {@code conf/} are found from it)
     * @param grafanaUrl a real Grafana's URL, or {@code null} for the stand-in
     */
    public record Options(String host, int port, Path sampleHome, String grafanaUrl) {

        public Options {
            sampleHome = sampleHome.toAbsolutePath().normalize();
            if (grafanaUrl != null && grafanaUrl.isBlank()) {
                grafanaUrl = null;
            }
        }

        /** {@code ../target/grafana.war}, built by the root project. */
        public Path grafanaWar() {
            return sampleHome.resolveSibling("target").resolve("grafana.war");
        }

        /** {@code ../conf/jetty/grafana.xml}, the shipped Jetty context file. */
        public Path jettyContextXml() {
            return sampleHome.resolveSibling("conf").resolve("jetty").resolve("grafana.xml");
        }

        /** The sample app's web app directory. */
        public Path webappDir() {
            return sampleHome.resolve("src").resolve("main").resolve("webapp");
        }

        /** From the environment, then system properties, then {@code --name=value} arguments (each overriding the one before). */
        public static Options from(Map<String, String> env, Properties props, String... args) {
            Map<String, String> values = new LinkedHashMap<>();
            putIfSet(values, "port", env.get("PORT"));
            putIfSet(values, "bind-address", env.get("BIND_ADDRESS"));
            putIfSet(values, "grafana-url", env.get("GRAFANA_URL"));
            putIfSet(values, "port", props.getProperty("port"));
            putIfSet(values, "bind-address", props.getProperty("bind.address"));
            putIfSet(values, "grafana-url", props.getProperty("grafana.url"));
            for (String arg : args) {
                if (!arg.startsWith("--") || arg.indexOf('=') < 0) {
                    throw new IllegalArgumentException("unknown argument " + arg
                            + " (use --port=N, --bind-address=A, --grafana-url=U)");
                }
                String name = arg.substring(2, arg.indexOf('='));
                if (!name.equals("port") && !name.equals("bind-address") && !name.equals("grafana-url")) {
                    throw new IllegalArgumentException("unknown argument " + arg
                            + " (use --port=N, --bind-address=A, --grafana-url=U)");
                }
                values.put(name, arg.substring(arg.indexOf('=') + 1));
            }
            int port;
            try {
                port = Integer.parseInt(values.getOrDefault("port", String.valueOf(DEFAULT_PORT)).trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("PORT must be a number, not \"" + values.get("port") + "\"");
            }
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("PORT must be 0..65535, not " + port);
            }
            String grafanaUrl = values.get("grafana-url");
            if (grafanaUrl != null && !grafanaUrl.isBlank()) {
                URI u = URI.create(grafanaUrl.trim());
                if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
                    throw new IllegalArgumentException("GRAFANA_URL must be an http(s) URL, not \"" + grafanaUrl + "\"");
                }
            }
            return new Options(values.getOrDefault("bind-address", DEFAULT_HOST).trim(), port, sampleHome(props), grafanaUrl);
        }

        private static void putIfSet(Map<String, String> values, String name, String value) {
            if (value != null && !value.isBlank()) {
                values.put(name, value);
            }
        }

        /** {@code -Dsample.home} (the exec plugin sets it), else found from the working directory. */
        private static Path sampleHome(Properties props) {
            String configured = props.getProperty("sample.home");
            if (configured != null) {
                return Path.of(configured);
            }
            Path cwd = Path.of("").toAbsolutePath();
            for (Path candidate : new Path[] {cwd.resolve("webapp-sample"), cwd}) {
                if (Files.isDirectory(candidate.resolve("src/main/webapp/WEB-INF"))
                        && Files.isDirectory(candidate.resolveSibling("conf"))) {
                    return candidate;
                }
            }
            throw new IllegalArgumentException("cannot find webapp-sample from " + cwd
                    + ": run from the repository root, or set -Dsample.home");
        }
    }

    private final Options options;
    private final Server server;
    private final ServerConnector connector;
    private final DemoGrafana standIn;
    private final WebAppContext app;
    private final WebAppContext proxy;
    private final Map<String, String> proxyParameters = new LinkedHashMap<>();

    private SampleLauncher(Options options, DemoGrafana standIn) throws Exception {
        this.options = options;
        this.standIn = standIn;
        QueuedThreadPool pool = new QueuedThreadPool(200, 4);
        pool.setName("sample");
        server = new Server(pool);
        server.setStopTimeout(0);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost(options.host());
        connector.setPort(options.port());
        server.addConnector(connector);
        connector.open(); // bind now: the proxy's JWKS URL needs the real port

        app = new WebAppContext();
        app.setContextPath("/");
        app.setWar(options.webappDir().toString());
        app.setParentLoaderPriority(true); // the app's classes come from this class path

        proxy = new WebAppContext();
        XmlConfiguration xml = new XmlConfiguration(ResourceFactory.of(server).newResource(options.jettyContextXml()));
        xml.getProperties().put("jetty.webapps", options.grafanaWar().getParent().toString());
        xml.configure(proxy);
        if (standIn != null) {
            standIn.rootUrl(baseUri() + "grafana/"); // what [server] root_url would be
        }
        proxyParameters.put("grafana.url", standIn != null ? standIn.baseUrl() : options.grafanaUrl());
        proxyParameters.put("jwt.jwk_set_url", "http://" + loopbackOr(options.host()) + ":" + connector.getLocalPort()
                + "/.well-known/jwks.json");
        proxyParameters.put("jwt.groups_attribute_path", "groups");
        proxyParameters.forEach(proxy::setInitParameter);
        // Jakarta WebSocket for the WAR (Grafana Live through the proxy); embedded Jetty does not
        // run the container's initializers by itself
        JakartaWebSocketServletContainerInitializer.configure(proxy, null);

        ContextHandlerCollection contexts = new ContextHandlerCollection();
        contexts.addHandler(proxy);
        contexts.addHandler(app);
        server.setHandler(contexts);
    }

    /** Starts everything; fails (having stopped what started) if either web app is unavailable. */
    public static SampleLauncher start(Options options) throws Exception {
        if (!Files.isRegularFile(options.grafanaWar())) {
            throw new IllegalStateException(options.grafanaWar() + " does not exist: run"
                    + " `mvn -q package -Dmaven.test.skip` in the repository root first");
        }
        DemoGrafana standIn = options.grafanaUrl() == null ? DemoGrafana.start() : null;
        SampleLauncher launcher = null;
        try {
            launcher = new SampleLauncher(options, standIn);
            launcher.server.start();
            for (WebAppContext c : new WebAppContext[] {launcher.proxy, launcher.app}) {
                if (!c.isAvailable() || c.getUnavailableException() != null) {
                    throw new IllegalStateException("the web app at " + c.getContextPath()
                            + " did not start (its error is in the log above)", c.getUnavailableException());
                }
            }
            return launcher;
        } catch (Exception | Error e) {
            if (launcher != null) {
                launcher.close();
            } else if (standIn != null) {
                standIn.close();
            }
            throw e;
        }
    }

    /** The port the server listens on. */
    public int port() {
        return connector.getLocalPort();
    }

    /** {@code http://localhost:<port>/} (or the configured host when it is not a loopback or wildcard address). */
    public URI baseUri() {
        return URI.create("http://" + displayHost(options.host()) + ":" + port() + "/");
    }

    /** The stand-in, when no {@code GRAFANA_URL} was given. */
    public Optional<DemoGrafana> standIn() {
        return Optional.ofNullable(standIn);
    }

    /** The context parameters the launcher set on grafana.war on top of {@code conf/jetty/grafana.xml}. */
    public Map<String, String> proxyParameters() {
        return Map.copyOf(proxyParameters);
    }

    /** Blocks until the server stops. */
    public void join() throws InterruptedException {
        server.join();
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            throw new IllegalStateException("stopping the sample server failed", e);
        } finally {
            if (standIn != null) {
                try {
                    standIn.close();
                } catch (Exception e) {
                    // nothing left to do: the JVM is on its way out or the test is over
                }
            }
        }
    }

    /** What is printed once everything is up. */
    public String banner(Duration startup, Duration sinceJvmStart) {
        String base = baseUri().toString();
        StringBuilder sb = new StringBuilder();
        sb.append('\n');
        sb.append("  grafana-proxy sample is up (").append(seconds(startup)).append(" s; ")
                .append(seconds(sinceJvmStart)).append(" s since the JVM started)\n\n");
        sb.append("  Open      ").append(base).append("              the sample app\n");
        sb.append("            ").append(base).append("grafana/      Grafana through grafana.war\n\n");
        sb.append("  Log in as (password for all: ").append(DemoUsers.PASSWORD).append(")\n");
        for (DemoUser u : DemoUsers.ALL) {
            sb.append(String.format(Locale.ROOT, "    %-7s %-7s %-16s %-19s groups: %s%n", u.username(), u.grafanaRole(),
                    u.name(), u.email(), String.join(", ", u.groups())));
        }
        sb.append('\n');
        if (standIn != null) {
            sb.append("  Grafana   ").append(DemoGrafana.LABEL).append(" at ").append(standIn.baseUrl())
                    .append(" (set GRAFANA_URL to use a real Grafana)\n");
        } else {
            sb.append("  Grafana   ").append(options.grafanaUrl()).append('\n');
        }
        sb.append("  Proxy     ").append(options.grafanaWar()).append(" at /grafana, configured by\n");
        sb.append("            ").append(options.jettyContextXml()).append(" plus\n");
        proxyParameters.forEach((k, v) -> sb.append("              ").append(k).append(" = ").append(v).append('\n'));
        sb.append("\n  Stop with Ctrl+C.\n");
        return sb.toString();
    }

    public static void main(String[] args) throws Exception {
        long t0 = System.nanoTime();
        configureLogging();
        Options options;
        SampleLauncher launcher;
        try {
            options = Options.from(System.getenv(), System.getProperties(), args);
            launcher = start(options);
        } catch (IllegalArgumentException | IllegalStateException e) {
            System.err.println("sample: " + e.getMessage());
            System.exit(1);
            return;
        } catch (IOException e) {
            if (e instanceof BindException || e.getCause() instanceof BindException) {
                System.err.println("sample: cannot listen on the port: " + e.getMessage()
                        + " (is something else on it? set PORT=9090, say)");
                System.exit(1);
                return;
            }
            throw e;
        }
        Duration startup = Duration.ofNanos(System.nanoTime() - t0);
        Duration sinceJvm = Duration.ofMillis(ManagementFactory.getRuntimeMXBean().getUptime());
        System.out.println(launcher.banner(startup, sinceJvm));
        System.out.flush();
        Runtime.getRuntime().addShutdownHook(new Thread(launcher::close, "sample-shutdown"));
        launcher.join();
    }

    /** One line per log record; Jetty's own start-up chatter only from WARNING up. */
    private static void configureLogging() {
        if (System.getProperty("java.util.logging.config.file") != null) {
            return;
        }
        String config = String.join("\n",
                "handlers=java.util.logging.ConsoleHandler",
                ".level=INFO",
                "java.util.logging.ConsoleHandler.level=ALL",
                "java.util.logging.SimpleFormatter.format=%1$tT %4$s %3$s: %5$s%6$s%n",
                "org.eclipse.jetty.level=WARNING",
                "dev.grafanaproxy.level=INFO");
        try {
            LogManager.getLogManager().readConfiguration(new ByteArrayInputStream(config.getBytes(StandardCharsets.ISO_8859_1)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String loopbackOr(String host) {
        return isWildcard(host) ? "127.0.0.1" : host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    private static String displayHost(String host) {
        if (isWildcard(host) || host.equals("127.0.0.1") || host.equals("::1") || host.equals("localhost")) {
            return "localhost";
        }
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    private static boolean isWildcard(String host) {
        return host.isEmpty() || host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
    }

    private static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.1f", d.toMillis() / 1000.0);
    }
}
