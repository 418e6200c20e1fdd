package dev.grafanaproxy.testsupport;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.ee10.websocket.jakarta.server.config.JakartaWebSocketServletContainerInitializer;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Jetty 12 with the WAR in an ee10 {@link WebAppContext} (its {@code web.xml} and Jetty's
 * {@code webdefault-ee10.xml} applied, as in a standalone Jetty), default HTTP settings.
 * Annotations and {@code ServletContainerInitializer}s are only scanned if
 * {@code jetty-ee10-annotations} is on the test classpath (it is not): the WAR should declare
 * its components in {@code web.xml}. The Jakarta WebSocket {@code ServerContainer} is set up
 * explicitly, as the {@code ee10-websocket-jakarta} module does in a standalone Jetty.
 */
final class EmbeddedJetty extends AbstractServletContainer {

    private static final int ACCEPTORS = 1;
    private static final int SELECTORS = 1;

    private Server server;
    private ServerConnector connector;
    private WebAppContext webapp;

    EmbeddedJetty(Settings settings) {
        super(settings);
    }

    @Override
    protected void doStart(Path baseDir) throws Exception {
        // Acceptor and selector threads come out of the same pool: add them so that exactly
        // maxThreads remain for requests; no reserved threads, so the count is predictable.
        QueuedThreadPool pool = new QueuedThreadPool(settings.maxThreads() + ACCEPTORS + SELECTORS,
                Math.min(settings.maxThreads(), 2) + ACCEPTORS + SELECTORS);
        pool.setReservedThreads(0);
        pool.setName("jetty-container");
        server = new Server(pool);
        server.setStopTimeout(0);

        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        connector = new ServerConnector(server, ACCEPTORS, SELECTORS, new HttpConnectionFactory(http));
        connector.setHost("127.0.0.1");
        connector.setPort(settings.port());
        server.addConnector(connector);

        ContextHandlerCollection contexts = new ContextHandlerCollection();
        webapp = new WebAppContext();
        webapp.setContextPath(settings.contextPath());
        webapp.setWar(settings.war().toAbsolutePath().toString());
        Path tmp = Files.createDirectories(baseDir.resolve("webapp-tmp"));
        webapp.setTempDirectory(tmp.toFile());
        for (Map.Entry<String, String> p : settings.contextParams().entrySet()) {
            webapp.setInitParameter(p.getKey(), p.getValue());
        }
        JakartaWebSocketServletContainerInitializer.configure(webapp, null);
        contexts.addHandler(webapp);

        if (settings.hostApp()) {
            ServletContextHandler root = new ServletContextHandler("/");
            root.addServlet(new ServletHolder(new HostApp.Ping()), "/ping");
            root.addServlet(new ServletHolder(new HostApp.SetCookie()), "/set-cookie");
            contexts.addHandler(root);
        }
        server.setHandler(contexts);
        settings.jettyCustomizer().accept(server);
        server.start(); // a failing web app is logged and left unavailable, the server runs on
    }

    @Override
    protected void doStop() throws Exception {
        if (server != null) {
            server.stop();
            server = null;
        }
    }

    @Override
    public void undeploy() throws Exception {
        webapp.stop();
    }

    @Override
    public int port() {
        return connector == null ? -1 : connector.getLocalPort();
    }

    @Override
    public boolean isWebappAvailable() {
        return webapp != null && webapp.isStarted() && webapp.isAvailable() && webapp.getUnavailableException() == null;
    }
}
