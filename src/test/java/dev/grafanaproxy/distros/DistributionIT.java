package dev.grafanaproxy.distros;

import com.nimbusds.jose.jwk.RSAKey;
import dev.grafanaproxy.testsupport.ConfFiles;
import dev.grafanaproxy.testsupport.Distribution;
import dev.grafanaproxy.testsupport.DistributionServer;
import dev.grafanaproxy.testsupport.GrafanaStandIn;
import dev.grafanaproxy.testsupport.HostAppServlet;
import dev.grafanaproxy.testsupport.JwksServer;
import dev.grafanaproxy.testsupport.RawHttp;
import dev.grafanaproxy.testsupport.ReceivedRequest;
import dev.grafanaproxy.testsupport.TestKeys;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static dev.grafanaproxy.testsupport.ConfFiles.GRAFANA_URL;
import static dev.grafanaproxy.testsupport.ConfFiles.JWKS_URL;
import static dev.grafanaproxy.testsupport.ConfFiles.placeholders;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The WAR dropped, unchanged, into the real Tomcat 10.1, Tomcat 11 and Jetty 12 distributions, each
 * running as its own process in a fresh base, configured only the way the README tells users to:
 * the context file from {@code conf/} (placeholders filled in), or environment variables. A
 * {@code ROOT} host app runs next to it. Against the Grafana stand-in and a JWKS endpoint with a
 * real RSA key, all on loopback.
 */
class DistributionIT {
    private static GrafanaStandIn grafana;
    private static JwksServer jwks;
    private static RSAKey key;

    @BeforeAll
    static void startUpstreams() {
        Distribution.assumeAvailable();
        grafana = new GrafanaStandIn().start();
        key = TestKeys.rsa();
        jwks = JwksServer.start(key);
    }

    @AfterAll
    static void stopUpstreams() {
        if (grafana != null) {
            grafana.close();
        }
        if (jwks != null) {
            jwks.close();
        }
    }

    @BeforeEach
    void clear() {
        grafana.start();
        grafana.clearReceived();
    }

    /** conf/'s context file for this distribution, pointed at the stand-in and the JWKS endpoint. */
    private static Map<String, String> realValues() {
        return placeholders(GRAFANA_URL, grafana.baseUrl(), JWKS_URL, jwks.url().toString());
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Distribution.class)
    void theWarConfiguredByTheContextFileFromConfWorksEndToEndNextToTheHostApp(Distribution distribution) throws Exception {
        Smoke smoke = new Smoke(grafana);
        String token = smoke.token(key);
        String foreign = TestKeys.jwt().subject("alice").issuer(ConfFiles.ISSUER).audience(ConfFiles.AUDIENCE).sign(TestKeys.rsa());
        try (DistributionServer server = DistributionServer.builder(distribution).name("smoke").contextFile(realValues()).start()) {
            int port = server.port();
            Smoke.assertHostAppAtRoot(port);
            smoke.assertPublicPathStripsSpoofedIdentity(port);

            String cookie = Smoke.loginAtHostApp(port, token); // the host app's cookie, Path=/
            smoke.assertAuthenticated(port, cookie);
            smoke.assertBearer(port, token);
            smoke.assertUnauthenticated(port, foreign);
            Smoke.assertBrowserRedirectedToLogin(port);
            Smoke.assertStreaming(port, cookie, 48L << 20);
            smoke.assertBadGatewayWhileGrafanaIsDown(port, cookie);
            // WEBSOCKET HOOK: see webSocketUpgradeIsRelayed below

            assertThat(server.logText()).contains("grafana-proxy configured at /grafana");
            assertThat(server.stop()).as("graceful stop on SIGTERM to pid").isTrue();
            smoke.assertCleanLogs(server);
        }
    }

