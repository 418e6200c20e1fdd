package dev.grafanaproxy.benchmarks;

import dev.grafanaproxy.benchmarks.BenchServer.Settings;
import java.nio.file.Files;
import java.util.Map;
import org.apache.catalina.Context;
import org.apache.catalina.Lifecycle;
import org.apache.catalina.Wrapper;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.core.StandardContext;
import org.apache.catalina.servlets.DefaultServlet;
import org.apache.catalina.startup.Constants;
import org.apache.catalina.startup.ContextConfig;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.ApplicationParameter;
import org.apache.tomcat.util.scan.StandardJarScanner;

/** Tomcat 11 (NIO connector, default settings apart from {@code maxThreads}) with one system at /grafana. */
final class TomcatServer {

    private TomcatServer() {
    }

    static AutoCloseable start(Settings s) throws Exception {
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(s.work().toString());
        tomcat.getHost().setAppBase(Files.createDirectories(s.work().resolve("webapps")).toString());
        tomcat.getHost().setAutoDeploy(false);
        Connector connector = new Connector("HTTP/1.1");
        connector.setPort(s.port());
        connector.setProperty("address", "127.0.0.1");
        connector.setProperty("maxThreads", Integer.toString(s.threads()));
        connector.setProperty("minSpareThreads", Integer.toString(Math.min(10, s.threads())));
        // an experiment's connector attribute, e.g. BENCH_JVM_EXTRA=-Dbench.tomcat.socket.appWriteBufSize=65536
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("bench.tomcat."))
                .forEach(k -> connector.setProperty(k.substring("bench.tomcat.".length()), System.getProperty(k)));
        tomcat.getService().addConnector(connector);
        tomcat.setConnector(connector);

        Context root = tomcat.addContext("", Files.createDirectories(s.work().resolve("root")).toString());
        Tomcat.addServlet(root, "host-page", new HostPage());
        root.addServletMappingDecoded("/", "host-page");

        switch (s.system()) {
            case "static" -> {
                Context ctx = tomcat.addContext("/grafana", s.docroot().toAbsolutePath().toString());
                Wrapper w = Tomcat.addServlet(ctx, "default", new DefaultServlet());
                w.addInitParameter("listings", "false");
                ctx.addServletMappingDecoded("/", "default");
                Tomcat.addServlet(ctx, "upload", new UploadSink());
                ctx.addServletMappingDecoded("/upload", "upload");
                Tomcat.addDefaultMimeTypeMappings(ctx);
            }
            case "jetty-proxy" -> proxy(tomcat, s, new org.eclipse.jetty.ee10.proxy.ProxyServlet.Transparent(), Map.of(
                    "proxyTo", s.upstream(), "maxConnections", Integer.toString(BenchServer.POOL),
                    // outside Jetty there is no server executor to share: give its HttpClient a pool
                    "maxThreads", "200"));
            case "smiley" -> proxy(tomcat, s, new org.mitre.dsmiley.httpproxy.ProxyServlet(), Map.of(
                    "targetUri", s.upstream(), "http.maxConnections", Integer.toString(BenchServer.POOL)));
            case "war" -> war(tomcat, s);
            default -> throw new IllegalArgumentException("system=" + s.system());
        }
        tomcat.start();
        return () -> {
            tomcat.stop();
            tomcat.destroy();
        };
    }

    private static void proxy(Tomcat tomcat, Settings s, jakarta.servlet.Servlet servlet, Map<String, String> params)
            throws Exception {
        Context ctx = tomcat.addContext("/grafana", Files.createDirectories(s.work().resolve("proxy")).toString());
        Wrapper w = Tomcat.addServlet(ctx, "proxy", servlet);
        w.setAsyncSupported(true);
        params.forEach(w::addInitParameter);
        ctx.addServletMappingDecoded("/*", "proxy");
    }

    /** As Tomcat's deployer does it: web.xml, context.xml and SCIs honoured; params as a context file's. */
    private static void war(Tomcat tomcat, Settings s) {
        StandardContext webapp = new StandardContext();
        webapp.setName("/grafana");
        webapp.setPath("/grafana");
        webapp.setDocBase(s.war().toAbsolutePath().toString());
        webapp.setParentClassLoader(TomcatServer.class.getClassLoader());
        webapp.setContainerSciFilter("org\\.eclipse\\.jetty\\.");
        webapp.setClearReferencesRmiTargets(false);
        webapp.setClearReferencesThreadLocals(false);
        webapp.addLifecycleListener(event -> {
            if (Lifecycle.BEFORE_START_EVENT.equals(event.getType())) {
                Wrapper dflt = Tomcat.addServlet(webapp, "default", "org.apache.catalina.servlets.DefaultServlet");
                dflt.setLoadOnStartup(1);
                dflt.setOverridable(true);
                webapp.addServletMappingDecoded("/", "default");
                Tomcat.addDefaultMimeTypeMappings(webapp);
            }
        });
        ContextConfig config = new ContextConfig();
        config.setDefaultWebXml(Constants.NoDefaultWebXml);
        webapp.addLifecycleListener(config);
        StandardJarScanner scanner = new StandardJarScanner();
        scanner.setScanClassPath(false);
        scanner.setScanManifest(false);
        webapp.setJarScanner(scanner);
        for (Map.Entry<String, String> p : s.contextParams().entrySet()) {
            ApplicationParameter ap = new ApplicationParameter();
            ap.setName(p.getKey());
            ap.setValue(p.getValue());
            ap.setOverride(false);
            webapp.addApplicationParameter(ap);
        }
        tomcat.getHost().addChild(webapp);
    }
}
