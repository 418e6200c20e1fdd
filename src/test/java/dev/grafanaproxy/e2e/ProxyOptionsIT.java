package dev.grafanaproxy.e2e;

import dev.grafanaproxy.testsupport.Containers;
import dev.grafanaproxy.testsupport.GrafanaStandIn;
import dev.grafanaproxy.testsupport.RawHttp;
import dev.grafanaproxy.testsupport.ReceivedRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The non-default forwarding options: {@code grafana.strip_prefix=true} (Grafana serves from its
 * root; the proxy moves paths, locations and cookie paths under the mount) and
 * {@code proxy.preserve_host=false} (Grafana gets its own host; the client's stays in X-Forwarded-Host).
 */
class ProxyOptionsIT {
    private static E2E e2e;
    private static GrafanaStandIn grafana;

    @BeforeAll
    static void start() throws Exception {
        e2e = new E2E(p -> {
            p.put("public_paths", "/*");
            p.put("grafana.strip_prefix", "true");
            p.put("proxy.preserve_host", "false");
        });
        grafana = e2e.grafana;
    }

    @AfterAll
    static void stop() {
        e2e.close();
    }

    @BeforeEach
    void clear() {
        grafana.clearReceived();
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void pathsLoseTheMountOnTheWayInAndRegainItOnTheWayOut(Containers kind) throws Exception {
        int port = e2e.server(kind).port();
        RawHttp.Response r = RawHttp.exchange(port, RawHttp.get("/grafana/echo/a%20b?x=1+2"));
        assertThat(r.status()).isEqualTo(200);
        ReceivedRequest got = grafana.lastReceived();
        assertThat(got.rawTarget()).isEqualTo("/echo/a%20b?x=1+2");
        assertThat(got.hadGrafanaPrefix()).isFalse();

        RawHttp.Response rel = RawHttp.exchange(port, RawHttp.get("/grafana/redirect-relative?to=/login"));
        assertThat(rel.header("Location")).isEqualTo("/grafana/login");
        RawHttp.Response under = RawHttp.exchange(port, RawHttp.get("/grafana/redirect-relative?to=/grafana/d/x"));
        assertThat(under.header("Location")).as("already under the mount: left alone").isEqualTo("/grafana/d/x");
        RawHttp.Response abs = RawHttp.exchange(port, RawHttp.get("/grafana/redirect?to=/login"));
        assertThat(abs.header("Location")).isEqualTo("http://127.0.0.1/grafana/login");

        RawHttp.Response cookies = RawHttp.exchange(port, RawHttp.get("/grafana/cookie"));
        assertThat(cookies.headers("Set-Cookie"))
                .containsExactly("grafana_session=abc; Path=/grafana/; HttpOnly", "other=1; Path=/grafana/; HttpOnly");
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void withoutPreserveHostGrafanaGetsItsOwnHost(Containers kind) throws Exception {
        RawHttp.Response r = RawHttp.exchange(e2e.server(kind).port(),
                "GET /grafana/echo/h HTTP/1.1\r\nHost: app.example.com\r\n\r\n");
        assertThat(r.status()).isEqualTo(200);
        ReceivedRequest got = grafana.lastReceived();
        assertThat(got.headers("Host")).containsExactly("127.0.0.1:" + grafana.port());
        assertThat(got.headers("X-Forwarded-Host")).containsExactly("app.example.com");
    }
}
