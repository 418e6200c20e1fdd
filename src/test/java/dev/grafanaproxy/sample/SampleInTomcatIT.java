package dev.grafanaproxy.sample;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.grafanaproxy.sample.launcher.DemoGrafana;
import dev.grafanaproxy.testsupport.Containers;
import dev.grafanaproxy.testsupport.ServletContainer;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.catalina.Lifecycle;
import org.apache.catalina.Wrapper;
import org.apache.catalina.core.StandardContext;
import org.apache.catalina.startup.Constants;
import org.apache.catalina.startup.ContextConfig;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.scan.StandardJarScanner;
import org.junit.jupiter.api.Test;

/**
 * What {@code webapp-sample/docker-compose.yml} deploys, without Docker: Tomcat 11 with the sample
 * app at {@code /} (its web.xml, as in {@code ROOT.war}) and {@code grafana.war} at {@code /grafana}
 * with the {@code <Parameter>}s of the shipped {@code conf/Catalina/localhost/grafana.xml} plus the
 * compose file's overrides; the demo stand-in takes Grafana's place.
 */
class SampleInTomcatIT {

    @Test
    void theComposeDeploymentWorksInTomcat() throws Exception {
        // the stand-in first: a port picked before it starts could be handed to it as well
        try (DemoGrafana grafana = DemoGrafana.start()) {
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            Map<String, String> params = new LinkedHashMap<>(ContextParams.tomcat());
            params.put("grafana.url", grafana.baseUrl());
            params.put("jwt.jwk_set_url", "http://127.0.0.1:" + port + "/.well-known/jwks.json");
            params.put("jwt.groups_attribute_path", "groups");
            assertThat(params.keySet()).containsAll(SampleTests.DEPLOYMENT_SPECIFIC_PROXY_KEYS);
            try (ServletContainer tomcat = Containers.TOMCAT.builder().port(port).hostApp(false).contextParams(params)
                    .tomcatCustomizer(SampleInTomcatIT::addSampleApp).start()) {
                assertThat(tomcat.isWebappAvailable()).as(String.join("\n", tomcat.logLines())).isTrue();
                String base = "http://localhost:" + port;
                HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

                HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(URI.create(base + SampleTests.DASHBOARD))
                        .header("Accept", "text/html").build(), HttpResponse.BodyHandlers.ofString());
                assertThat(anonymous.statusCode()).isEqualTo(302);
                assertThat(anonymous.headers().firstValue("Location")).hasValue(
                        "/login?next=" + URLEncoder.encode(base + SampleTests.DASHBOARD, StandardCharsets.UTF_8));

                HttpResponse<String> login = http.send(HttpRequest.newBuilder(URI.create(base + "/login"))
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString("username=carol&password=demo&next="
                                + URLEncoder.encode(base + SampleTests.DASHBOARD, StandardCharsets.UTF_8)))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(login.statusCode()).isEqualTo(303);
                assertThat(login.headers().firstValue("Location")).hasValue(SampleTests.DASHBOARD);
                String cookie = login.headers().firstValue("Set-Cookie").orElseThrow();
                assertThat(cookie).matches("app_session=[A-Za-z0-9_.-]+; Max-Age=3600; Path=/; HttpOnly; SameSite=Lax");
                String session = cookie.substring(0, cookie.indexOf(';'));

                HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(base + "/dashboard"))
                        .header("Cookie", session).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(page.statusCode()).isEqualTo(200);
                assertThat(page.body()).contains("<iframe id=\"grafana\" title=\"Grafana dashboard\" src=\""
                        + SampleTests.DASHBOARD.replace("&", "&amp;") + "\"></iframe>");
                HttpResponse<String> css = http.send(HttpRequest.newBuilder(URI.create(base + "/static/app.css")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(css.statusCode()).isEqualTo(200);

                HttpResponse<String> user = http.send(HttpRequest.newBuilder(URI.create(base + "/grafana/api/user/orgs"))
                        .header("Cookie", session).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(user.statusCode()).isEqualTo(200);
                assertThat(new ObjectMapper().readTree(user.body()).get(0).get("role").asText()).isEqualTo("Admin");
                HttpResponse<String> grafanaPage = http.send(HttpRequest.newBuilder(URI.create(base + SampleTests.DASHBOARD))
                        .header("Cookie", session).header("Accept", "text/html").build(), HttpResponse.BodyHandlers.ofString());
                assertThat(grafanaPage.statusCode()).isEqualTo(200);
                assertThat(grafanaPage.body()).contains("<dd id=\"user-login\">carol</dd>",
                        "<dd id=\"user-groups\">platform, engineering</dd>").doesNotContain("app_session");
            }
        }
    }

    /** The sample app from its web app directory, deployed like ROOT.war (web.xml, default servlet). */
    private static void addSampleApp(Tomcat tomcat) {
        StandardContext app = new StandardContext();
        app.setName("");
        app.setPath("");
        app.setDocBase(ContextParams.SAMPLE.resolve("src/main/webapp").toString());
        app.setParentClassLoader(SampleInTomcatIT.class.getClassLoader());
        app.setClearReferencesRmiTargets(false);
        app.setClearReferencesThreadLocals(false);
        app.setContainerSciFilter("org\\.eclipse\\.jetty\\."); // as in testsupport's EmbeddedTomcat: no Jetty in a Tomcat
        app.addLifecycleListener(event -> {
            if (Lifecycle.BEFORE_START_EVENT.equals(event.getType())) {
                Wrapper dflt = Tomcat.addServlet(app, "default", "org.apache.catalina.servlets.DefaultServlet");
                dflt.setLoadOnStartup(1);
                dflt.setOverridable(true);
                app.addServletMappingDecoded("/", "default");
                Tomcat.addDefaultMimeTypeMappings(app);
            }
        });
        ContextConfig config = new ContextConfig();
        config.setDefaultWebXml(Constants.NoDefaultWebXml);
        app.addLifecycleListener(config);
        StandardJarScanner scanner = new StandardJarScanner();
        scanner.setScanClassPath(false);
        scanner.setScanManifest(false);
        app.setJarScanner(scanner);
        tomcat.getHost().addChild(app);
    }
}
