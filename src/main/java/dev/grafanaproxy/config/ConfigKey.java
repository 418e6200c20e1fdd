package dev.grafanaproxy.config;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Every configuration key the proxy knows, with its default. Key names follow Grafana's
 * {@code [auth.jwt]} and {@code [auth.proxy]} settings wherever one exists. This enum is the single
 * list the loader, the validation and the documentation tests work from.
 */
public enum ConfigKey {
    CONFIG_FILE("config_file", null),
    RELOAD_INTERVAL("reload_interval", "2s"),

    GRAFANA_URL("grafana.url", null),
    GRAFANA_STRIP_PREFIX("grafana.strip_prefix", "false"),
    GRAFANA_AUTH_MODE("grafana.auth_mode", "proxy"),
    GRAFANA_HEADER_NAME("grafana.header_name", "X-WEBAUTH-USER"),
    GRAFANA_HEADER_PROPERTY("grafana.header_property", "username"),
    GRAFANA_HEADERS("grafana.headers",
            "Name:X-WEBAUTH-NAME Email:X-WEBAUTH-EMAIL Role:X-WEBAUTH-ROLE Groups:X-WEBAUTH-GROUPS"),
    GRAFANA_HEADERS_ENCODED("grafana.headers_encoded", "false"),
    GRAFANA_ORG_HEADER("grafana.org_header", "X-Grafana-Org-Id"),
    GRAFANA_JWT_HEADER("grafana.jwt_header", "X-JWT-Assertion"),

    // grafana.auth_mode=jwt: where the token for Grafana's [auth.jwt] comes from
    GRAFANA_JWT_SOURCE("grafana.jwt_source", "mint"),
    GRAFANA_JWT_TTL("grafana.jwt_ttl", "5m"),
    GRAFANA_JWT_SIGNING_KEY_FILE("grafana.jwt_signing_key_file", null),
    GRAFANA_JWT_CACHE_TTL("grafana.jwt_cache_ttl", "1m"),

    JWT_COOKIE_NAME("jwt.cookie_name", null),
    JWT_HEADER_NAME("jwt.header_name", "Authorization"),
    JWT_URL_LOGIN("jwt.url_login", "false"),
    JWT_JWK_SET_URL("jwt.jwk_set_url", null),
    JWT_JWK_SET_FILE("jwt.jwk_set_file", null),
    JWT_KEY_FILE("jwt.key_file", null),
    JWT_SECRET("jwt.secret", null, true),
    JWT_ALGORITHMS("jwt.algorithms", null),
    JWT_ISSUER("jwt.issuer", null),
    JWT_AUDIENCE("jwt.audience", null),
    JWT_EXPECT_CLAIMS("jwt.expect_claims", null),
    JWT_CLOCK_SKEW("jwt.clock_skew", "60s"),
    JWT_CACHE_TTL("jwt.cache_ttl", "60m"),
    JWT_USERNAME_CLAIM("jwt.username_claim", "sub"),
    JWT_EMAIL_CLAIM("jwt.email_claim", "email"),
    JWT_NAME_CLAIM("jwt.name_claim", "name"),
    JWT_ROLE_ATTRIBUTE_PATH("jwt.role_attribute_path", null),
    JWT_ROLE_ATTRIBUTE_STRICT("jwt.role_attribute_strict", "false"),
    JWT_GROUPS_ATTRIBUTE_PATH("jwt.groups_attribute_path", null),
    JWT_ORG_ATTRIBUTE_PATH("jwt.org_attribute_path", null),

    LOGIN_URL("login.url", null),
    PUBLIC_PATHS("public_paths", "/api/health"),

    PROXY_CONNECT_TIMEOUT("proxy.connect_timeout", "5s"),
    PROXY_RESPONSE_TIMEOUT("proxy.response_timeout", "60s"),
    PROXY_MAX_CONNECTIONS("proxy.max_connections", "200"),
    PROXY_PRESERVE_HOST("proxy.preserve_host", "true"),

    HEALTH_PATH("health.path", "/-/health"),
    HEALTH_CACHE_TTL("health.cache_ttl", "5s"),
    METRICS_PATH("metrics.path", ""),
    METRICS_ALLOW("metrics.allow", "127.0.0.0/8, ::1/128"),
    AUDIT_ENABLED("audit.enabled", "true"),
    AUDIT_SAMPLE("audit.sample", "1.0"),
    AUDIT_QUERY("audit.query", "false");

    private static final Map<String, ConfigKey> BY_NAME = Stream.of(values())
            .collect(Collectors.toUnmodifiableMap(ConfigKey::key, Function.identity()));

    private final String key;
    private final String defaultValue;
    private final boolean secret;

    ConfigKey(String key, String defaultValue) {
        this(key, defaultValue, false);
    }

    ConfigKey(String key, String defaultValue, boolean secret) {
        this.key = key;
        this.defaultValue = defaultValue;
        this.secret = secret;
    }

    /** The key as users write it, e.g. {@code grafana.url}. */
    public String key() {
        return key;
    }

    /** The default, or {@code null} when the key has none. */
    public String defaultValue() {
        return defaultValue;
    }

    /** Secret values are never echoed in errors or logs. */
    public boolean secret() {
        return secret;
    }

    /** The environment variable that overrides this key, e.g. {@code GRAFANA_PROXY_JWT_JWK_SET_URL}. */
    public String environmentVariable() {
        return "GRAFANA_PROXY_" + key.toUpperCase(Locale.ROOT).replace('.', '_');
    }

    public static Optional<ConfigKey> byName(String key) {
        return Optional.ofNullable(BY_NAME.get(key));
    }
}
