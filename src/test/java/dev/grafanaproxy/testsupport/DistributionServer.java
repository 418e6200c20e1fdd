package dev.grafanaproxy.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real Tomcat or Jetty distribution running as its own process, set up the way a user sets it up:
 * a fresh {@code CATALINA_BASE} / {@code JETTY_BASE} under {@code target/distro-bases}, the built
 * {@code grafana.war} copied in unchanged, and the proxy configured only as the README says (the
 * context file from {@code conf/} with its placeholders filled in, and/or {@code GRAFANA_PROXY_*}
 * environment variables). Optionally a {@code ROOT} host app next to it (a static
 * {@code index.html} and {@link HostAppServlet}), and for Tomcat the manager app (for
 * {@code findleaks}).
 *
 * <p>Tomcat runs as {@code bin/catalina.sh run} (which {@code exec}s the JVM, so the process id is
 * the JVM's), Jetty as {@code java -jar $JETTY_HOME/start.jar} in its base. Both listen on
 * {@code 127.0.0.1} on a free port. {@link #start()} returns once the server logged that it started
 * (web apps are deployed before the connector opens) and accepts connections; {@link #stop()} sends
 * SIGTERM to that process id and waits for a graceful exit. Every log the server writes (console
 * and, for Tomcat, {@code logs/}) is readable with {@link #logText()} while it runs and after.
 *
 * <pre>{@code
 * try (DistributionServer s = DistributionServer.builder(Distribution.TOMCAT_11)
 *         .contextFile(ConfFiles.placeholders(ConfFiles.GRAFANA_URL, grafana.baseUrl()))
 *         .start()) {
 *     RawHttp.Response r = s.exchange(RawHttp.get("/grafana/api/health"));
 * }
 * }</pre>
 */
public final class DistributionServer implements AutoCloseable {
    /** Extra JVM options for every server (small heap: the proxy streams in constant memory). */
    public static final String JVM_OPTIONS = "-Xmx256m";
    /** In an environment variable's value: replaced by the base directory's absolute path. */
    public static final String BASE = "{base}";

    private static final AtomicInteger SEQUENCE = new AtomicInteger();
    // a Tomcat OneLineFormatter level, a JUL SimpleFormatter level line, or a Jetty level field
    private static final Pattern PROBLEM = Pattern.compile("(^|[\\s:])(SEVERE|ERROR)([\\s:\\[]|$)");

    private final Distribution distribution;
    private final Builder settings;
    private final Path base;
    private final Path consoleLog;
    private final String managerPassword = UUID.randomUUID().toString();
    private volatile int port;
    private volatile Process process;
    private volatile Thread killOnExit;

    private DistributionServer(Builder b) {
        this.distribution = b.distribution;
        this.settings = b;
        String label = b.name.replaceAll("[^A-Za-z0-9_.-]", "_");
        this.base = Distribution.basesDir().toAbsolutePath()
                .resolve(distribution.name().toLowerCase() + "-" + label + "-" + SEQUENCE.incrementAndGet());
        this.consoleLog = base.resolve("console.log");
    }

    /** A builder for a server of this distribution. */
    public static Builder builder(Distribution distribution) {
        return new Builder(distribution);
    }

    // ---------------------------------------------------------------------------------------------
    // set-up

    private void createBase() throws IOException {
        deleteTree(base);
        Files.createDirectories(base);
        Path war = settings.war != null ? settings.war : defaultWar();
        if (!Files.isRegularFile(war)) {
            throw new IllegalStateException("WAR not found: " + war.toAbsolutePath() + " (mvn package first)");
        }
        Path webapps;
        if (distribution.isTomcat()) {
            createTomcatBase();
            webapps = base.resolve("webapps");
            if (settings.contextFile != null) {
                write(base.resolve("conf/Catalina/localhost/grafana.xml"),
                        ConfFiles.fill(ConfFiles.TOMCAT_CONTEXT, settings.contextFile));
            }
        } else {
            createJettyBase();
            webapps = base.resolve("webapps");
            if (settings.contextFile != null) {
                write(webapps.resolve("grafana.xml"), ConfFiles.fill(ConfFiles.JETTY_CONTEXT, settings.contextFile));
            }
        }
        // the WAR exactly as built: copied, never repacked
        Files.copy(war, webapps.resolve("grafana.war"), StandardCopyOption.COPY_ATTRIBUTES);
        if (settings.hostApp) {
            createHostApp(webapps.resolve("ROOT"));
        }
        for (Map.Entry<String, String> f : settings.files.entrySet()) {
            write(base.resolve(f.getKey()), f.getValue());
        }
    }

    private void createTomcatBase() throws IOException {
        Path home = distribution.home();
        for (String dir : List.of("conf/Catalina/localhost", "logs", "temp", "webapps", "work")) {
            Files.createDirectories(base.resolve(dir));
        }
        try (Stream<Path> conf = Files.list(home.resolve("conf"))) {
            for (Path f : (Iterable<Path>) conf.filter(Files::isRegularFile)::iterator) {
                Files.copy(f, base.resolve("conf").resolve(f.getFileName()));
            }
        }
        if (settings.manager) {
            write(base.resolve("conf/tomcat-users.xml"), """
                    <?xml version="1.0" encoding="UTF-8"?>
                    <tomcat-users xmlns="http://tomcat.apache.org/xml" version="1.0">
                      <role rolename="manager-script"/>
                      <user username="it" password="%s" roles="manager-script"/>
                    </tomcat-users>
                    """.formatted(managerPassword));
            write(base.resolve("conf/Catalina/localhost/manager.xml"),
                    "<Context docBase=\"" + home.resolve("webapps/manager") + "\" privileged=\"true\"/>\n");
        }
    }

    /** server.xml of a Tomcat base: its port on loopback, no shutdown port, the builder's edits. */
    private void writeTomcatServerXml() throws IOException {
        Path serverXml = base.resolve("conf/server.xml");
        String xml = Files.readString(distribution.home().resolve("conf/server.xml"), StandardCharsets.UTF_8);
        xml = replaceOnce(xml, "<Server port=\"8005\"", "<Server port=\"-1\"");
        xml = replaceOnce(xml, "<Connector port=\"8080\" protocol=\"HTTP/1.1\"",
                "<Connector port=\"" + port + "\" address=\"127.0.0.1\" protocol=\"HTTP/1.1\"");
        write(serverXml, settings.serverXml.apply(xml));
    }

    private void createJettyBase() throws IOException {
        Path home = distribution.home();
        Files.createDirectories(base.resolve("work")); // Jetty unpacks WARs here instead of /tmp
        // as the README says: java -jar $JETTY_HOME/start.jar --add-modules=ee10-deploy,http
        List<String> modules = new ArrayList<>(List.of("ee10-deploy", "http"));
        modules.addAll(settings.jettyModules);
        List<String> cmd = List.of(java(), "-jar", home.resolve("start.jar").toString(),
                "--add-modules=" + String.join(",", modules));
        Process p = new ProcessBuilder(cmd).directory(base.toFile()).redirectErrorStream(true)
                .redirectOutput(base.resolve("add-modules.log").toFile()).start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException("start.jar --add-modules failed:\n"
                        + Files.readString(base.resolve("add-modules.log")));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void createHostApp(Path root) throws IOException {
        Files.createDirectories(root);
        write(root.resolve("index.html"), "<!DOCTYPE html>\n<html><body><h1>host app</h1>"
                + "<iframe src=\"/grafana/\"></iframe></body></html>\n");
        write(root.resolve("WEB-INF/web.xml"), """
                <?xml version="1.0" encoding="UTF-8"?>
                <web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0" metadata-complete="true">
                  <servlet>
                    <servlet-name>login</servlet-name>
                    <servlet-class>%s</servlet-class>
                  </servlet>
                  <servlet-mapping>
                    <servlet-name>login</servlet-name>
                    <url-pattern>/login</url-pattern>
                    <url-pattern>/ping</url-pattern>
                  </servlet-mapping>
                </web-app>
                """.formatted(HostAppServlet.class.getName()));
        String classFile = HostAppServlet.class.getName().replace('.', '/') + ".class";
        Path target = root.resolve("WEB-INF/classes").resolve(classFile);
        Files.createDirectories(target.getParent());
        try (InputStream in = HostAppServlet.class.getClassLoader().getResourceAsStream(classFile)) {
            Files.copy(Objects.requireNonNull(in, classFile), target);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // running

    /**
     * Creates the base, starts the server and waits until it has started (a web app that fails to
     * deploy does not stop this; the test checks it). Retries with another port if the chosen one
     * was taken in the meantime.
     *
     * @return this
     */
    public DistributionServer start() throws IOException, InterruptedException {
        if (process != null) {
            throw new IllegalStateException("already started");
        }
        createBase();
        for (int attempt = 1; ; attempt++) {
            port = settings.port > 0 ? settings.port : freePort();
            if (distribution.isTomcat()) {
                writeTomcatServerXml();
            }
            launch();
            String failure = awaitStarted(settings.startTimeout);
            if (failure == null) {
                return this;
            }
            kill();
            if (failure.contains("Address already in use") && settings.port == 0 && attempt < 3) {
                Files.move(consoleLog, base.resolve("console-attempt-" + attempt + ".log"), StandardCopyOption.REPLACE_EXISTING);
                continue;
            }
            throw new IllegalStateException(distribution + " did not start (" + failure + "):\n" + logText());
        }
    }

    private void launch() throws IOException {
        List<String> cmd = new ArrayList<>();
        ProcessBuilder pb = new ProcessBuilder();
        Map<String, String> env = pb.environment();
        // nothing from the test JVM's environment may configure the server or the proxy
        env.keySet().removeIf(k -> k.startsWith("GRAFANA_PROXY_") || k.startsWith("CATALINA_") || k.startsWith("JETTY_")
                || k.equals("JAVA_OPTS") || k.equals("JRE_HOME") || k.equals("JAVA_TOOL_OPTIONS") || k.equals("_JAVA_OPTIONS")
                || k.equals("JDK_JAVA_OPTIONS"));
        env.put("JAVA_HOME", System.getProperty("java.home"));
        if (distribution.isTomcat()) {
            env.put("CATALINA_HOME", distribution.home().toString());
            env.put("CATALINA_BASE", base.toString());
            env.put("CATALINA_OPTS", JVM_OPTIONS);
            cmd.add(distribution.home().resolve("bin/catalina.sh").toString());
            cmd.add("run");
        } else {
            cmd.add(java());
            cmd.addAll(List.of(JVM_OPTIONS.split(" ")));
            cmd.addAll(List.of("-jar", distribution.home().resolve("start.jar").toString(),
                    "jetty.http.host=127.0.0.1", "jetty.http.port=" + port));
        }
        settings.env.forEach((k, v) -> env.put(k, v.replace(BASE, base.toString())));
        pb.command(cmd).directory(base.toFile()).redirectErrorStream(true).redirectOutput(consoleLog.toFile());
        process = pb.start();
        // should the test JVM die, the server must not outlive it
        Process started = process;
        Thread hook = new Thread(started::destroyForcibly, "kill-" + base.getFileName());
        killOnExit = hook;
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Null once started, else why not. */
    private String awaitStarted(Duration timeout) throws InterruptedException {
        String marker = distribution.isTomcat() ? "Server startup in" : "Started oejs.Server@";
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            String console = readQuietly(consoleLog);
            if (console.contains("Address already in use") || console.contains("BindException")) {
                return "Address already in use";
            }
            if (!process.isAlive()) {
                return "the process exited with " + process.exitValue();
            }
            if (console.contains(marker) && accepts()) {
                return null;
            }
            Thread.sleep(100);
        }
        return "no '" + marker + "' within " + timeout.toSeconds() + " s";
    }

    private boolean accepts() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Stops the server by its process id: SIGTERM, then waits for the JVM's shutdown (Tomcat and
     * Jetty both stop gracefully on it). Kills it if it has not exited after 30 s.
     *
     * @return whether it exited by itself
     */
    public boolean stop() throws InterruptedException {
        Process p = process;
        if (p == null || !p.isAlive()) {
            return true;
        }
        ProcessHandle handle = ProcessHandle.of(p.pid()).orElse(null);
        if (handle != null) {
            handle.destroy(); // SIGTERM to that pid
        }
        boolean graceful = p.waitFor(30, TimeUnit.SECONDS);
        if (!graceful) {
            kill();
        }
        removeHook();
        return graceful;
    }

    private void kill() throws InterruptedException {
        Process p = process;
        if (p != null) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        removeHook();
    }

    private void removeHook() {
        Thread hook = killOnExit;
        if (hook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // shutting down already
            }
            killOnExit = null;
        }
    }

    /** Stops the server if it runs; keeps its base (under target/) for a look after a failure. Never throws. */
    @Override
    public void close() {
        try {
            stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (process != null) {
                process.destroyForcibly();
            }
        } catch (RuntimeException e) {
            // closing must not hide the test's own failure
        }
    }

    /** Whether the server process is running. */
    public boolean isRunning() {
        Process p = process;
        return p != null && p.isAlive();
    }

    /**
     * Replaces {@code webapps/grafana.war} under the running server, as a user deploying a new
     * version does: the new file is written next to it and moved over it in one step, with a
     * modification time newer than the old one's.
     */
    public void replaceWar(Path newWar) throws IOException {
        Path target = base.resolve("webapps/grafana.war");
        Path tmp = base.resolve("grafana.war.new"); // outside webapps/, so no deployer sees it half-written
        Files.copy(newWar, tmp, StandardCopyOption.REPLACE_EXISTING);
        FileTime old = Files.getLastModifiedTime(target);
        Instant now = Instant.now();
        Instant newer = now.isAfter(old.toInstant().plusSeconds(1)) ? now : old.toInstant().plusSeconds(2);
        Files.setLastModifiedTime(tmp, FileTime.from(newer));
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    // ---------------------------------------------------------------------------------------------
    // access

    /** Which distribution this is. */
    public Distribution distribution() {
        return distribution;
    }

    /** The HTTP port (on 127.0.0.1). */
    public int port() {
        return port;
    }

    /** The server JVM's process id. */
    public long pid() {
        return process.pid();
    }

    /** {@code CATALINA_BASE} or {@code JETTY_BASE}. */
    public Path base() {
        return base;
    }

    /** {@code http://127.0.0.1:PORT}. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    /** One request on a fresh connection (see {@link RawHttp#exchange(int, String)}). */
    public RawHttp.Response exchange(String request) throws IOException {
        return RawHttp.exchange(port, request);
    }

    /** Like {@link #exchange(String)} with a body. */
    public RawHttp.Response exchange(String request, byte[] body) throws IOException {
        return RawHttp.exchange(port, request, body);
    }

    /** {@code Authorization} header line for the manager app's script user (see {@link Builder#manager()}). */
    public String managerAuthorization() {
        return "Authorization: Basic " + Base64.getEncoder().encodeToString(("it:" + managerPassword).getBytes(StandardCharsets.UTF_8));
    }

    /** Every log file of the server: the console, and for Tomcat all of {@code logs/}. */
    public List<Path> logFiles() {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.walk(base, 1)) {
            s.filter(p -> p.getFileName().toString().startsWith("console") && p.toString().endsWith(".log")).sorted().forEach(files::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path logs = base.resolve("logs");
        if (Files.isDirectory(logs)) {
            try (Stream<Path> s = Files.list(logs)) {
                s.filter(Files::isRegularFile).sorted().forEach(files::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return files;
    }

    /** All log files, each under a {@code ==> name <==} heading. */
    public String logText() {
        StringBuilder sb = new StringBuilder();
        for (Path f : logFiles()) {
            sb.append("==> ").append(base.relativize(f)).append(" <==\n").append(readQuietly(f)).append('\n');
        }
        return sb.toString();
    }

    /**
     * The server's main log: Tomcat's {@code logs/catalina.<date>.log} (the console repeats it),
     * Jetty's console.
     */
    public Path mainLog() {
        if (!distribution.isTomcat()) {
            return consoleLog;
        }
        return logFiles().stream().filter(f -> f.getFileName().toString().startsWith("catalina.")).findFirst()
                .orElseThrow(() -> new IllegalStateException("no catalina log in " + base.resolve("logs")));
    }

    /** The lines of one log file. */
    public List<String> logLines(Path file) {
        return readQuietly(file).lines().collect(Collectors.toList());
    }

    /** Every line of every log file, in file order. */
    public List<String> logLines() {
        return logFiles().stream().flatMap(f -> readQuietly(f).lines()).collect(Collectors.toList());
    }

    /** The log lines at level SEVERE or ERROR (Tomcat JULI, JUL, Jetty formats). */
    public List<String> problemLines() {
        return logLines().stream().filter(l -> PROBLEM.matcher(l).find()).collect(Collectors.toList());
    }

    /** Waits until a log line matches. */
    public boolean awaitLogLine(Predicate<String> filter, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        do {
            if (logLines().stream().anyMatch(filter)) {
                return true;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < end);
        return false;
    }

    @Override
    public String toString() {
        return distribution + " " + distribution.version() + " at " + baseUrl() + " (pid " + (process == null ? "-" : pid())
                + ", base " + base + ")";
    }

    // ---------------------------------------------------------------------------------------------
    // helpers

    /** A port that was free a moment ago on loopback. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static Path defaultWar() {
        String prop = System.getProperty("grafana.war");
        return prop != null && !prop.isBlank() ? Path.of(prop) : Path.of("target", "grafana.war");
    }

    private static String replaceOnce(String text, String from, String to) {
        int i = text.indexOf(from);
        if (i < 0) {
            throw new IllegalStateException("server.xml has no " + from);
        }
        return text.substring(0, i) + to + text.substring(i + from.length());
    }

    private static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    private static String readQuietly(Path file) {
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    // ---------------------------------------------------------------------------------------------

    /**
     * What the server is made of. Defaults: the WAR from system property {@code grafana.war}, the
     * host app on, no context file, no extra environment, a free port, 90 s to start.
     */
    public static final class Builder {
        private final Distribution distribution;
        private String name = "server";
        private Path war;
        private boolean hostApp = true;
        private Map<String, String> contextFile;
        private final Map<String, String> env = new LinkedHashMap<>();
        private final Map<String, String> files = new LinkedHashMap<>();
        private boolean manager;
        private UnaryOperator<String> serverXml = UnaryOperator.identity();
        private final List<String> jettyModules = new ArrayList<>();
        private int port;
        private Duration startTimeout = Duration.ofSeconds(90);

        private Builder(Distribution distribution) {
            this.distribution = Objects.requireNonNull(distribution);
        }

        /** A label for the base directory's name. */
        public Builder name(String name) {
            this.name = name;
            return this;
        }

        /** Another WAR (default: the built {@code target/grafana.war}). */
        public Builder war(Path war) {
            this.war = war;
            return this;
        }

        /** Whether to deploy the {@code ROOT} host app (default true). */
        public Builder hostApp(boolean hostApp) {
            this.hostApp = hostApp;
            return this;
        }

        /**
         * Configures the WAR with the context file from {@code conf/} (Tomcat:
         * {@code conf/Catalina/localhost/grafana.xml}; Jetty: {@code webapps/grafana.xml} from
         * {@code conf/jetty/grafana.xml}), with these placeholders replaced (see {@link ConfFiles#fill}).
         */
        public Builder contextFile(Map<String, String> placeholders) {
            this.contextFile = new LinkedHashMap<>(placeholders);
            return this;
        }

        /**
         * An environment variable of the server process (e.g. {@code GRAFANA_PROXY_GRAFANA_URL});
         * {@link #BASE} in the value stands for the base directory.
         */
        public Builder env(String name, String value) {
            env.put(name, value);
            return this;
        }

        /** A file to write into the base before start, path relative to the base. */
        public Builder file(String relativePath, String content) {
            files.put(relativePath, content);
            return this;
        }

        /** Tomcat: deploy the distribution's manager app at {@code /manager} with a script user. */
        public Builder manager() {
            this.manager = true;
            return this;
        }

        /** Tomcat: an edit of {@code conf/server.xml} (after port and address are set). */
        public Builder serverXml(UnaryOperator<String> edit) {
            this.serverXml = Objects.requireNonNull(edit);
            return this;
        }

        /** Jetty: more modules for {@code --add-modules} besides {@code ee10-deploy,http}. */
        public Builder jettyModules(String... modules) {
            jettyModules.addAll(List.of(modules));
            return this;
        }

        /** A fixed port (default: a free one). */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** How long the server may take to start (default 90 s). */
        public Builder startTimeout(Duration timeout) {
            this.startTimeout = timeout;
            return this;
        }

        /** Creates the base and starts the server (see {@link DistributionServer#start()}). */
        public DistributionServer start() throws IOException, InterruptedException {
            DistributionServer s = new DistributionServer(this);
            try {
                return s.start();
            } catch (IOException | InterruptedException | RuntimeException | Error e) {
                s.close();
                throw e;
            }
        }
    }
}
