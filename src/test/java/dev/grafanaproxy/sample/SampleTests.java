package dev.grafanaproxy.sample;

import dev.grafanaproxy.sample.launcher.SampleLauncher;
import java.nio.file.Path;
import java.util.Set;

/** What the sample's tests share. */
final class SampleTests {

    /**
     * The WebSocket relay (issue 5) is merged: the tests assert that Live is connected through the
     * proxy and that no request failed at all. ({@code false} would assert the old behaviour: the
     * upgrade forwarded as a plain GET, the stand-in's 400, the page saying "not available".)
     */
    static final boolean WEBSOCKET_RELAY_LANDED = true;

    /** The demo dashboard the sample app's iframe shows ({@code app.dashboard_url} in its web.xml). */
    static final String DASHBOARD = "/grafana/d/grafana-proxy-demo/grafana-proxy-demo?orgId=1&kiosk";

    /**
     * The only proxy settings that the demo (launcher and docker-compose.yml) sets on top of the
     * shipped {@code conf/} files: where Grafana and the app's JWKS are, and the groups claim
     * (which the shipped context files leave out).
     */
    static final Set<String> DEPLOYMENT_SPECIFIC_PROXY_KEYS =
            Set.of("grafana.url", "jwt.jwk_set_url", "jwt.groups_attribute_path");

    private SampleTests() {
    }

    /** The demo as the README's first command starts it, on a free port, with the stand-in. */
    static SampleLauncher startDemo() throws Exception {
        String home = System.getProperty("sample.home", "webapp-sample");
        return SampleLauncher.start(new SampleLauncher.Options("127.0.0.1", 0, Path.of(home), null));
    }
}
