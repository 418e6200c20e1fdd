package dev.grafanaproxy.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.grafanaproxy.sample.launcher.SampleLauncher.Options;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** How the launcher reads its settings: environment, then system properties, then arguments. */
class LauncherOptionsTest {

    private static final Path HOME = Path.of("webapp-sample").toAbsolutePath();

    @Test
    void defaultsArePort8080OnLoopbackWithTheStandIn() {
        Options o = Options.from(Map.of(), props(), new String[0]);
        assertThat(o.port()).isEqualTo(8080);
        assertThat(o.host()).isEqualTo("127.0.0.1");
        assertThat(o.grafanaUrl()).isNull();
        assertThat(o.sampleHome()).isEqualTo(HOME);
        assertThat(o.grafanaWar()).isEqualTo(HOME.resolveSibling("target/grafana.war"));
        assertThat(o.jettyContextXml()).isEqualTo(HOME.resolveSibling("conf/jetty/grafana.xml")).exists();
        assertThat(o.webappDir().resolve("WEB-INF/web.xml")).exists();
    }

    @Test
    void environmentThenSystemPropertiesThenArguments() {
        Map<String, String> env = Map.of("PORT", "9000", "BIND_ADDRESS", "0.0.0.0", "GRAFANA_URL", "http://127.0.0.1:3000");
        assertThat(Options.from(env, props(), new String[0]))
                .isEqualTo(new Options("0.0.0.0", 9000, HOME, "http://127.0.0.1:3000"));
        Properties p = props();
        p.setProperty("port", "9001");
        p.setProperty("grafana.url", "https://grafana.internal:3443");
        assertThat(Options.from(env, p, new String[0]))
                .isEqualTo(new Options("0.0.0.0", 9001, HOME, "https://grafana.internal:3443"));
        assertThat(Options.from(env, p, new String[] {"--port=0", "--bind-address=::1", "--grafana-url="}))
                .isEqualTo(new Options("::1", 0, HOME, null));
        // unset and blank environment variables are ignored
        assertThat(Options.from(Map.of("PORT", " ", "GRAFANA_URL", ""), props(), new String[0]).port()).isEqualTo(8080);
    }

    @Test
    void badValuesAreRefusedWithAMessageNamingThem() {
        assertThatThrownBy(() -> Options.from(Map.of("PORT", "http"), props(), new String[0]))
                .hasMessage("PORT must be a number, not \"http\"");
        assertThatThrownBy(() -> Options.from(Map.of("PORT", "70000"), props(), new String[0]))
                .hasMessage("PORT must be 0..65535, not 70000");
        assertThatThrownBy(() -> Options.from(Map.of("GRAFANA_URL", "localhost:3000"), props(), new String[0]))
                .hasMessage("GRAFANA_URL must be an http(s) URL, not \"localhost:3000\"");
        assertThatThrownBy(() -> Options.from(Map.of(), props(), new String[] {"--verbose"}))
                .hasMessage("unknown argument --verbose (use --port=N, --bind-address=A, --grafana-url=U)");
    }

    private static Properties props() {
        Properties p = new Properties();
        p.setProperty("sample.home", HOME.toString());
        return p;
    }
}
