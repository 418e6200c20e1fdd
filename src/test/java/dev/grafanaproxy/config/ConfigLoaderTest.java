package dev.grafanaproxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    static final String SECRET = "s3cr3t-Never-Log-Me";

    @TempDir
    Path dir;

    final Map<String, String> init = new HashMap<>();
    final Map<String, String> context = new HashMap<>();
    final Map<String, String> env = new HashMap<>();

    @BeforeEach
    void minimalValidSetInInitParams() {
        init.put("grafana.url", "http://127.0.0.1:3000");
        init.put("jwt.secret", SECRET);
    }

    ProxyConfig load() {
        return new ConfigLoader(init::get, context::get, env).load();
    }

    ConfigException loadFails(String key) {
        try {
            ProxyConfig c = load();
            throw new AssertionError("expected a ConfigException for " + key + ", got " + c.summary());
        } catch (ConfigException e) {
            assertThat(e.key()).isEqualTo(key);
            assertThat(e.getMessage()).startsWith(key + ": ").doesNotContain(SECRET);
            return e;
        }
    }

    Path properties(String name, String content) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, content, StandardCharsets.UTF_8);
        return p;
    }

    @Nested
    class Sources {
        @Test
        void initParams() {
            init.put("grafana.header_name", "X-From-Init");
            assertThat(load().headerName()).isEqualTo("X-From-Init");
        }

        @Test
        void contextParams() {
            init.clear();
            context.put("grafana.url", "http://grafana:3000");
            context.put("jwt.secret", SECRET);
            context.put("grafana.header_name", "X-From-Context");
            ProxyConfig c = load();
            assertThat(c.grafanaUrl()).hasToString("http://grafana:3000");
            assertThat(c.headerName()).isEqualTo("X-From-Context");
        }

        @Test
        void propertiesFile() throws IOException {
            init.clear();
            Path file = properties("grafana-proxy.properties", "# comment\ngrafana.url = http://grafana:3000\n"
                    + "jwt.secret=" + SECRET + "\ngrafana.header_name: X-From-File\njwt.issuer=https://ißuer.example\n");
            env.put("GRAFANA_PROXY_CONFIG_FILE", file.toString());
            ProxyConfig c = load();
            assertThat(c.grafanaUrl()).hasToString("http://grafana:3000");
            assertThat(c.headerName()).isEqualTo("X-From-File");
            assertThat(c.issuer()).as("read as UTF-8").isEqualTo("https://ißuer.example");
            assertThat(c.raw(ConfigKey.CONFIG_FILE)).isEqualTo(file.toString());
        }

        @Test
        void environment() {
            init.clear();
            env.put("GRAFANA_PROXY_GRAFANA_URL", "http://grafana:3000");
            env.put("GRAFANA_PROXY_JWT_JWK_SET_URL", "https://idp.example/jwks.json");
            env.put("GRAFANA_PROXY_GRAFANA_HEADER_NAME", "X-From-Env");
            env.put("GRAFANA_PROXY_PUBLIC_PATHS", "/api/health,/public/*");
            ProxyConfig c = load();
            assertThat(c.jwkSetUrl()).hasToString("https://idp.example/jwks.json");
            assertThat(c.headerName()).isEqualTo("X-From-Env");
            assertThat(c.publicPaths()).containsExactly("/api/health", "/public/*");
        }

        @Test
        void unknownWebXmlParametersBelongToTheHostAppAndAreIgnored() {
            init.put("jwt.secrte", "typo");
            context.put("spring.profiles.active", "prod");
            assertThat(load().secret()).isEqualTo(SECRET);
        }

        @Test
        void environmentVariablesOfOtherNamesAreIgnored() {
            env.put("GRAFANA_PROXY_NO_SUCH_KEY", "x");
            env.put("PATH", "/usr/bin");
            assertThat(load().headerName()).isEqualTo("X-WEBAUTH-USER");
        }

        @Test
        void emptyEnvironmentValueOverridesToo() {
            // jwt.header_name="" turns bearer tokens off; the environment can say so
            env.put("GRAFANA_PROXY_JWT_HEADER_NAME", "");
            assertThat(load().tokenHeaderName()).isNull();
        }
    }

    @Nested
    class Precedence {
        Path file;

        @BeforeEach
        void everySourceSetsTheSameKey() throws IOException {
            init.put("grafana.header_name", "X-Init");
            context.put("grafana.header_name", "X-Context");
            file = properties("p.properties", "grafana.header_name=X-File\n");
            context.put("config_file", file.toString());
            env.put("GRAFANA_PROXY_GRAFANA_HEADER_NAME", "X-Env");
        }

        @Test
        void environmentWins() {
            assertThat(load().headerName()).isEqualTo("X-Env");
        }

        @Test
        void thenThePropertiesFile() {
            env.clear();
            assertThat(load().headerName()).isEqualTo("X-File");
        }

        @Test
        void thenContextParams() {
            env.clear();
            context.remove("config_file");
            assertThat(load().headerName()).isEqualTo("X-Context");
        }

        @Test
        void thenInitParams() {
            env.clear();
            context.clear();
            assertThat(load().headerName()).isEqualTo("X-Init");
        }

        @Test
        void keysAreMergedAcrossSources() throws IOException {
            init.put("proxy.max_connections", "10");
            context.put("proxy.connect_timeout", "2s");
            properties("p.properties", "grafana.header_name=X-File\nproxy.response_timeout=30s\n");
            env.put("GRAFANA_PROXY_PROXY_PRESERVE_HOST", "false");
            ProxyConfig c = load();
            assertThat(c.maxConnections()).isEqualTo(10);
            assertThat(c.connectTimeout()).hasSeconds(2);
            assertThat(c.responseTimeout()).hasSeconds(30);
            assertThat(c.preserveHost()).isFalse();
            assertThat(c.headerName()).isEqualTo("X-Env");
        }

        @Test
        void theConfigFileItselfIsFoundEnvironmentFirst() throws IOException {
            Path fromInit = properties("init.properties", "grafana.header_name=X-Init-File\n");
            Path fromEnv = properties("env.properties", "grafana.header_name=X-Env-File\n");
            env.clear();
            init.put("config_file", fromInit.toString());
            context.remove("config_file");
            assertThat(load().headerName()).isEqualTo("X-Init-File");
            context.put("config_file", file.toString());
            assertThat(load().headerName()).isEqualTo("X-File");
            env.put("GRAFANA_PROXY_CONFIG_FILE", fromEnv.toString());
            assertThat(load().headerName()).isEqualTo("X-Env-File");
        }

        @Test
        void aBlankConfigFileMeansNone() {
            env.clear();
            env.put("GRAFANA_PROXY_CONFIG_FILE", " ");
            assertThat(load().headerName()).isEqualTo("X-Context");
        }

        @Test
        void errorsSayWhichSourceTheValueCameFrom() throws IOException {
            env.clear();
            context.clear();
            init.put("proxy.max_connections", "x");
            assertThat(loadFails("proxy.max_connections")).hasMessage(
                    "proxy.max_connections: \"x\" from init-param is invalid: expected a whole number greater than zero");
            context.put("proxy.max_connections", "y");
            assertThat(loadFails("proxy.max_connections")).hasMessageContaining("\"y\" from context-param");
            context.put("config_file", properties("bad.properties", "proxy.max_connections=z\n").toString());
            assertThat(loadFails("proxy.max_connections")).hasMessageContaining("\"z\" from config_file bad.properties");
            env.put("GRAFANA_PROXY_PROXY_MAX_CONNECTIONS", "w");
            assertThat(loadFails("proxy.max_connections")).hasMessageContaining(
                    "\"w\" from environment variable GRAFANA_PROXY_PROXY_MAX_CONNECTIONS");
        }
    }

    @Nested
    class EnvExpansion {
        @Test
        void inEverySource() throws IOException {
            env.put("GF_HOST", "grafana");
            env.put("APP_JWT_SECRET", SECRET);
            env.put("IDP", "https://idp.example");
            env.put("CONF_DIR", dir.toString());
            init.put("grafana.url", "http://${env:GF_HOST}:3000");
            init.put("jwt.secret", "${env:APP_JWT_SECRET}");
            context.put("jwt.issuer", "${env:IDP}/realms/${env:GF_HOST}");
            context.put("config_file", "${env:CONF_DIR}/p.properties");
            properties("p.properties", "jwt.audience=${env:GF_HOST}-aud\n");
            env.put("GRAFANA_PROXY_LOGIN_URL", "${env:IDP}/login?next={url}");
            ProxyConfig c = load();
            assertThat(c.grafanaUrl()).hasToString("http://grafana:3000");
            assertThat(c.secret()).isEqualTo(SECRET);
            assertThat(c.issuer()).isEqualTo("https://idp.example/realms/grafana");
            assertThat(c.audience()).isEqualTo("grafana-aud");
            assertThat(c.loginUrl()).isEqualTo("https://idp.example/login?next={url}");
        }

        @Test
        void replacementIsLiteral() {
            env.put("ODD", "a$1\\b");
            init.put("jwt.audience", "x-${env:ODD}-y");
            assertThat(load().audience()).isEqualTo("x-a$1\\b-y");
        }

        @Test
        void onlyTheEnvFormIsExpanded() {
            init.put("jwt.audience", "${ENV:X} ${env:} $env:X ${sys:user}");
            assertThat(load().audience()).isEqualTo("${ENV:X} ${env:} $env:X ${sys:user}");
        }

        @Test
        void missingVariableIsAnErrorNotAnEmptySecret() {
            init.put("jwt.secret", "${env:APP_JWT_SECRET}");
            assertThat(loadFails("jwt.secret"))
                    .hasMessage("jwt.secret: refers to ${env:APP_JWT_SECRET}, but that environment variable is not set");
        }

        @Test
        void missingVariableInTheConfigFileName() {
            context.put("config_file", "${env:CONF_DIR}/p.properties");
            assertThat(loadFails("config_file"))
                    .hasMessage("config_file: refers to ${env:CONF_DIR}, but that environment variable is not set");
        }

        @Test
        void missingVariableInsideThePropertiesFile() throws IOException {
            env.put("GRAFANA_PROXY_CONFIG_FILE", properties("p.properties", "jwt.issuer=${env:NOPE}\n").toString());
            assertThat(loadFails("jwt.issuer")).hasMessageContaining("${env:NOPE}");
        }

        @Test
        void expandedSecretNeverAppearsInErrors() {
            env.put("APP_JWT_SECRET", SECRET);
            init.put("jwt.secret", "${env:APP_JWT_SECRET}");
            init.put("jwt.key_file", "/etc/key.pem");
            assertThat(loadFails("jwt.key_file")).hasMessageContaining("jwt.secret");
        }
    }

    @Nested
    class FileErrors {
        @Test
        void unknownKeyInThePropertiesFile() throws IOException {
            Path file = properties("p.properties", "jwt.secrte=" + SECRET + "\n");
            env.put("GRAFANA_PROXY_CONFIG_FILE", file.toString());
            assertThat(loadFails("jwt.secrte")).hasMessage("jwt.secrte: unknown key in config_file \"" + file + "\"");
        }

        @Test
        void configFileCannotNameAnother() throws IOException {
            Path file = properties("p.properties", "config_file=/etc/other.properties\n");
            env.put("GRAFANA_PROXY_CONFIG_FILE", file.toString());
            assertThat(loadFails("config_file")).hasMessage("config_file: cannot be set inside the config_file itself");
        }

        @Test
        void missingFile() {
            Path file = dir.resolve("missing.properties");
            context.put("config_file", file.toString());
            assertThat(loadFails("config_file")).hasMessage("config_file: cannot read \"" + file + "\": NoSuchFileException " + file);
        }

        @Test
        void directoryInsteadOfAFile() {
            context.put("config_file", dir.toString());
            assertThat(loadFails("config_file")).hasMessageStartingWith("config_file: cannot read \"" + dir + "\": ");
        }

        @Test
        void unreadableFile() throws IOException {
            Path file = properties("locked.properties", "jwt.issuer=x\n");
            boolean locked = file.toFile().setReadable(false, false);
            try {
                if (locked && !Files.isReadable(file)) { // root reads anything; then there is nothing to test
                    context.put("config_file", file.toString());
                    assertThat(loadFails("config_file")).hasMessageStartingWith("config_file: cannot read \"" + file + "\": AccessDeniedException");
                }
            } finally {
                file.toFile().setReadable(true, false);
            }
        }

        @Test
        void malformedPropertiesFile() throws IOException {
            context.put("config_file", properties("bad.properties", "jwt.issuer=\\uZZZZ\n").toString());
            assertThat(loadFails("config_file")).hasMessageContaining("cannot read").hasMessageContaining("IllegalArgumentException");
        }

        @Test
        void notUtf8() throws IOException {
            Path file = dir.resolve("latin1.properties");
            Files.write(file, "jwt.issuer=\u00DF\n".getBytes(StandardCharsets.ISO_8859_1));
            context.put("config_file", file.toString());
            assertThat(loadFails("config_file")).hasMessageContaining("MalformedInputException");
        }
    }

    @Test
    void secretInThePropertiesFileStaysHiddenWhenAnotherKeyFails() throws IOException {
        init.clear();
        Path file = properties("p.properties", "grafana.url=http://g\njwt.secret=" + SECRET + "\njwt.algorithms=none\n");
        env.put("GRAFANA_PROXY_CONFIG_FILE", file.toString());
        assertThat(loadFails("jwt.algorithms")).hasMessageContaining("'none' is never accepted");
    }

    @Test
    void environmentMapIsCopied() {
        Map<String, String> e = new HashMap<>();
        ConfigLoader loader = new ConfigLoader(init::get, null, e);
        e.put("GRAFANA_PROXY_GRAFANA_HEADER_NAME", "X-Late");
        assertThat(loader.load().headerName()).isEqualTo("X-WEBAUTH-USER");
    }

    @Test
    void nullLookupsMeanNoSuchSource() {
        assertThatThrownBy(() -> new ConfigLoader(null, null, Map.of()).load())
                .isInstanceOf(ConfigException.class).hasMessage("grafana.url: is required but not set");
    }
}
