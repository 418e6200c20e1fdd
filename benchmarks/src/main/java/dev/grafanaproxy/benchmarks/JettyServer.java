package dev.grafanaproxy.benchmarks;

import dev.grafanaproxy.benchmarks.BenchServer.Settings;
import java.nio.file.Files;
import java.util.Map;
import org.eclipse.jetty.ee10.proxy.ProxyServlet;
import org.eclipse.jetty.ee10.servlet.DefaultServlet;
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
 * Jetty 12 (ee10, default connector settings) with one system at /grafana. Jetty's acceptor and
 * selector threads come out of the same pool as the request threads; they are added on top, so
 * that {@code threads} remain for requests as with Tomcat's {@code maxThreads}.
 */
final class JettyServer {

    private JettyServer() {
    }

    static AutoCloseable start(Settings s) throws Exception {
        int acceptors = 1;
        int selectors = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
        QueuedThreadPool pool = new QueuedThreadPool(s.threads() + acceptors + selectors,
                Math.min(8, s.threads()) + acceptors + selectors);
        pool.setName("jetty");
        Server server = new Server(pool);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        ServerConnector connector = new ServerConnector(server, acceptors, selectors, new HttpConnectionFactory(http));
        connector.setHost("127.0.0.1");
        connector.setPort(s.port());
        server.addConnector(connector);

        ContextHandlerCollection contexts = new ContextHandlerCollection();
        ServletContextHandler root = new ServletContextHandler("/");
        root.addServlet(new ServletHolder(new HostPage()), "/");
        switch (s.system()) {
            case "static" -> {
                ServletContextHandler ctx = new ServletContextHandler("/grafana");
                ctx.setBaseResourceAsPath(s.docroot().toAbsolutePath());
                ServletHolder dflt = new ServletHolder("default", DefaultServlet.class);
                dflt.setInitParameter("dirAllowed", "false");
                ctx.addServlet(dflt, "/");
                ctx.addServlet(new ServletHolder(new UploadSink()), "/upload");
                contexts.addHandler(ctx);
            }
            case "jetty-proxy" -> contexts.addHandler(proxy(new ProxyServlet.Transparent(), Map.of(
                    "proxyTo", s.upstream(), "maxConnections", Integer.toString(BenchServer.POOL))));
            case "smiley" -> contexts.addHandler(proxy(new org.mitre.dsmiley.httpproxy.ProxyServlet(), Map.of(
                    "targetUri", s.upstream(), "http.maxConnections", Integer.toString(BenchServer.POOL))));
            case "war" -> {
                WebAppContext webapp = new WebAppContext();
                webapp.setContextPath("/grafana");
                webapp.setWar(s.war().toAbsolutePath().toString());
                webapp.setTempDirectory(Files.createDirectories(s.work().resolve("webapp-tmp")).toFile());
                s.contextParams().forEach(webapp::setInitParameter);
                // Tomcat's WebSocket initializer is on this classpath too (for the Tomcat rows); found
                // by Jetty's scan before Jetty's own, it installs its container and the WAR fails to start
                webapp.setAttribute("org.eclipse.jetty.containerInitializerExclusionPattern", "org\\.apache\\.tomcat\\..*");
                JakartaWebSocketServletContainerInitializer.configure(webapp, null);
                contexts.addHandler(webapp);
            }
            default -> throw new IllegalArgumentException("system=" + s.system());
        }
        contexts.addHandler(root);
        server.setHandler(contexts);
        server.start();
        return server::stop;
    }

    private static ServletContextHandler proxy(jakarta.servlet.Servlet servlet, Map<String, String> params) {
        ServletContextHandler ctx = new ServletContextHandler("/grafana");
        ServletHolder holder = new ServletHolder(servlet);
        holder.setAsyncSupported(true);
        params.forEach(holder::setInitParameter);
        ctx.addServlet(holder, "/*");
        return ctx;
    }
}
