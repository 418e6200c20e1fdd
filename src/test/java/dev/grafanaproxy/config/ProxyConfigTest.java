package dev.grafanaproxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ProxyConfigTest {

    /** Set in every failing configuration below: no message may ever show it. */
    static final String SECRET = "s3cr3t-Never-Log-Me";

    static ProxyConfig.Builder valid() {
        return ProxyConfig.custom().set("grafana.url", "http://127.0.0.1:3000").set("jwt.secret", SECRET);
    }

    static ProxyConfig build(String... keyValues) {
        ProxyConfig.Builder b = valid();
        for (int i = 0; i < keyValues.length; i += 2) {
            b.set(keyValues[i], keyValues[i + 1]);
        }
        return b.build();
    }

    /** The start-up error for this configuration; checks it names {@code key} and hides the secret. */
    static ConfigException error(String key, String... keyValues) {
        try {
            ProxyConfig c = build(keyValues);
            throw new AssertionError("expected a ConfigException for " + key + ", got " + c.summary());
        } catch (ConfigException e) {
            assertThat(e.key()).isEqualTo(key);
            assertThat(e.getMessage()).startsWith(key + ": ").doesNotContain(SECRET).doesNotContain("\n");
            assertThat(e.getStackTrace()).isEmpty();
            return e;
        }
    }

    static String invalid(String key, String value, String expected) {
        return key + ": \"" + value + "\" is invalid: " + expected;
    }

    /** The contract's table (CONTRACT.md section 2): key to default, null for none. */
    static final Map<String, String> CONTRACT_DEFAULTS = new LinkedHashMap<>();

    static {
        CONTRACT_DEFAULTS.put("config_file", null);
        CONTRACT_DEFAULTS.put("reload_interval", "2s");
        CONTRACT_DEFAULTS.put("grafana.url", null);
        CONTRACT_DEFAULTS.put("grafana.strip_prefix", "false");
        CONTRACT_DEFAULTS.put("grafana.auth_mode", "proxy");
        CONTRACT_DEFAULTS.put("grafana.header_name", "X-WEBAUTH-USER");
        CONTRACT_DEFAULTS.put("grafana.header_property", "username");
        CONTRACT_DEFAULTS.put("grafana.headers", "Name:X-WEBAUTH-NAME Email:X-WEBAUTH-EMAIL Role:X-WEBAUTH-ROLE Groups:X-WEBAUTH-GROUPS");
        CONTRACT_DEFAULTS.put("grafana.headers_encoded", "false");
        CONTRACT_DEFAULTS.put("grafana.org_header", "X-Grafana-Org-Id");
        CONTRACT_DEFAULTS.put("grafana.jwt_header", "X-JWT-Assertion");
        CONTRACT_DEFAULTS.put("grafana.jwt_source", "mint");
        CONTRACT_DEFAULTS.put("grafana.jwt_ttl", "5m");
        CONTRACT_DEFAULTS.put("grafana.jwt_signing_key_file", null);
        CONTRACT_DEFAULTS.put("grafana.jwt_cache_ttl", "1m");
        CONTRACT_DEFAULTS.put("jwt.cookie_name", null);
        CONTRACT_DEFAULTS.put("jwt.header_name", "Authorization");
        CONTRACT_DEFAULTS.put("jwt.url_login", "false");
        CONTRACT_DEFAULTS.put("jwt.jwk_set_url", null);
        CONTRACT_DEFAULTS.put("jwt.jwk_set_file", null);
        CONTRACT_DEFAULTS.put("jwt.key_file", null);
        CONTRACT_DEFAULTS.put("jwt.secret", null);
        CONTRACT_DEFAULTS.put("jwt.algorithms", null);
        CONTRACT_DEFAULTS.put("jwt.issuer", null);
        CONTRACT_DEFAULTS.put("jwt.audience", null);
        CONTRACT_DEFAULTS.put("jwt.expect_claims", null);
        CONTRACT_DEFAULTS.put("jwt.clock_skew", "60s");
        CONTRACT_DEFAULTS.put("jwt.cache_ttl", "60m");
        CONTRACT_DEFAULTS.put("jwt.username_claim", "sub");
        CONTRACT_DEFAULTS.put("jwt.email_claim", "email");
        CONTRACT_DEFAULTS.put("jwt.name_claim", "name");
        CONTRACT_DEFAULTS.put("jwt.role_attribute_path", null);
        CONTRACT_DEFAULTS.put("jwt.role_attribute_strict", "false");
        CONTRACT_DEFAULTS.put("jwt.groups_attribute_path", null);
        CONTRACT_DEFAULTS.put("jwt.org_attribute_path", null);
        CONTRACT_DEFAULTS.put("login.url", null);
        CONTRACT_DEFAULTS.put("public_paths", "/api/health");
        CONTRACT_DEFAULTS.put("proxy.connect_timeout", "5s");
        CONTRACT_DEFAULTS.put("proxy.response_timeout", "60s");
        CONTRACT_DEFAULTS.put("proxy.max_connections", "200");
        CONTRACT_DEFAULTS.put("proxy.preserve_host", "true");
        CONTRACT_DEFAULTS.put("websocket.paths", "/api/live/ws");
        CONTRACT_DEFAULTS.put("websocket.idle_timeout", "0");
        CONTRACT_DEFAULTS.put("health.path", "/-/health");
        CONTRACT_DEFAULTS.put("health.cache_ttl", "5s");
        CONTRACT_DEFAULTS.put("metrics.path", "");
        CONTRACT_DEFAULTS.put("metrics.allow", "127.0.0.0/8, ::1/128");
        CONTRACT_DEFAULTS.put("audit.enabled", "true");
        CONTRACT_DEFAULTS.put("audit.sample", "1.0");
        CONTRACT_DEFAULTS.put("audit.query", "false");
    }

    @Nested
    class Defaults {
        @Test
        void keysAndDefaultsAreTheContractTable() {
            Map<String, String> actual = new LinkedHashMap<>();
            for (ConfigKey k : ConfigKey.values()) {
                actual.put(k.key(), k.defaultValue());
            }
            assertThat(actual).containsExactlyEntriesOf(CONTRACT_DEFAULTS);
        }

        @Test
        void typedDefaults() {
            ProxyConfig c = valid().build();
            assertThat(c.grafanaUrl()).isEqualTo(URI.create("http://127.0.0.1:3000"));
            assertThat(c.stripPrefix()).isFalse();
            assertThat(c.authMode()).isEqualTo(AuthMode.PROXY);
            assertThat(c.headerName()).isEqualTo("X-WEBAUTH-USER");
            assertThat(c.headerProperty()).isEqualTo(ProxyConfig.HeaderProperty.USERNAME);
            assertThat(c.proxyHeaders()).containsExactly(entry("Name", "X-WEBAUTH-NAME"), entry("Email", "X-WEBAUTH-EMAIL"),
                    entry("Role", "X-WEBAUTH-ROLE"), entry("Groups", "X-WEBAUTH-GROUPS"));
            assertThat(c.headersEncoded()).isFalse();
            assertThat(c.orgHeader()).isEqualTo("X-Grafana-Org-Id");
            assertThat(c.grafanaJwtHeader()).isEqualTo("X-JWT-Assertion");
            assertThat(c.jwtSource()).isEqualTo(JwtSource.MINT);
            assertThat(c.jwtTtl()).isEqualTo(Duration.ofMinutes(5));
            assertThat(c.jwtSigningKeyFile()).isNull();
            assertThat(c.jwtCacheTtl()).isEqualTo(Duration.ofMinutes(1));
            assertThat(c.cookieName()).isNull();
            assertThat(c.tokenHeaderName()).isEqualTo("Authorization");
            assertThat(c.urlLogin()).isFalse();
            assertThat(c.jwkSetUrl()).isNull();
            assertThat(c.jwkSetFile()).isNull();
            assertThat(c.keyFile()).isNull();
            assertThat(c.secret()).isEqualTo(SECRET);
            assertThat(c.algorithms()).as("empty = what the key source can verify").isEmpty();
            assertThat(c.issuer()).isNull();
            assertThat(c.audience()).isNull();
            assertThat(c.expectClaims()).isNull();
            assertThat(c.clockSkew()).isEqualTo(Duration.ofSeconds(60));
            assertThat(c.cacheTtl()).isEqualTo(Duration.ofMinutes(60));
            assertThat(c.usernameClaim()).isEqualTo("sub");
            assertThat(c.emailClaim()).isEqualTo("email");
            assertThat(c.nameClaim()).isEqualTo("name");
            assertThat(c.roleAttributePath()).isNull();
            assertThat(c.roleAttributeStrict()).isFalse();
            assertThat(c.groupsAttributePath()).isNull();
            assertThat(c.orgAttributePath()).isNull();
            assertThat(c.loginUrl()).isNull();
            assertThat(c.publicPaths()).containsExactly("/api/health");
            assertThat(c.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
            assertThat(c.responseTimeout()).isEqualTo(Duration.ofSeconds(60));
            assertThat(c.maxConnections()).isEqualTo(200);
            assertThat(c.preserveHost()).isTrue();
            assertThat(c.websocketPaths()).containsExactly("/api/live/ws");
            assertThat(c.websocketIdleTimeout()).as("Live is long-lived: no idle limit").isZero();
            assertThat(c.identityHeaderNames()).containsExactlyInAnyOrder("X-WEBAUTH-USER", "X-WEBAUTH-NAME",
                    "X-WEBAUTH-EMAIL", "X-WEBAUTH-ROLE", "X-WEBAUTH-GROUPS", "X-Grafana-Org-Id", "X-JWT-Assertion");
        }

        @Test
        void onlySecretKeysAreSecret() {
            for (ConfigKey k : ConfigKey.values()) {
                assertThat(k.secret()).as(k.key()).isEqualTo(k == ConfigKey.JWT_SECRET);
            }
        }

        @Test
        void environmentVariableNames() {
            assertThat(ConfigKey.JWT_JWK_SET_URL.environmentVariable()).isEqualTo("GRAFANA_PROXY_JWT_JWK_SET_URL");
            assertThat(ConfigKey.CONFIG_FILE.environmentVariable()).isEqualTo("GRAFANA_PROXY_CONFIG_FILE");
            assertThat(ConfigKey.PUBLIC_PATHS.environmentVariable()).isEqualTo("GRAFANA_PROXY_PUBLIC_PATHS");
        }
    }

    @Nested
    class Values {
        @Test
        void everyKeyParses() {
            ProxyConfig c = ProxyConfig.custom()
                    .set("grafana.url", "HTTPS://grafana.internal:3443/base/")
                    .set("grafana.strip_prefix", "TRUE")
                    .set("grafana.auth_mode", "JWT")
                    .set("grafana.header_name", "X-User")
                    .set("grafana.header_property", "Email")
                    .set("grafana.headers", " Login:X-Login,Groups:X-Groups  Role:X-Role ")
                    .set("grafana.headers_encoded", "true")
                    .set("grafana.org_header", "X-Org")
                    .set("grafana.jwt_header", "X-Token")
                    .set("grafana.jwt_source", "Forward")
                    .set("grafana.jwt_ttl", "90s")
                    .set("grafana.jwt_signing_key_file", " /etc/grafana-proxy/signing-key.pem ")
                    .set("grafana.jwt_cache_ttl", "30s")
                    .set("jwt.cookie_name", "app_session")
                    .set("jwt.header_name", "X-Auth")
                    .set("jwt.url_login", "true")
                    .set("jwt.jwk_set_url", "https://idp.example/jwks.json")
                    .set("jwt.algorithms", "RS256, ES256 PS512")
                    .set("jwt.issuer", "https://idp.example/")
                    .set("jwt.audience", "grafana")
                    .set("jwt.expect_claims", "{\"tenant\": \"a\"}")
                    .set("jwt.clock_skew", "0")
                    .set("jwt.cache_ttl", "1h30m")
                    .set("jwt.username_claim", "preferred_username")
                    .set("jwt.email_claim", "mail")
                    .set("jwt.name_claim", "display_name")
                    .set("jwt.role_attribute_path", "role")
                    .set("jwt.role_attribute_strict", "true")
                    .set("jwt.groups_attribute_path", "groups")
                    .set("jwt.org_attribute_path", "org")
                    .set("login.url", "/login?next={url}")
                    .set("public_paths", "/api/health, /public/*,")
                    .set("proxy.connect_timeout", "500ms")
                    .set("proxy.response_timeout", "2m")
                    .set("proxy.max_connections", "16")
                    .set("proxy.preserve_host", "false")
                    .set("websocket.paths", "/api/live/ws, /api/live/push/*")
                    .set("websocket.idle_timeout", "10m")
                    .build();
            assertThat(c.grafanaUrl()).isEqualTo(URI.create("https://grafana.internal:3443/base"));
            assertThat(c.stripPrefix()).isTrue();
            assertThat(c.authMode()).isEqualTo(AuthMode.JWT);
            assertThat(c.headerName()).isEqualTo("X-User");
            assertThat(c.headerProperty()).isEqualTo(ProxyConfig.HeaderProperty.EMAIL);
            assertThat(c.proxyHeaders()).containsExactly(entry("Login", "X-Login"), entry("Groups", "X-Groups"), entry("Role", "X-Role"));
            assertThat(c.headersEncoded()).isTrue();
            assertThat(c.orgHeader()).isEqualTo("X-Org");
            assertThat(c.grafanaJwtHeader()).isEqualTo("X-Token");
            assertThat(c.jwtSource()).isEqualTo(JwtSource.FORWARD);
            assertThat(c.jwtTtl()).isEqualTo(Duration.ofSeconds(90));
            assertThat(c.jwtSigningKeyFile()).isEqualTo("/etc/grafana-proxy/signing-key.pem");
            assertThat(c.jwtCacheTtl()).isEqualTo(Duration.ofSeconds(30));
            assertThat(c.cookieName()).isEqualTo("app_session");
            assertThat(c.tokenHeaderName()).isEqualTo("X-Auth");
            assertThat(c.urlLogin()).isTrue();
            assertThat(c.jwkSetUrl()).isEqualTo(URI.create("https://idp.example/jwks.json"));
            assertThat(c.secret()).isNull();
            assertThat(c.algorithms()).containsExactly("RS256", "ES256", "PS512");
            assertThat(c.issuer()).isEqualTo("https://idp.example/");
            assertThat(c.audience()).isEqualTo("grafana");
            assertThat(c.expectClaims()).isEqualTo("{\"tenant\": \"a\"}");
            assertThat(c.clockSkew()).isZero();
            assertThat(c.cacheTtl()).isEqualTo(Duration.ofMinutes(90));
            assertThat(c.usernameClaim()).isEqualTo("preferred_username");
            assertThat(c.emailClaim()).isEqualTo("mail");
            assertThat(c.nameClaim()).isEqualTo("display_name");
            assertThat(c.roleAttributePath()).isEqualTo("role");
            assertThat(c.roleAttributeStrict()).isTrue();
            assertThat(c.groupsAttributePath()).isEqualTo("groups");
            assertThat(c.orgAttributePath()).isEqualTo("org");
            assertThat(c.loginUrl()).isEqualTo("/login?next={url}");
            assertThat(c.publicPaths()).containsExactly("/api/health", "/public/*");
            assertThat(c.connectTimeout()).isEqualTo(Duration.ofMillis(500));
            assertThat(c.responseTimeout()).isEqualTo(Duration.ofMinutes(2));
            assertThat(c.maxConnections()).isEqualTo(16);
            assertThat(c.preserveHost()).isFalse();
            assertThat(c.websocketPaths()).containsExactly("/api/live/ws", "/api/live/push/*");
            assertThat(c.websocketIdleTimeout()).isEqualTo(Duration.ofMinutes(10));
            assertThat(c.raw(ConfigKey.JWT_CLOCK_SKEW)).isEqualTo("0");
        }

        @Test
        void otherKeySources() {
            assertThat(ProxyConfig.custom().set("grafana.url", "http://g").set("jwt.jwk_set_file", "/etc/jwks.json").build()
                    .jwkSetFile()).isEqualTo("/etc/jwks.json");
            assertThat(ProxyConfig.custom().set("grafana.url", "http://g").set("jwt.key_file", "/etc/key.pem").build()
                    .keyFile()).isEqualTo("/etc/key.pem");
        }

        @Test
        void grafanaUrlIsNormalisedToABaseWithoutTrailingSlash() {
            assertThat(build("grafana.url", "http://127.0.0.1:3000/").grafanaUrl()).hasToString("http://127.0.0.1:3000");
            assertThat(build("grafana.url", "http://[::1]:3000").grafanaUrl()).hasToString("http://[::1]:3000");
            assertThat(build("grafana.url", "  http://grafana  ").grafanaUrl()).hasToString("http://grafana");
        }

        @Test
        void emptyTokenHeaderNameTurnsBearerOff() {
            assertThat(build("jwt.header_name", "").tokenHeaderName()).isNull();
        }

        @Test
        void emptyGrafanaHeadersSendsNoExtraHeaders() {
            assertThat(build("grafana.headers", "").proxyHeaders()).isEmpty();
        }

        @Test
        void settingNullRestoresTheDefault() {
            assertThat(valid().set("grafana.header_name", "X-A").set("grafana.header_name", null).build().headerName())
                    .isEqualTo("X-WEBAUTH-USER");
        }

        @Test
        void urlLoginWithCookieName() {
            assertThat(build("jwt.url_login", "true", "jwt.cookie_name", "sess").urlLogin()).isTrue();
        }

        @Test
        void summaryMasksTheSecret() {
            String summary = valid().build().summary();
            assertThat(summary).contains("jwt.secret=******").contains("grafana.url=http://127.0.0.1:3000").doesNotContain(SECRET);
        }
    }

    @Nested
    class Errors {
        @Test
        void unknownKey() {
            assertThatThrownBy(() -> ProxyConfig.custom().set("jwt.secrte", SECRET))
                    .isInstanceOf(ConfigException.class).hasMessage("jwt.secrte: unknown key");
            assertThatThrownBy(() -> ProxyConfig.custom().set("jwt.secrte", SECRET, "init-param"))
                    .isInstanceOf(ConfigException.class).hasMessage("jwt.secrte: unknown key (in init-param)");
        }

        @Test
        void grafanaUrlRequired() {
            assertThatThrownBy(() -> ProxyConfig.custom().set("jwt.secret", SECRET).build())
                    .isInstanceOf(ConfigException.class).hasMessage("grafana.url: is required but not set");
            assertThat(error("grafana.url", "grafana.url", "  ")).hasMessage("grafana.url: is required but not set");
        }

        @ParameterizedTest
        @ValueSource(strings = {"ftp://grafana:21", "grafana:3000", "//grafana:3000", "http:///x",
                "file:///etc/passwd", "mailto:a@b"})
        void badGrafanaUrl(String url) {
            assertThat(error("grafana.url", "grafana.url", url)).hasMessage(invalid("grafana.url", url,
                    "expected an http or https URL with a host, e.g. http://127.0.0.1:3000"));
        }

        @ParameterizedTest
        @ValueSource(strings = {"http://project_grafana_1:3000", "https://grafana_1", "http://my_grafana:3000/sub"})
        void hostNamesWithUnderscoresAreRefusedWithTheReason(String url) {
            assertThat(error("grafana.url", "grafana.url", url)).hasMessage(invalid("grafana.url", url,
                    "a host name may not contain '_'; use a name or network alias without it, e.g. http://grafana:3000"));
        }

        @ParameterizedTest
        @ValueSource(strings = {"http://gra fana", "http://[::1", "http://grafana:3000/a b", "127.0.0.1:3000", "http://"})
        void unparsableGrafanaUrl(String url) {
            assertThat(error("grafana.url", "grafana.url", url)).hasMessage(invalid("grafana.url", url,
                    "expected an http or https URL"));
        }

        @ParameterizedTest
        @ValueSource(strings = {"http://grafana:3000/?orgId=1", "http://grafana:3000/#x", "http://admin:pw@grafana:3000"})
        void grafanaUrlIsABaseUrl(String url) {
            assertThat(error("grafana.url", "grafana.url", url)).hasMessage(invalid("grafana.url", url,
                    "expected a base URL without user info, query or fragment"));
        }

        @Test
        void badJwkSetUrl() {
            assertThat(error("jwt.jwk_set_url", "jwt.secret", null, "jwt.jwk_set_url", "idp.example/jwks"))
                    .hasMessage(invalid("jwt.jwk_set_url", "idp.example/jwks",
                            "expected an http or https URL with a host, e.g. http://127.0.0.1:3000"));
        }

        @ParameterizedTest
        @ValueSource(strings = {"-5s", "soon", "5", "1.5s", "5 s", "999999999999999d"})
        void badDuration(String value) {
            for (String key : List.of("jwt.clock_skew", "jwt.cache_ttl", "proxy.connect_timeout", "proxy.response_timeout")) {
                assertThat(error(key, key, value)).hasMessage(invalid(key, value, "expected a duration such as 500ms, 5s, 60m or 1h"));
            }
        }

        @ParameterizedTest
        @ValueSource(strings = {"proxy.connect_timeout", "proxy.response_timeout", "jwt.cache_ttl"})
        void zeroIsNoTimeout(String key) {
            assertThat(error(key, key, "0")).hasMessage(invalid(key, "0", "expected a duration greater than zero"));
            assertThat(error(key, key, "0ms")).hasMessage(invalid(key, "0ms", "expected a duration greater than zero"));
        }

        @Test
        void durationRequired() {
            assertThat(error("proxy.connect_timeout", "proxy.connect_timeout", "")).hasMessage("proxy.connect_timeout: is required but not set");
        }

        @Test
        void unknownAuthMode() {
            assertThat(error("grafana.auth_mode", "grafana.auth_mode", "oauth"))
                    .hasMessage("grafana.auth_mode: \"oauth\" is invalid: expected one of proxy, jwt");
        }

        @Test
        void unknownJwtSource() {
            assertThat(error("grafana.jwt_source", "grafana.jwt_source", "copy"))
                    .hasMessage("grafana.jwt_source: \"copy\" is invalid: expected one of mint, forward");
        }

        @ParameterizedTest
        @ValueSource(strings = {"0", "999ms", "25h", "soon"})
        void grafanaJwtTtlIsShortButNotZero(String value) {
            String expected = value.equals("soon") ? "expected a duration such as 500ms, 5s, 60m or 1h"
                    : "expected a duration from 1s to 24h";
            assertThat(error("grafana.jwt_ttl", "grafana.jwt_ttl", value)).hasMessage(invalid("grafana.jwt_ttl", value, expected));
        }

        @ParameterizedTest
        @ValueSource(strings = {"0", "500ms", "2d"})
        void grafanaJwtCacheTtlIsAtLeastASecond(String value) {
            // Grafana caches a JWKS sent with max-age=0 for 24 hours, so 0 is refused rather than passed on
            assertThat(error("grafana.jwt_cache_ttl", "grafana.jwt_cache_ttl", value))
                    .hasMessage(invalid("grafana.jwt_cache_ttl", value, "expected a duration from 1s to 24h"));
        }

        @Test
        void unknownHeaderProperty() {
            assertThat(error("grafana.header_property", "grafana.header_property", "login"))
                    .hasMessage("grafana.header_property: \"login\" is invalid: expected one of username, email");
        }

        @ParameterizedTest
        @ValueSource(strings = {"grafana.strip_prefix", "grafana.headers_encoded", "jwt.url_login", "jwt.role_attribute_strict",
                "proxy.preserve_host"})
        void badBoolean(String key) {
            assertThat(error(key, key, "yes")).hasMessage(invalid(key, "yes", "expected true or false"));
        }

        @ParameterizedTest
        @ValueSource(strings = {"0", "-1", "many", "1.5", "99999999999"})
        void badMaxConnections(String value) {
            assertThat(error("proxy.max_connections", "proxy.max_connections", value))
                    .hasMessage(invalid("proxy.max_connections", value, "expected a whole number greater than zero"));
        }

        @ParameterizedTest
        @ValueSource(strings = {"X User", "X:User", "X-User;", "X/User", "Ü-User", "(X)"})
        void badHeaderNames(String name) {
            for (String key : List.of("grafana.header_name", "grafana.org_header", "grafana.jwt_header", "jwt.header_name")) {
                assertThat(error(key, key, name)).hasMessage(invalid(key, name, "expected an HTTP header name"));
            }
        }

        @ParameterizedTest
        @ValueSource(strings = {"grafana.header_name", "grafana.org_header", "grafana.jwt_header"})
        void requiredHeaderNames(String key) {
            assertThat(error(key, key, "")).hasMessage(key + ": is required but not set");
        }

        @ParameterizedTest
        @ValueSource(strings = {"my cookie", "a;b", "a=b", "a,b", "\"a\""})
        void badCookieName(String name) {
            assertThat(error("jwt.cookie_name", "jwt.cookie_name", name)).hasMessage(invalid("jwt.cookie_name", name,
                    "expected a cookie name (letters, digits and !#$%&'*+-.^_`|~)"));
        }

        @ParameterizedTest
        @ValueSource(strings = {"Name", "Name:", ":X-Name", "Nick:X-Nick", "name:X-Name", "Name:X-A Name:X-B",
                "Name:X A", "Name:X;A", "Role=X-Role"})
        void badGrafanaHeaders(String value) {
            assertThat(error("grafana.headers", "grafana.headers", value)).hasMessage(invalid("grafana.headers", value.trim(),
                    "expected space-separated Attribute:Header-Name pairs with attributes from "
                            + "[Email, Groups, Login, Name, Role], each at most once"));
        }

        @ParameterizedTest
        @ValueSource(strings = {"none", "NONE", "RS256,none", "RS256 None"})
        void noneIsNeverAccepted(String value) {
            assertThat(error("jwt.algorithms", "jwt.algorithms", value))
                    .hasMessage(invalid("jwt.algorithms", value, "'none' is never accepted"));
        }

        @ParameterizedTest
        @ValueSource(strings = {"HS257", "rs256", "RS256;ES256", "RSA"})
        void unknownAlgorithms(String value) {
            assertThat(error("jwt.algorithms", "jwt.algorithms", value)).hasMessageStartingWith(invalid("jwt.algorithms", value,
                    "expected JWS algorithm names from [ES256, ES384, ES512, Ed25519, EdDSA, HS256"));
        }

        @ParameterizedTest
        @ValueSource(strings = {"api/health", "/api/*/x", "/api*", "/a/**", "/a?b=1", "/a#frag", "/ok, nope", "*"})
        void badPublicPaths(String value) {
            assertThat(error("public_paths", "public_paths", value)).hasMessage(invalid("public_paths", value,
                    "expected comma-separated paths starting with /, optionally ending in /*"));
        }

        @ParameterizedTest
        @ValueSource(strings = {"api/live/ws", "/api/*/ws", "/ws?x=1"})
        void badWebSocketPaths(String value) {
            assertThat(error("websocket.paths", "websocket.paths", value)).hasMessage(invalid("websocket.paths", value,
                    "expected comma-separated paths starting with /, optionally ending in /*"));
        }

        @ParameterizedTest
        @ValueSource(strings = {"forever", "-1s", "10"})
        void badWebSocketIdleTimeouts(String value) {
            assertThat(error("websocket.idle_timeout", "websocket.idle_timeout", value)).hasMessage(invalid("websocket.idle_timeout",
                    value, "expected a duration such as 500ms, 5s, 60m or 1h"));
        }

        @ParameterizedTest
        @ValueSource(strings = {"login", "//evil.example/login", "ftp://app.example/login", "javascript:alert(1)", "http://",
                "https://app example/login", "app.example/login?u={url}"})
        void badLoginUrl(String value) {
            assertThat(error("login.url", "login.url", value)).hasMessage(invalid("login.url", value,
                    "expected an absolute http(s) URL or a path starting with /"));
        }

        @Test
        void goodLoginUrls() {
            assertThat(build("login.url", "https://app.example/login?next={url}").loginUrl()).isEqualTo("https://app.example/login?next={url}");
            assertThat(build("login.url", "/login").loginUrl()).isEqualTo("/login");
        }

        @Test
        void noKeySource() {
            assertThat(error("jwt.jwk_set_url", "jwt.secret", null)).hasMessage("jwt.jwk_set_url: no token key source is set: "
                    + "set exactly one of jwt.jwk_set_url, jwt.jwk_set_file, jwt.key_file, jwt.secret");
            assertThat(error("jwt.jwk_set_url", "jwt.secret", "   ")).hasMessageContaining("no token key source is set");
        }

        @Test
        void twoKeySources() {
            assertThat(error("jwt.key_file", "jwt.key_file", "/etc/key.pem")).hasMessage("jwt.key_file: more than one token key "
                    + "source is set (jwt.key_file, jwt.secret): set exactly one of jwt.jwk_set_url, jwt.jwk_set_file, jwt.key_file, jwt.secret");
            assertThat(error("jwt.jwk_set_url", "jwt.jwk_set_url", "https://idp/jwks", "jwt.jwk_set_file", "/j.json"))
                    .hasMessageContaining("(jwt.jwk_set_url, jwt.jwk_set_file, jwt.secret)");
        }

        @Test
        void urlLoginNeedsACookieName() {
            assertThat(error("jwt.url_login", "jwt.url_login", "true"))
                    .hasMessage("jwt.url_login: true needs jwt.cookie_name, the cookie the token is exchanged into");
        }

        @Test
        void theFirstBadKeyIsReported() {
            assertThat(error("grafana.url", "grafana.url", "nope", "proxy.max_connections", "0")).hasMessageContaining("\"nope\"");
        }

        @Test
        void originIsNamedWhenKnown() {
            assertThatThrownBy(() -> valid().set("proxy.max_connections", "x", "context-param").build())
                    .hasMessage("proxy.max_connections: \"x\" from context-param is invalid: expected a whole number greater than zero");
        }
    }
}
