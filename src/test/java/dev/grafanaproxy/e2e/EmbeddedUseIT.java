package dev.grafanaproxy.e2e;

import dev.grafanaproxy.testsupport.Containers;
import dev.grafanaproxy.testsupport.GrafanaStandIn;
import dev.grafanaproxy.testsupport.RawHttp;
import dev.grafanaproxy.testsupport.ServletContainer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The filter and servlet used as a plain library inside a host app's own web.xml, mapped at
 * {@code /grafana/*} of a context {@code /app}; and the fail-closed answer when the servlet is
 * registered without the filter in front.
 */
class EmbeddedUseIT {
    private static GrafanaStandIn grafana;

    @BeforeAll
    static void start() throws Exception {
        grafana = new GrafanaStandIn().start();
    }

    @AfterAll
    static void stop() {
        grafana.close();
    }

    /** An exploded host web app: the WAR's classes and libraries, and the given web.xml. */
    private static Path hostApp(Path dir, String webXml) throws IOException {
        Path war = Path.of(System.getProperty("grafana.war", "target/grafana.war"));
        try (ZipFile zip = new ZipFile(war.toFile())) {
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                if (e.isDirectory() || !e.getName().startsWith("WEB-INF/") || e.getName().equals("WEB-INF/web.xml")) {
                    continue;
                }
                Path target = dir.resolve(e.getName());
                Files.createDirectories(target.getParent());
                try (InputStream in = zip.getInputStream(e)) {
                    Files.copy(in, target);
                }
            }
        }
        Files.writeString(dir.resolve("WEB-INF/web.xml"), webXml, StandardCharsets.UTF_8);
        return dir;
    }

    private static String webXml(boolean withFilter) {
        String filter = withFilter ? """
                  <filter><filter-name>grafana-auth</filter-name>
                    <filter-class>dev.grafanaproxy.web.AuthFilter</filter-class><async-supported>true</async-supported></filter>
                  <filter-mapping><filter-name>grafana-auth</filter-name><url-pattern>/grafana/*</url-pattern></filter-mapping>
                """ : "";
        return """
                <?xml version="1.0" encoding="UTF-8"?>
                <web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0" metadata-complete="true">
                  <absolute-ordering/>
                  <context-param><param-name>public_paths</param-name><param-value>/*</param-value></context-param>
                  <context-param><param-name>grafana.strip_prefix</param-name><param-value>true</param-value></context-param>
                  <listener><listener-class>dev.grafanaproxy.web.GrafanaProxyListener</listener-class></listener>
                """ + filter + """
                  <servlet><servlet-name>grafana</servlet-name>
                    <servlet-class>dev.grafanaproxy.proxy.ProxyServlet</servlet-class>
                    <load-on-startup>1</load-on-startup><async-supported>true</async-supported></servlet>
                  <servlet-mapping><servlet-name>grafana</servlet-name><url-pattern>/grafana/*</url-pattern></servlet-mapping>
                </web-app>
                """;
    }

    private static ServletContainer start(Containers kind, Path app) throws Exception {
        return kind.builder().war(app).contextPath("/app").hostApp(false)
                .contextParam("grafana.url", grafana.baseUrl())
                .contextParam("jwt.secret", E2E.SECRET)
                .start();
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void mappedInsideAHostAppTheMountIsContextPlusServletPath(Containers kind, @TempDir Path dir) throws Exception {
        try (ServletContainer c = start(kind, hostApp(dir, webXml(true)))) {
            assertThat(c.isWebappAvailable()).as(c.logText()).isTrue();
            RawHttp.Response r = RawHttp.exchange(c.port(), RawHttp.get("/app/grafana/echo/a%20b?x=1",
                    "X-WEBAUTH-USER: spoof"));
            assertThat(r.status()).isEqualTo(200);
            assertThat(grafana.lastReceived().rawTarget()).isEqualTo("/echo/a%20b?x=1");
            assertThat(grafana.lastReceived().hasHeader("X-WEBAUTH-USER")).isFalse();
            RawHttp.Response moved = RawHttp.exchange(c.port(), RawHttp.get("/app/grafana/redirect-relative?to=/login"));
            assertThat(moved.header("Location")).isEqualTo("/app/grafana/login");
        }
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void theServletWithoutTheFilterFailsClosed(Containers kind, @TempDir Path dir) throws Exception {
        try (ServletContainer c = start(kind, hostApp(dir, webXml(false)))) {
            grafana.clearReceived();
            RawHttp.Response r = RawHttp.exchange(c.port(), RawHttp.get("/app/grafana/echo/x"));
            assertThat(r.status()).isEqualTo(500);
            assertThat(r.bodyText()).isEqualTo(
                    "{\"message\":\"grafana-proxy is misconfigured: the auth filter is not in front of the proxy\"}");
            assertThat(grafana.received()).isEmpty();
        }
    }
}
