package dev.grafanaproxy.testsupport;

import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipFile;
import org.apache.catalina.Lifecycle;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.Wrapper;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.core.StandardContext;
import org.apache.catalina.startup.Constants;
import org.apache.catalina.startup.ContextConfig;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.ApplicationParameter;
import org.apache.tomcat.util.scan.StandardJarScanner;

/**
 * Tomcat 11 with the WAR deployed as a context with a {@link ContextConfig}, the way the host's
 * deployer would (its {@code web.xml}, annotations, {@code META-INF/context.xml} and
 * {@code ServletContainerInitializer}s honoured, the WAR unpacked under the app base). Instead of
 * {@code conf/web.xml} it gets the default servlet and MIME types, but no JSP (so no Jasper).
 */
final class EmbeddedTomcat extends AbstractServletContainer {

    private Tomcat tomcat;
    private Connector connector;
    private StandardContext webapp;

    EmbeddedTomcat(Settings settings) {
        super(settings);
    }

    @Override
    protected void doStart(Path baseDir) throws Exception {
        tomcat = new Tomcat();
        tomcat.setBaseDir(baseDir.toString());
        Path appBase = Files.createDirectories(baseDir.resolve("webapps"));
        tomcat.getHost().setAppBase(appBase.toString());
        tomcat.getHost().setAutoDeploy(false);

        connector = new Connector("HTTP/1.1");
        connector.setPort(settings.port());
        connector.setProperty("address", "127.0.0.1");
        connector.setProperty("maxThreads", Integer.toString(settings.maxThreads()));
        connector.setProperty("minSpareThreads", Integer.toString(Math.min(settings.maxThreads(), 2)));
        tomcat.getService().addConnector(connector);
        tomcat.setConnector(connector);

        if (settings.hostApp()) {
            Path rootDocs = Files.createDirectories(baseDir.resolve("root-docs"));
            StandardContext root = (StandardContext) tomcat.addContext("", rootDocs.toString());
            quietLeakChecks(root);
            Tomcat.addServlet(root, "ping", new HostApp.Ping());
            root.addServletMappingDecoded("/ping", "ping");
            Tomcat.addServlet(root, "set-cookie", new HostApp.SetCookie());
            root.addServletMappingDecoded("/set-cookie", "set-cookie");
        }

        webapp = new StandardContext();
        webapp.setName(settings.contextPath());
        webapp.setPath(settings.contextPath());
        webapp.setDocBase(settings.war().toAbsolutePath().toString());
        webapp.setParentClassLoader(EmbeddedTomcat.class.getClassLoader());
        // Jetty's WebSocket initializer is on the shared test class path too; it is not Tomcat's.
        webapp.setContainerSciFilter("org\\.eclipse\\.jetty\\.");
        quietLeakChecks(webapp);
        URL contextXml = contextXml(settings.war());
        if (contextXml != null) {
            webapp.setConfigFile(contextXml);
        }
        // What a real Tomcat's conf/web.xml would add, minus the JSP servlet.
        webapp.addLifecycleListener(event -> {
            if (Lifecycle.BEFORE_START_EVENT.equals(event.getType())) {
                Wrapper dflt = Tomcat.addServlet(webapp, "default", "org.apache.catalina.servlets.DefaultServlet");
                dflt.setLoadOnStartup(1);
                dflt.setOverridable(true);
                webapp.addServletMappingDecoded("/", "default");
                Tomcat.addDefaultMimeTypeMappings(webapp);
                webapp.addWelcomeFile("index.html");
            }
        });
        ContextConfig config = new ContextConfig();
        config.setDefaultWebXml(Constants.NoDefaultWebXml);
        webapp.addLifecycleListener(config);
        // Scanning the whole test class path for fragments would be slow and unlike a real Tomcat.
        StandardJarScanner scanner = new StandardJarScanner();
        scanner.setScanClassPath(false);
        scanner.setScanManifest(false);
        webapp.setJarScanner(scanner);
        for (Map.Entry<String, String> p : settings.contextParams().entrySet()) {
            // as <Parameter override="false"> in conf/Catalina/localhost/grafana.xml: wins over web.xml
            ApplicationParameter ap = new ApplicationParameter();
            ap.setName(p.getKey());
            ap.setValue(p.getValue());
            ap.setOverride(false);
            webapp.addApplicationParameter(ap);
        }
        tomcat.getHost().addChild(webapp);
        settings.tomcatCustomizer().accept(tomcat);
        tomcat.start(); // a failing web app is logged and left stopped, the server runs on
    }

    /** These leak checks need {@code --add-opens} and otherwise only warn about it on every stop. */
    private static void quietLeakChecks(StandardContext ctx) {
        ctx.setClearReferencesRmiTargets(false);
        ctx.setClearReferencesThreadLocals(false);
    }

    private static URL contextXml(Path war) throws IOException {
        if (Files.isDirectory(war)) {
            Path p = war.resolve("META-INF/context.xml");
            return Files.exists(p) ? p.toUri().toURL() : null;
        }
        try (ZipFile zip = new ZipFile(war.toFile())) {
            return zip.getEntry("META-INF/context.xml") == null ? null
                    : new URL("jar:" + war.toAbsolutePath().toUri() + "!/META-INF/context.xml");
        }
    }

    @Override
    protected void doStop() throws Exception {
        if (tomcat != null) {
            tomcat.stop();
            tomcat.destroy();
            tomcat = null;
        }
    }

    @Override
    public int port() {
        return connector == null ? -1 : connector.getLocalPort();
    }

    @Override
    public boolean isWebappAvailable() {
        return webapp != null && webapp.getState() == LifecycleState.STARTED;
    }
}
