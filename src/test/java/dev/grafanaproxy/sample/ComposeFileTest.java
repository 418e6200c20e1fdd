package dev.grafanaproxy.sample;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.grafanaproxy.config.ConfigKey;
import dev.grafanaproxy.testsupport.ConfFiles;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code webapp-sample/docker-compose.yml} cannot run here (no Docker), so this keeps it exactly
 * in step with what is tested: it mounts the shipped {@code conf/grafana.ini} and
 * {@code conf/Catalina/localhost/grafana.xml} unchanged, overrides only the settings that depend on
 * where the containers run (each of which must be a real key), and agrees with the sample app, the
 * Jetty context file the launcher deploys with, and the provisioned dashboard.
 */
class ComposeFileTest {

    private static final Path ROOT = ContextParams.ROOT;
    private static final Path SAMPLE = ContextParams.SAMPLE;
    private static final Pattern ENV = Pattern.compile("^\\s+((?:GF|GRAFANA_PROXY)_[A-Z0-9_]+): (.*)$");
    private static final Pattern VOLUME = Pattern.compile("^\\s+- (\\.\\.?/[^:]+):([^:]+?)(:ro)?$");

    private final String compose = read(SAMPLE.resolve("docker-compose.yml"));
    private final Map<String, String> env = matches(ENV);
    private final Map<String, String> volumes = matches(VOLUME);

    @Test
    void mountsTheShippedConfigurationAndTheTwoWars() {
        assertThat(volumes).containsExactlyInAnyOrderEntriesOf(Map.of(
                "../target/grafana.war", "/usr/local/tomcat/webapps/grafana.war",
                "./target/ROOT.war", "/usr/local/tomcat/webapps/ROOT.war",
                "../conf/Catalina/localhost/grafana.xml", "/usr/local/tomcat/conf/Catalina/localhost/grafana.xml",
                "../conf/grafana.ini", "/etc/grafana/grafana.ini",
                "./grafana/provisioning", "/etc/grafana/provisioning",
                "./grafana/dashboards", "/var/lib/grafana/dashboards"));
        volumes.keySet().stream().filter(src -> !src.endsWith(".war"))
                .forEach(src -> assertThat(SAMPLE.resolve(src).normalize()).exists());
        // the two WARs are what the two poms build
        assertThat(read(ROOT.resolve("pom.xml"))).contains("<packaging>war</packaging>", "<finalName>grafana</finalName>");
        assertThat(read(SAMPLE.resolve("pom.xml"))).contains("<packaging>war</packaging>", "<finalName>ROOT</finalName>");
    }

    @Test
    void overridesOnlyWhereGrafanaRunsAndEachOverrideIsARealGrafanaIniKey() {
        Map<String, String> ini = grafanaIni();
        Map<String, String> overridden = new LinkedHashMap<>();
        env.forEach((name, value) -> {
            if (name.startsWith("GF_")) {
                String key = ini.keySet().stream().filter(k -> grafanaEnvName(k).equals(name)).findFirst()
                        .orElseThrow(() -> new AssertionError(name + " overrides no key of conf/grafana.ini"));
                overridden.put(key, value);
            }
        });
        assertThat(overridden.keySet()).containsExactlyInAnyOrder(
                "server.http_addr", "server.root_url", "auth.proxy.whitelist", "auth.signout_redirect_url");

        String tomcatAddress = single(Pattern.compile("ipv4_address: (\\S+)"));
        assertThat(overridden.get("auth.proxy.whitelist")).isEqualTo(tomcatAddress);
        assertThat(single(Pattern.compile("- subnet: (\\S+)"))).isEqualTo(
                tomcatAddress.substring(0, tomcatAddress.lastIndexOf('.')) + ".0/24");
        String published = single(Pattern.compile("- \"127\\.0\\.0\\.1:(\\d+):8080\""));
        assertThat(overridden.get("server.root_url")).isEqualTo("http://localhost:" + published + "/grafana/");
        assertThat(overridden.get("auth.signout_redirect_url")).isEqualTo("http://localhost:" + published + "/logout");
        assertThat(overridden.get("server.http_addr")).isEqualTo("0.0.0.0");
        // everything that makes the embedding work comes from conf/grafana.ini itself
        assertThat(ini).containsEntry("server.serve_from_sub_path", "true").containsEntry("auth.proxy.enabled", "true")
                .containsEntry("auth.anonymous.enabled", "false").containsEntry("security.allow_embedding", "true");
    }