    /**
     * WEBSOCKET HOOK (issue 5, Grafana Live): enable once the WebSocket relay is on main. It opens
     * {@code /grafana/api/live/ws} through each real server with the host app's cookie and expects
     * the relay to carry a text frame both ways and the close code back. Adjust the stand-in end
     * (the route that echoes frames) to what the relay's own tests use, then remove {@code @Disabled}.
     */
    @Disabled("issue 5 (WebSocket relay for Grafana Live) has not landed yet: enable when it has")
    @ParameterizedTest(name = "{0}")
    @EnumSource(Distribution.class)
    void webSocketUpgradeIsRelayed(Distribution distribution) throws Exception {
        Smoke smoke = new Smoke(grafana);
        String token = smoke.token(key);
        try (DistributionServer server = DistributionServer.builder(distribution).name("websocket").contextFile(realValues()).start()) {
            String cookie = Smoke.loginAtHostApp(server.port(), token);
            CompletableFuture<String> echoed = new CompletableFuture<>();
            CompletableFuture<Integer> closed = new CompletableFuture<>();
            WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
                    .header("Cookie", cookie)
                    .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/grafana/api/live/ws"), new WebSocket.Listener() {
                        @Override
                        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                            echoed.complete(data.toString());
                            webSocket.request(1);
                            return null;
                        }

                        @Override
                        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
                            closed.complete(statusCode);
                            return null;
                        }
                    }).get(10, TimeUnit.SECONDS);
            ws.sendText("{\"id\":1,\"connect\":{}}", true).get(10, TimeUnit.SECONDS);
            assertThat(echoed.get(10, TimeUnit.SECONDS)).contains("\"id\":1");
            ws.sendClose(4001, "bye").get(10, TimeUnit.SECONDS);
            assertThat(closed.get(10, TimeUnit.SECONDS)).isEqualTo(4001);
            assertThat(server.stop()).isTrue();
            smoke.assertCleanLogs(server);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Distribution.class)
    void aBadValueInTheContextFileLeavesTheServerRunningAndTheWarUndeployedWithOneLineNamingTheKey(Distribution distribution)
            throws Exception {
        Map<String, String> bad = placeholders(GRAFANA_URL, "ftp://grafana.internal", JWKS_URL, jwks.url().toString());
        try (DistributionServer server = DistributionServer.builder(distribution).name("bad-value").contextFile(bad).start()) {
            Smoke.assertHostAppAtRoot(server.port());
            RawHttp.Response r = server.exchange(RawHttp.get("/grafana/api/health"));
            assertThat(r.status()).as("the WAR is not deployed: %s", r.bodyText()).isIn(404, 503);
            assertThat(grafana.received()).isEmpty();

            assertThat(server.stop()).isTrue();
            // Tomcat's console repeats what JULI writes to logs/catalina.<date>.log: count in the main log
            List<String> lines = server.logLines(server.mainLog()).stream()
                    .filter(l -> l.contains("grafana-proxy configuration error")).collect(Collectors.toList());
            assertThat(lines).as(server.logText()).hasSize(1);
            assertThat(lines.get(0)).contains("/grafana will not start").contains("grafana.url")
                    .contains("\"ftp://grafana.internal\"").contains("expected an http or https URL");
        }
    }

    /** The WAR alone in a Tomcat, every key from {@code GRAFANA_PROXY_*} environment variables. */
    @Test
    void environmentVariablesAloneConfigureTheWar() throws Exception {
        Smoke smoke = new Smoke(grafana);
        String token = smoke.token(key);
        try (DistributionServer server = DistributionServer.builder(Distribution.TOMCAT_10_1).name("env")
                .env("GRAFANA_PROXY_GRAFANA_URL", grafana.baseUrl())
                .env("GRAFANA_PROXY_JWT_JWK_SET_URL", jwks.url().toString())
                .env("GRAFANA_PROXY_JWT_COOKIE_NAME", HostAppServlet.COOKIE)
                .env("GRAFANA_PROXY_JWT_ISSUER", ConfFiles.ISSUER)
                .env("GRAFANA_PROXY_JWT_AUDIENCE", ConfFiles.AUDIENCE)
                .env("GRAFANA_PROXY_JWT_ROLE_ATTRIBUTE_PATH", "contains(roles[*], 'editor') && 'Editor' || 'Viewer'")
                .start()) {
            assertThat(server.base().resolve("conf/Catalina/localhost/grafana.xml")).doesNotExist();
            smoke.assertAuthenticated(server.port(), Smoke.loginAtHostApp(server.port(), token));
            smoke.assertUnauthenticated(server.port(), TestKeys.jwt().sign(TestKeys.rsa()));
            assertThat(server.stop()).isTrue();
            smoke.assertCleanLogs(server);
        }
    }

    /** conf/grafana-proxy.properties named by {@code GRAFANA_PROXY_CONFIG_FILE}, the WAR alone in a Tomcat. */
    @Test
    void thePropertiesFileFromConfNamedByTheEnvironment() throws Exception {
        Smoke smoke = new Smoke(grafana);
        String token = smoke.token(key);
        try (DistributionServer server = DistributionServer.builder(Distribution.TOMCAT_11).name("properties")
                .file("grafana-proxy.properties", ConfFiles.fill(ConfFiles.PROPERTIES, realValues()))
                .env("GRAFANA_PROXY_CONFIG_FILE", DistributionServer.BASE + "/grafana-proxy.properties")
                .start()) {
            smoke.assertAuthenticated(server.port(), Smoke.loginAtHostApp(server.port(), token));
            assertThat(server.stop()).isTrue();
            smoke.assertCleanLogs(server);
        }
    }

    /**
     * conf/grafana-proxy-hs256.properties (HS256, the secret from {@code ${env:APP_JWT_SECRET}}) in
     * Jetty, the WAR alone in {@code webapps/} (mounted at {@code /grafana} by its name).
     */
    @Test
    void theHs256PropertiesFileWithTheSecretFromTheEnvironment() throws Exception {
        Smoke smoke = new Smoke(grafana);
        String secret = smoke.remember(TestKeys.secret(48));
        String token = smoke.remember(TestKeys.jwt().subject(Smoke.USER).issuer(ConfFiles.ISSUER).audience(ConfFiles.AUDIENCE)
                .claim("email", Smoke.EMAIL).claim("name", Smoke.NAME).claim("role", Smoke.ROLE).sign(TestKeys.hmac(secret)));
        try (DistributionServer server = DistributionServer.builder(Distribution.JETTY_12).name("hs256")
                .file("etc/grafana-proxy-hs256.properties",
                        ConfFiles.fill(ConfFiles.PROPERTIES_HS256, placeholders(GRAFANA_URL, grafana.baseUrl())))
                .env("GRAFANA_PROXY_CONFIG_FILE", DistributionServer.BASE + "/etc/grafana-proxy-hs256.properties")
                .env("APP_JWT_SECRET", secret)
                .start()) {
            smoke.assertAuthenticated(server.port(), Smoke.loginAtHostApp(server.port(), token));
            assertThat(server.stop()).isTrue();
            smoke.assertCleanLogs(server);
        }
    }

    /**
     * Behind a TLS-terminating load balancer, configured as the README says (Tomcat: its
     * {@code RemoteIpValve} in {@code server.xml}; Jetty: the {@code forwarded} module): Grafana
     * hears {@code https} and the public host, and the login redirect names the public URL.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Distribution.class)
    void behindATlsTerminatingLoadBalancerGrafanaHearsHttpsAndThePublicHost(Distribution distribution) throws Exception {
        Smoke smoke = new Smoke(grafana);
        String token = smoke.token(key);
        DistributionServer.Builder b = DistributionServer.builder(distribution).name("behind-lb").contextFile(realValues());
        if (distribution.isTomcat()) {
            b.serverXml(Readme::withRemoteIpValve);
        } else {
            b.jettyModules(Readme.jettyForwardedModule());
        }
        try (DistributionServer server = b.start()) {
            String[] asTheLoadBalancerSends = {"Host: grafana.example.com", "X-Forwarded-Proto: https",
                    "X-Forwarded-For: 203.0.113.7", "Cookie: " + HostAppServlet.COOKIE + "=" + token};
            RawHttp.Response r = server.exchange(request("GET", "/grafana/echo/lb", asTheLoadBalancerSends));
            assertThat(r.status()).isEqualTo(200);
            ReceivedRequest got = grafana.lastReceived();
            assertThat(got.headers("X-Forwarded-Proto")).containsExactly("https");
            assertThat(got.headers("X-Forwarded-Host")).containsExactly("grafana.example.com");
            assertThat(got.headers("Host")).containsExactly("grafana.example.com");
            // Tomcat's valve consumes the balancer's X-Forwarded-For, the proxy appends the browser's
            // address: "203.0.113.7". Jetty's customizer leaves the header in place while it also makes
            // the browser the remote address, so the proxy's append repeats it: "203.0.113.7, 203.0.113.7".
            assertThat(got.headers("X-Forwarded-For")).hasSize(1);
            assertThat(got.header("X-Forwarded-For")).as("the browser comes first").startsWith("203.0.113.7");
            Smoke.assertIdentity(got);

            RawHttp.Response login = server.exchange(request("GET", "/grafana/d/x?orgId=1", "Host: grafana.example.com",
                    "X-Forwarded-Proto: https", "X-Forwarded-For: 203.0.113.7", "Accept: text/html"));
            assertThat(login.status()).isEqualTo(302);
            assertThat(login.header("Location")).isEqualTo("/login?next="
                    + java.net.URLEncoder.encode("https://grafana.example.com/grafana/d/x?orgId=1", StandardCharsets.UTF_8));
            assertThat(server.stop()).isTrue();
            smoke.assertCleanLogs(server);
        }
    }

    private static String request(String method, String target, String... headers) {
        StringBuilder sb = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n");
        for (String h : headers) {
            sb.append(h).append("\r\n");
        }
        return sb.append("\r\n").toString();
    }

    /** What the README tells users about load balancers, read from it so that the test follows the docs. */
    static final class Readme {
        private static final Pattern VALVE = Pattern.compile("(<Valve className=\"org\\.apache\\.catalina\\.valves\\.RemoteIpValve\"[^>]*/>)");
        private static final Pattern JETTY_MODULE = Pattern.compile("--add-modules=(forwarded)\\b");

        static String text() {
            try {
                return java.nio.file.Files.readString(Distribution.confDir().toAbsolutePath().getParent().resolve("README.md"),
                        StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        /** server.xml with the README's RemoteIpValve as the first valve of the Host. */
        static String withRemoteIpValve(String serverXml) {
            Matcher m = VALVE.matcher(text());
            if (!m.find()) {
                throw new IllegalStateException("README.md shows no RemoteIpValve");
            }
            Matcher host = Pattern.compile("<Host name=\"localhost\"[^>]*>").matcher(serverXml);
            if (!host.find()) {
                throw new IllegalStateException("server.xml has no localhost Host");
            }
            return serverXml.substring(0, host.end()) + "\n        " + m.group(1) + serverXml.substring(host.end());
        }

        /** The module the README tells Jetty users to add. */
        static String jettyForwardedModule() {
            Matcher m = JETTY_MODULE.matcher(text());
            if (!m.find()) {
                throw new IllegalStateException("README.md does not tell Jetty users to add the forwarded module");
            }
            return m.group(1);
        }
    }
}
