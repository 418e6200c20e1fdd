package dev.grafanaproxy.distros;

import com.nimbusds.jose.jwk.RSAKey;
import dev.grafanaproxy.testsupport.ConfFiles;
import dev.grafanaproxy.testsupport.Distribution;
import dev.grafanaproxy.testsupport.DistributionServer;
import dev.grafanaproxy.testsupport.GrafanaStandIn;
import dev.grafanaproxy.testsupport.HostAppServlet;
import dev.grafanaproxy.testsupport.JwksServer;
import dev.grafanaproxy.testsupport.Nginx;
import dev.grafanaproxy.testsupport.RawHttp;
import dev.grafanaproxy.testsupport.ReceivedRequest;
import dev.grafanaproxy.testsupport.TestData;
import dev.grafanaproxy.testsupport.TestKeys;
import org.junit.jupiter.api.Test;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static dev.grafanaproxy.testsupport.ConfFiles.GRAFANA_URL;
import static dev.grafanaproxy.testsupport.ConfFiles.JWKS_URL;
import static dev.grafanaproxy.testsupport.ConfFiles.placeholders;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Scale-out: two Tomcat 11 instances, each with the host app and the WAR (configured by conf/'s
 * context file, and the README's {@code RemoteIpValve}), behind nginx as a TLS-terminating
 * round-robin load balancer configured by {@code conf/nginx/grafana-proxy.conf}. One login, then
 * requests alternate between the instances with the same cookie: every one is authenticated,
 * every download streams through intact, and no instance needs to have seen the session before.
 */
class ScaleOutIT {

    @Test
    void twoTomcatsBehindNginxRoundRobinServeOneSessionWithoutStickiness() throws Exception {
        Distribution.assumeAvailable();
        Nginx.assumeInstalled();
        RSAKey key = TestKeys.rsa();
        try (GrafanaStandIn grafana = new GrafanaStandIn().start(); JwksServer jwks = JwksServer.start(key)) {
            Smoke smoke = new Smoke(grafana);
            String token = smoke.token(key);
            Map<String, String> values = placeholders(GRAFANA_URL, grafana.baseUrl(), JWKS_URL, jwks.url().toString());
            try (DistributionServer a = instance("a", values); DistributionServer b = instance("b", values)) {
                int lbPort = DistributionServer.freePort();
                Path dir = a.base().resolveSibling("nginx-scale-out");
                Path cert = dir.resolve("tls/app.example.com.pem");
                Path certKey = dir.resolve("tls/app.example.com.key");
                Files.createDirectories(cert.getParent());
                RSAKey tlsKey = TestKeys.rsa();
                Files.writeString(cert, TestKeys.certificatePem(tlsKey));
                Files.writeString(certKey, TestKeys.pkcs8Pem(tlsKey));
                String site = ConfFiles.fill(ConfFiles.NGINX, placeholders(
                        "server 10.0.0.11:8080;", "server 127.0.0.1:" + a.port() + ";",
                        "server 10.0.0.12:8080;", "server 127.0.0.1:" + b.port() + ";",
                        "listen 443 ssl;", "listen 127.0.0.1:" + lbPort + " ssl;",
                        "/etc/ssl/certs/app.example.com.pem", cert.toString(),
                        "/etc/ssl/private/app.example.com.key", certKey.toString()));

                try (Nginx nginx = Nginx.start(dir, site, lbPort)) {
                    // one login at the host app, on whichever instance nginx picks
                    byte[] form = ("token=" + token).getBytes(StandardCharsets.US_ASCII);
                    RawHttp.Response login;
                    try (RawHttp c = RawHttp.connectTls(lbPort)) {
                        c.send(request("POST", "/login", "Content-Type: application/x-www-form-urlencoded",
                                "Content-Length: " + form.length)).send(form);
                        login = c.readResponse();
                    }
                    assertThat(login.status()).as(nginx.errorLog()).isEqualTo(303);
                    String setCookie = login.header("Set-Cookie");
                    assertThat(setCookie).startsWith(HostAppServlet.COOKIE + "=");
                    String cookie = setCookie.substring(0, setCookie.indexOf(';'));

                    // the same cookie on alternating instances: authenticated every time, https to Grafana
                    int rounds = 8;
                    for (int i = 0; i < rounds; i++) {
                        grafana.clearReceived();
                        RawHttp.Response r = RawHttp.exchangeTls(lbPort, request("GET", "/grafana/echo/round/" + i,
                                "Cookie: " + cookie, "Accept: application/json"));
                        assertThat(r.status()).as("round %d: %s", i, r.bodyText()).isEqualTo(200);
                        ReceivedRequest got = grafana.lastReceived();
                        Smoke.assertIdentity(got);
                        assertThat(got.headers("Host")).containsExactly("app.example.com");
                        assertThat(got.headers("X-Forwarded-Proto")).containsExactly("https");
                        assertThat(got.headers("X-Forwarded-Host")).containsExactly("app.example.com");
                        assertThat(got.headers("Cookie")).isEmpty();
                    }
                    // streamed downloads alternate too, each intact
                    long size = 16L << 20;
                    for (int i = 0; i < 4; i++) {
                        try (RawHttp c = RawHttp.connectTls(lbPort)) {
                            c.send(request("GET", "/grafana/large?bytes=" + size + "&download=" + i, "Cookie: " + cookie));
                            RawHttp.StreamingResponse r = c.readResponseHead();
                            assertThat(r.status()).isEqualTo(200);
                            assertThat(TestData.sha256(r.body())).isEqualTo(TestData.sha256(size));
                            assertThat(r.complete()).isTrue();
                        }
                    }
                    // nginx passes each chunk on as it comes (proxy_buffering off)
                    try (RawHttp c = RawHttp.connectTls(lbPort)) {
                        long start = System.nanoTime();
                        c.send(request("GET", "/grafana/drip?chunks=3&intervalMs=700&size=16", "Cookie: " + cookie));
                        RawHttp.StreamingResponse r = c.readResponseHead();
                        assertThat(r.status()).isEqualTo(200);
                        assertThat(r.body().read()).isNotEqualTo(-1);
                        assertThat((System.nanoTime() - start) / 1_000_000).as("first chunk through nginx at once").isLessThan(1000);
                    }
                    // without a session a browser goes to the host app's login with the public https URL
                    RawHttp.Response redirect = RawHttp.exchangeTls(lbPort, request("GET", "/grafana/d/abc?orgId=1",
                            "Accept: text/html"));
                    assertThat(redirect.status()).isEqualTo(302);
                    assertThat(redirect.header("Location")).isEqualTo("/login?next="
                            + URLEncoder.encode("https://app.example.com/grafana/d/abc?orgId=1", StandardCharsets.UTF_8));

                    List<String> upstreams = upstreamsOf(nginx, "/grafana/echo/round/");
                    String ua = "127.0.0.1:" + a.port();
                    String ub = "127.0.0.1:" + b.port();
                    assertThat(upstreams).as("round-robin").hasSize(rounds).containsOnly(ua, ub);
                    for (int i = 1; i < upstreams.size(); i++) {
                        assertThat(upstreams.get(i)).as("request %d went to the other instance", i).isNotEqualTo(upstreams.get(i - 1));
                    }
                    assertThat(upstreamsOf(nginx, "/grafana/large")).containsOnly(ua, ub).contains(ua, ub);
                }
                assertThat(a.stop()).isTrue();
                assertThat(b.stop()).isTrue();
                smoke.assertCleanLogs(a);
                smoke.assertCleanLogs(b);
            }
        }
    }

    private static DistributionServer instance(String name, Map<String, String> values) throws Exception {
        return DistributionServer.builder(Distribution.TOMCAT_11).name("scale-out-" + name).contextFile(values)
                .serverXml(DistributionIT.Readme::withRemoteIpValve).start();
    }

    /** The upstream of each request whose URI starts with {@code prefix}, in order. */
    private static List<String> upstreamsOf(Nginx nginx, String prefix) throws Exception {
        List<String> result = new ArrayList<>();
        for (String line : nginx.accessLog()) {
            String[] f = line.split(" ");
            if (f.length >= 4 && f[1].startsWith(prefix)) {
                result.add(f[3]);
            }
        }
        return result.stream().collect(Collectors.toList());
    }

    private static String request(String method, String target, String... headers) {
        StringBuilder sb = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: app.example.com\r\n");
        for (String h : headers) {
            sb.append(h).append("\r\n");
        }
        return sb.append("\r\n").toString();
    }
}