    @Test
    void overridesOnlyWhereTheProxyFindsGrafanaAndTheJwksAndEachOverrideIsARealKey() {
        Map<String, String> proxyEnv = new LinkedHashMap<>();
        env.forEach((name, value) -> {
            if (name.startsWith("GRAFANA_PROXY_")) {
                ConfigKey key = List.of(ConfigKey.values()).stream().filter(k -> k.environmentVariable().equals(name))
                        .findFirst().orElseThrow(() -> new AssertionError(name + " is no grafana-proxy key"));
                proxyEnv.put(key.key(), value);
            }
        });
        assertThat(proxyEnv.keySet()).containsExactlyInAnyOrderElementsOf(SampleTests.DEPLOYMENT_SPECIFIC_PROXY_KEYS);
        URI grafana = URI.create(proxyEnv.get("grafana.url"));
        assertThat(grafana.getHost()).isEqualTo("grafana");
        assertThat(compose).contains("\n  grafana:\n");
        assertThat(String.valueOf(grafana.getPort())).isEqualTo(grafanaIni().get("server.http_port"));
        assertThat(proxyEnv.get("jwt.jwk_set_url")).isEqualTo("http://localhost:8080/.well-known/jwks.json");
        assertThat(proxyEnv.get("jwt.groups_attribute_path")).isEqualTo("groups");
    }

    @Test
    void tomcatAndJettyContextFilesConfigureTheProxyAlike() throws Exception {
        // the launcher deploys with conf/jetty/grafana.xml, docker-compose with the Tomcat one
        assertThat(ContextParams.jetty()).isEqualTo(ContextParams.tomcat());
    }

    @Test
    void theSampleAppIssuesWhatTheShippedConfigurationExpects() throws Exception {
        Map<String, String> proxy = ContextParams.tomcat();
        Map<String, String> app = ContextParams.sampleApp();
        assertThat(app.get("app.issuer")).isEqualTo(proxy.get("jwt.issuer"));
        assertThat(app.get("app.audience")).isEqualTo(proxy.get("jwt.audience"));
        assertThat(app.get("app.cookie_name")).isEqualTo(proxy.get("jwt.cookie_name"));
        assertThat(proxy.get("login.url")).isEqualTo("/login?next={url}");
        assertThat(app.get("app.dashboard_url")).isEqualTo(SampleTests.DASHBOARD);
    }

    @Test
    void theProvisionedDashboardIsTheOneTheSampleEmbeds() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(SAMPLE.resolve("grafana/dashboards/grafana-proxy-demo.json").toFile());
        String uid = dashboard.get("uid").asText();
        assertThat(SampleTests.DASHBOARD).startsWith("/grafana/d/" + uid + "/");
        assertThat(read(SAMPLE.resolve("grafana/provisioning/dashboards/grafana-proxy-demo.yml")))
                .contains("path: " + volumes.get("./grafana/dashboards"));
        assertThat(dashboard.get("panels")).isNotEmpty();
        assertThat(read(SAMPLE.resolve("grafana/provisioning/datasources/testdata.yml"))).contains("uid: testdata");
        dashboard.get("panels").forEach(p -> {
            if (p.has("datasource")) {
                assertThat(p.get("datasource").get("uid").asText()).isEqualTo("testdata");
            }
        });
    }

    /** {@code section.key -> value} of conf/grafana.ini ({@code auth.proxy.enabled}, ...). */
    private static Map<String, String> grafanaIni() {
        Map<String, String> keys = new LinkedHashMap<>();
        String section = "";
        for (String raw : ConfFiles.read(ConfFiles.GRAFANA_INI).split("\n")) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
                continue;
            }
            if (line.startsWith("[") && line.endsWith("]")) {
                section = line.substring(1, line.length() - 1);
            } else if (line.contains("=")) {
                String value = line.substring(line.indexOf('=') + 1);
                int comment = value.indexOf(" ;"); // as ConfFiles.iniSection reads it
                keys.put(section + "." + line.substring(0, line.indexOf('=')).strip(),
                        (comment >= 0 ? value.substring(0, comment) : value).strip());
            }
        }
        return keys;
    }

    /** Grafana's rule: {@code GF_<SECTION>_<KEY>}, upper case, '.' and '-' as '_'. */
    private static String grafanaEnvName(String sectionDotKey) {
        int dot = sectionDotKey.lastIndexOf('.');
        return ("GF_" + sectionDotKey.substring(0, dot) + "_" + sectionDotKey.substring(dot + 1))
                .toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    private Map<String, String> matches(Pattern p) {
        Map<String, String> found = new LinkedHashMap<>();
        for (String line : compose.split("\n")) {
            Matcher m = p.matcher(line);
            if (m.matches()) {
                assertThat(found).as("%s twice in docker-compose.yml", m.group(1)).doesNotContainKey(m.group(1));
                found.put(m.group(1), m.group(2).strip());
            }
        }
        return found;
    }

    private String single(Pattern p) {
        Matcher m = p.matcher(compose);
        assertThat(m.find()).as("%s in docker-compose.yml", p).isTrue();
        String value = m.group(1);
        assertThat(m.find()).as("%s only once", p).isFalse();
        return value;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new AssertionError("cannot read " + file, e);
        }
    }
}
