package dev.grafanaproxy.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The proxy's settings: immutable, parsed and validated once. Build it with {@link #custom()} from
 * the same string keys users write (the loader does this for web.xml, the properties file and the
 * environment; code that registers the filter and servlet programmatically can do it directly).
 */
public final class ProxyConfig {

    /** The attributes Grafana's {@code [auth.proxy] headers} setting understands. */
    public static final Set<String> PROXY_HEADER_ATTRIBUTES = Set.of("Name", "Email", "Login", "Role", "Groups");

    /** Signature algorithms the proxy can verify; {@code none} is deliberately absent. */
    public static final Set<String> KNOWN_ALGORITHMS = Set.of(
            "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
            "ES256", "ES384", "ES512", "EdDSA", "Ed25519");

    /** Bounds of {@code grafana.jwt_ttl}: a minted token is meant to be short-lived. */
    public static final Duration MIN_GRAFANA_JWT_TTL = Duration.ofSeconds(1);
    public static final Duration MAX_GRAFANA_JWT_TTL = Duration.ofHours(24);

    /** Which identity goes in {@code grafana.header_name}. */
    public enum HeaderProperty { USERNAME, EMAIL }

    private final Map<ConfigKey, String> values;

    private final URI grafanaUrl;
    private final boolean stripPrefix;
    private final AuthMode authMode;
    private final String headerName;
    private final HeaderProperty headerProperty;
    private final Map<String, String> proxyHeaders;
    private final boolean headersEncoded;
    private final String orgHeader;
    private final String grafanaJwtHeader;

    // grafana.auth_mode=jwt
    private final JwtSource jwtSource;
    private final Duration jwtTtl;
    private final String jwtSigningKeyFile;
    private final Duration jwtCacheTtl;

    private final String cookieName;
    private final String tokenHeaderName;
    private final boolean urlLogin;
    private final URI jwkSetUrl;
    private final String jwkSetFile;
    private final String keyFile;
    private final String secret;
    private final List<String> algorithms;
    private final String issuer;
    private final String audience;
    private final String expectClaims;
    private final Duration clockSkew;
    private final Duration cacheTtl;
    private final String usernameClaim;
    private final String emailClaim;
    private final String nameClaim;
    private final String roleAttributePath;
    private final boolean roleAttributeStrict;
    private final String groupsAttributePath;
    private final String orgAttributePath;

    private final String loginUrl;
    private final List<String> publicPaths;

    private final Duration connectTimeout;
    private final Duration responseTimeout;
    private final int maxConnections;
    private final boolean preserveHost;
    private final Duration reloadInterval;
    private final String healthPath;
    private final Duration healthCacheTtl;
    private final String metricsPath;
    private final CidrSet metricsAllow;
    private final boolean auditEnabled;
    private final double auditSample;
    private final boolean auditQuery;
    private final Map<String, String> routeValues;
    private final Routes routes;

    private final List<String> websocketPaths;
    private final Duration websocketIdleTimeout;

    private ProxyConfig(Builder b) {
        this.values = Collections.unmodifiableMap(new EnumMap<>(b.values));
        this.routeValues = Collections.unmodifiableMap(new java.util.TreeMap<>(b.routeValues));
        Parser p = new Parser(b);

        grafanaUrl = p.httpUrl(ConfigKey.GRAFANA_URL, true);
        stripPrefix = p.bool(ConfigKey.GRAFANA_STRIP_PREFIX);
        authMode = p.oneOf(ConfigKey.GRAFANA_AUTH_MODE, AuthMode.class);
        headerName = p.headerName(ConfigKey.GRAFANA_HEADER_NAME, true);
        headerProperty = p.oneOf(ConfigKey.GRAFANA_HEADER_PROPERTY, HeaderProperty.class);
        proxyHeaders = p.proxyHeaders(ConfigKey.GRAFANA_HEADERS);
        headersEncoded = p.bool(ConfigKey.GRAFANA_HEADERS_ENCODED);
        orgHeader = p.headerName(ConfigKey.GRAFANA_ORG_HEADER, true);
        grafanaJwtHeader = p.headerName(ConfigKey.GRAFANA_JWT_HEADER, true);

        jwtSource = p.oneOf(ConfigKey.GRAFANA_JWT_SOURCE, JwtSource.class);
        jwtTtl = p.durationBetween(ConfigKey.GRAFANA_JWT_TTL, MIN_GRAFANA_JWT_TTL, MAX_GRAFANA_JWT_TTL);
        jwtSigningKeyFile = p.text(ConfigKey.GRAFANA_JWT_SIGNING_KEY_FILE);
        jwtCacheTtl = p.durationBetween(ConfigKey.GRAFANA_JWT_CACHE_TTL, Duration.ofSeconds(1), MAX_GRAFANA_JWT_TTL);

        cookieName = p.token(ConfigKey.JWT_COOKIE_NAME);
        tokenHeaderName = p.headerName(ConfigKey.JWT_HEADER_NAME, false);
        urlLogin = p.bool(ConfigKey.JWT_URL_LOGIN);
        jwkSetUrl = p.httpUrl(ConfigKey.JWT_JWK_SET_URL, false);
        jwkSetFile = p.text(ConfigKey.JWT_JWK_SET_FILE);
        keyFile = p.text(ConfigKey.JWT_KEY_FILE);
        secret = p.text(ConfigKey.JWT_SECRET);
        algorithms = p.algorithms(ConfigKey.JWT_ALGORITHMS);
        issuer = p.text(ConfigKey.JWT_ISSUER);
        audience = p.text(ConfigKey.JWT_AUDIENCE);
        expectClaims = p.text(ConfigKey.JWT_EXPECT_CLAIMS);
        clockSkew = p.duration(ConfigKey.JWT_CLOCK_SKEW, false);
        cacheTtl = p.duration(ConfigKey.JWT_CACHE_TTL, true);
        usernameClaim = p.required(ConfigKey.JWT_USERNAME_CLAIM);
        emailClaim = p.required(ConfigKey.JWT_EMAIL_CLAIM);
        nameClaim = p.required(ConfigKey.JWT_NAME_CLAIM);
        roleAttributePath = p.text(ConfigKey.JWT_ROLE_ATTRIBUTE_PATH);
        roleAttributeStrict = p.bool(ConfigKey.JWT_ROLE_ATTRIBUTE_STRICT);
        groupsAttributePath = p.text(ConfigKey.JWT_GROUPS_ATTRIBUTE_PATH);
        orgAttributePath = p.text(ConfigKey.JWT_ORG_ATTRIBUTE_PATH);

        loginUrl = p.loginUrl(ConfigKey.LOGIN_URL);
        publicPaths = p.paths(ConfigKey.PUBLIC_PATHS);

        connectTimeout = p.duration(ConfigKey.PROXY_CONNECT_TIMEOUT, true);
        responseTimeout = p.duration(ConfigKey.PROXY_RESPONSE_TIMEOUT, true);
        maxConnections = p.positiveInt(ConfigKey.PROXY_MAX_CONNECTIONS);
        preserveHost = p.bool(ConfigKey.PROXY_PRESERVE_HOST);
        reloadInterval = p.duration(ConfigKey.RELOAD_INTERVAL, false);
        healthPath = p.optionalPath(ConfigKey.HEALTH_PATH);
        healthCacheTtl = p.duration(ConfigKey.HEALTH_CACHE_TTL, false);
        metricsPath = p.optionalPath(ConfigKey.METRICS_PATH);
        metricsAllow = p.cidrs(ConfigKey.METRICS_ALLOW);
        auditEnabled = p.bool(ConfigKey.AUDIT_ENABLED);
        auditSample = p.fraction(ConfigKey.AUDIT_SAMPLE);
        auditQuery = p.bool(ConfigKey.AUDIT_QUERY);

        websocketPaths = p.paths(ConfigKey.WEBSOCKET_PATHS);
        websocketIdleTimeout = p.duration(ConfigKey.WEBSOCKET_IDLE_TIMEOUT, false);

        routes = Routes.parse(b.routeValues, b.routeOrigins);
        for (Routes.Route r : routes.all()) {
            if (r.identity() && r.url() != null && authMode == AuthMode.JWT && jwtSource == JwtSource.FORWARD) {
                // the identity would be the app's own session JWT: it never leaves for another backend
                throw new ConfigException(r.key("identity"), "true on a route to another backend (route." + r.name()
                        + ".url) would send the app's session JWT there (grafana.jwt_source=forward); pass what it needs"
                        + " with route." + r.name() + ".headers.<Header>={login} etc. instead");
            }
        }

        p.exactlyOneOf(ConfigKey.JWT_JWK_SET_URL, ConfigKey.JWT_JWK_SET_FILE, ConfigKey.JWT_KEY_FILE, ConfigKey.JWT_SECRET);
        if (urlLogin && cookieName == null) {
            throw new ConfigException(ConfigKey.JWT_URL_LOGIN.key(),
                    "true needs jwt.cookie_name, the cookie the token is exchanged into");
        }
    }

    public static Builder custom() {
        return new Builder();
    }

    /** The raw value of a key after defaults, or {@code null}. */
    public String raw(ConfigKey key) {
        return values.get(key);
    }

    /** One line for the start-up log: every set key, secrets masked. */
    public String summary() {
        StringJoiner j = new StringJoiner(", ");
        values.forEach((k, v) -> {
            if (k != ConfigKey.CONFIG_FILE || v != null) {
                j.add(k.key() + "=" + (k.secret() ? "******" : v));
            }
        });
        routeValues.forEach((k, v) -> j.add(k + "=" + (Routes.isSecretKey(k) ? "******" : v)));
        return j.toString();
    }

    /** The routes ({@code route.<name>.*}), longest path first; {@link Routes#NONE} when there are none. */
    public Routes routes() { return routes; }

    /** The raw value of a route key, e.g. {@code route.render.path}, or {@code null}. */
    public String rawRoute(String key) {
        return routeValues.get(key);
    }

    // --- grafana.* -------------------------------------------------------------------------

    /** Grafana's base URL, without a trailing slash. */
    public URI grafanaUrl() { return grafanaUrl; }
    public boolean stripPrefix() { return stripPrefix; }
    public AuthMode authMode() { return authMode; }
    public String headerName() { return headerName; }
    public HeaderProperty headerProperty() { return headerProperty; }
    /** {@code grafana.headers} as attribute ({@code Name}, {@code Email}, ...) to header name, in the order written. */
    public Map<String, String> proxyHeaders() { return proxyHeaders; }
    public boolean headersEncoded() { return headersEncoded; }
    public String orgHeader() { return orgHeader; }
    public String grafanaJwtHeader() { return grafanaJwtHeader; }

    // --- grafana.auth_mode=jwt -------------------------------------------------------------

    /** {@code grafana.jwt_source}: mint a token for Grafana, or forward the app's. */
    public JwtSource jwtSource() { return jwtSource; }
    /** {@code grafana.jwt_ttl}: lifetime of a minted token. */
    public Duration jwtTtl() { return jwtTtl; }
    /** {@code grafana.jwt_signing_key_file}: PEM private key that signs minted tokens, or {@code null} for a generated key. */
    public String jwtSigningKeyFile() { return jwtSigningKeyFile; }
    /**
     * {@code grafana.jwt_cache_ttl}: how long Grafana may keep the proxy's JWKS (its {@code
     * Cache-Control: max-age}); a new signing key is published this long (plus {@code reload_interval})
     * before it signs.
     */
    public Duration jwtCacheTtl() { return jwtCacheTtl; }

    /**
     * Every header name that carries identity towards Grafana. Clients may never send these
     * themselves: the proxy strips them from every request, public paths included.
     */
    public Set<String> identityHeaderNames() {
        Set<String> names = new java.util.TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        names.add(headerName);
        names.addAll(proxyHeaders.values());
        names.add(orgHeader);
        names.add(grafanaJwtHeader);
        return Collections.unmodifiableSet(names);
    }

    // --- jwt.* -----------------------------------------------------------------------------

    public String cookieName() { return cookieName; }
    /** The header accepting {@code Bearer <jwt>}, or {@code null} when turned off. */
    public String tokenHeaderName() { return tokenHeaderName; }
    public boolean urlLogin() { return urlLogin; }
    public URI jwkSetUrl() { return jwkSetUrl; }
    public String jwkSetFile() { return jwkSetFile; }
    public String keyFile() { return keyFile; }
    public String secret() { return secret; }
    /** The configured allow-list, or an empty list for "what the key source can verify". */
    public List<String> algorithms() { return algorithms; }
    public String issuer() { return issuer; }
    public String audience() { return audience; }
    /** The raw JSON object text of {@code jwt.expect_claims}, or {@code null}. */
    public String expectClaims() { return expectClaims; }
    public Duration clockSkew() { return clockSkew; }
    public Duration cacheTtl() { return cacheTtl; }
    public String usernameClaim() { return usernameClaim; }
    public String emailClaim() { return emailClaim; }
    public String nameClaim() { return nameClaim; }
    public String roleAttributePath() { return roleAttributePath; }
    public boolean roleAttributeStrict() { return roleAttributeStrict; }
    public String groupsAttributePath() { return groupsAttributePath; }
    public String orgAttributePath() { return orgAttributePath; }

    // --- login, public paths, proxy --------------------------------------------------------

    public String loginUrl() { return loginUrl; }
    public List<String> publicPaths() { return publicPaths; }
    public Duration connectTimeout() { return connectTimeout; }
    public Duration responseTimeout() { return responseTimeout; }
    public int maxConnections() { return maxConnections; }
    public boolean preserveHost() { return preserveHost; }
    /** How often the config file and key files are checked for changes; zero turns watching off. */
    public Duration reloadInterval() { return reloadInterval; }
    /** The proxy's own health endpoint below the mount, or {@code null} when turned off. */
    public String healthPath() { return healthPath; }
    /** How long one probe of Grafana's health is reused. */
    public Duration healthCacheTtl() { return healthCacheTtl; }
    /** The Prometheus scrape endpoint below the mount, or {@code null} when off (the default). */
    public String metricsPath() { return metricsPath; }
    /** Who may scrape it. */
    public CidrSet metricsAllow() { return metricsAllow; }
    public boolean auditEnabled() { return auditEnabled; }
    /** The share of successful requests written to the audit log (failures are always written). */
    public double auditSample() { return auditSample; }
    public boolean auditQuery() { return auditQuery; }

    // --- websocket.* -----------------------------------------------------------------------

    /** Paths below the mount whose WebSocket upgrades are relayed; same matching as {@link #publicPaths()}. */
    public List<String> websocketPaths() { return websocketPaths; }
    /** How long a relayed WebSocket may stay silent both ways; zero for no limit. */
    public Duration websocketIdleTimeout() { return websocketIdleTimeout; }

    /** Collects raw string values; {@link #build()} parses and validates them all. */
    public static final class Builder {
        private final Map<ConfigKey, String> values = new EnumMap<>(ConfigKey.class);
        private final Map<ConfigKey, String> origins = new EnumMap<>(ConfigKey.class);
        private final Map<String, String> routeValues = new java.util.TreeMap<>();
        private final Map<String, String> routeOrigins = new java.util.HashMap<>();

        private Builder() {
        }

        /**
         * Sets a key by name; {@code null} removes it. Route keys ({@code route.<name>.*}) are accepted
         * here and validated by {@link #build()}; any other unknown name is a {@link ConfigException}.
         */
        public Builder set(String key, String value) {
            return set(key, value, null);
        }

        /** As {@link #set(String, String)}, remembering where the value came from for error messages. */
        public Builder set(String key, String value, String origin) {
            if (Routes.isRouteKey(key)) {
                if (value == null) {
                    routeValues.remove(key);
                    routeOrigins.remove(key);
                } else {
                    routeValues.put(key, value);
                    if (origin != null) {
                        routeOrigins.put(key, origin);
                    } else {
                        routeOrigins.remove(key);
                    }
                }
                return this;
            }
            ConfigKey k = ConfigKey.byName(key)
                    .orElseThrow(() -> new ConfigException(key, "unknown key" + (origin == null ? "" : " (in " + origin + ")")));
            return set(k, value, origin);
        }

        public Builder set(ConfigKey key, String value, String origin) {
            if (value == null) {
                values.remove(key);
                origins.remove(key);
            } else {
                values.put(key, value);
                if (origin != null) {
                    origins.put(key, origin);
                } else {
                    origins.remove(key);
                }
            }
            return this;
        }

        /** @throws ConfigException naming the first key whose value is missing or wrong */
        public ProxyConfig build() {
            for (ConfigKey k : ConfigKey.values()) {
                if (!values.containsKey(k) && k.defaultValue() != null) {
                    values.put(k, k.defaultValue());
                }
            }
            return new ProxyConfig(this);
        }
    }

    /** Turns raw strings into typed values; every failure names its key. */
    private static final class Parser {
        private final Builder b;

        Parser(Builder b) {
            this.b = b;
        }

        private ConfigException bad(ConfigKey k, String expected) {
            String v = b.values.get(k);
            String shown = k.secret() ? "(value hidden)" : "\"" + v + "\"";
            String origin = b.origins.get(k);
            return new ConfigException(k.key(), shown + (origin == null ? "" : " from " + origin) + " is invalid: " + expected);
        }

        String text(ConfigKey k) {
            String v = b.values.get(k);
            return v == null || v.isBlank() ? null : v.trim();
        }

        String required(ConfigKey k) {
            String v = text(k);
            if (v == null) {
                throw new ConfigException(k.key(), "is required but not set");
            }
            return v;
        }

        boolean bool(ConfigKey k) {
            String v = required(k).toLowerCase(Locale.ROOT);
            if (v.equals("true")) {
                return true;
            }
            if (v.equals("false")) {
                return false;
            }
            throw bad(k, "expected true or false");
        }

        <E extends Enum<E>> E oneOf(ConfigKey k, Class<E> type) {
            String v = required(k);
            for (E e : type.getEnumConstants()) {
                if (e.name().equalsIgnoreCase(v)) {
                    return e;
                }
            }
            throw bad(k, "expected one of " + Stream.of(type.getEnumConstants())
                    .map(e -> e.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", ")));
        }

        URI httpUrl(ConfigKey k, boolean required) {
            String v = required ? required(k) : text(k);
            if (v == null) {
                return null;
            }
            URI u;
            try {
                u = new URI(v);
            } catch (URISyntaxException e) {
                throw bad(k, "expected an http or https URL");
            }
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("http") || scheme.equals("https")) && u.getHost() == null
                    && u.getRawAuthority() != null && u.getRawAuthority().contains("_")) {
                // a Docker Compose v1 container name (project_grafana_1): URLs do not allow '_'
                throw bad(k, "a host name may not contain '_'; use a name or network alias without it, e.g. http://grafana:3000");
            }
            if (!(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null) {
                throw bad(k, "expected an http or https URL with a host, e.g. http://127.0.0.1:3000");
            }
            if (k == ConfigKey.GRAFANA_URL) {
                if (u.getRawQuery() != null || u.getRawFragment() != null || u.getRawUserInfo() != null) {
                    throw bad(k, "expected a base URL without user info, query or fragment");
                }
                String path = u.getRawPath() == null ? "" : u.getRawPath();
                while (path.endsWith("/")) {
                    path = path.substring(0, path.length() - 1);
                }
                try {
                    u = new URI(scheme, null, u.getHost(), u.getPort(), null, null, null);
                    return URI.create(u + path);
                } catch (URISyntaxException e) {
                    throw bad(k, "expected an http or https URL");
                }
            }
            return u;
        }

        String headerName(ConfigKey k, boolean required) {
            String v = required ? required(k) : text(k);
            if (v != null && !isToken(v)) {
                throw bad(k, "expected an HTTP header name");
            }
            return v;
        }

        String token(ConfigKey k) {
            String v = text(k);
            if (v != null && !isToken(v)) {
                throw bad(k, "expected a cookie name (letters, digits and !#$%&'*+-.^_`|~)");
            }
            return v;
        }

        Map<String, String> proxyHeaders(ConfigKey k) {
            String v = text(k);
            Map<String, String> map = new LinkedHashMap<>();
            if (v == null) {
                return Collections.unmodifiableMap(map);
            }
            for (String pair : v.split("[\\s,]+")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int colon = pair.indexOf(':');
                String attr = colon < 0 ? pair : pair.substring(0, colon);
                String header = colon < 0 ? "" : pair.substring(colon + 1);
                if (!PROXY_HEADER_ATTRIBUTES.contains(attr) || !isToken(header) || map.containsKey(attr)) {
                    throw bad(k, "expected space-separated Attribute:Header-Name pairs with attributes from "
                            + new java.util.TreeSet<>(PROXY_HEADER_ATTRIBUTES) + ", each at most once");
                }
                map.put(attr, header);
            }
            return Collections.unmodifiableMap(map);
        }

        List<String> algorithms(ConfigKey k) {
            String v = text(k);
            if (v == null) {
                return List.of();
            }
            List<String> list = new ArrayList<>();
            for (String a : v.split("[\\s,]+")) {
                if (a.isEmpty()) {
                    continue;
                }
                if (a.equalsIgnoreCase("none")) {
                    throw bad(k, "'none' is never accepted");
                }
                if (!KNOWN_ALGORITHMS.contains(a)) {
                    throw bad(k, "expected JWS algorithm names from " + new java.util.TreeSet<>(KNOWN_ALGORITHMS));
                }
                list.add(a);
            }
            return List.copyOf(list);
        }

        Duration duration(ConfigKey k, boolean positive) {
            Duration d;
            try {
                d = Durations.parse(required(k));
            } catch (IllegalArgumentException e) {
                throw bad(k, "expected a duration such as 500ms, 5s, 60m or 1h");
            }
            if (positive && d.isZero()) {
                throw bad(k, "expected a duration greater than zero");
            }
            return d;
        }

        Duration durationBetween(ConfigKey k, Duration min, Duration max) {
            Duration d = duration(k, false);
            if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
                throw bad(k, "expected a duration from " + Durations.format(min) + " to " + Durations.format(max));
            }
            return d;
        }

        int positiveInt(ConfigKey k) {
            try {
                int n = Integer.parseInt(required(k).trim());
                if (n > 0) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // fall through to the error below
            }
            throw bad(k, "expected a whole number greater than zero");
        }

        String loginUrl(ConfigKey k) {
            String v = text(k);
            if (v == null) {
                return null;
            }
            boolean rootRelative = v.startsWith("/") && !v.startsWith("//");
            if (!rootRelative) {
                URI u;
                try {
                    u = new URI(v.replace("{url}", "x"));
                } catch (URISyntaxException e) {
                    throw bad(k, "expected an absolute http(s) URL or a path starting with /");
                }
                String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
                if (!(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null) {
                    throw bad(k, "expected an absolute http(s) URL or a path starting with /");
                }
            }
            return v;
        }

        List<String> paths(ConfigKey k) {
            String v = text(k);
            if (v == null) {
                return List.of();
            }
            List<String> list = new ArrayList<>();
            for (String p : v.split(",")) {
                String path = p.trim();
                if (path.isEmpty()) {
                    continue;
                }
                if (!path.startsWith("/") || path.contains("?") || path.contains("#")
                        || (path.contains("*") && !path.endsWith("/*")) || path.indexOf('*') != path.lastIndexOf('*')) {
                    throw bad(k, "expected comma-separated paths starting with /, optionally ending in /*");
                }
                list.add(path);
            }
            return List.copyOf(list);
        }

        String optionalPath(ConfigKey k) {
            String v = text(k);
            if (v != null && (!v.startsWith("/") || v.contains("?") || v.contains("#") || v.contains("*") || v.contains(" "))) {
                throw bad(k, "expected a path starting with /, or empty to turn it off");
            }
            return v;
        }

        CidrSet cidrs(ConfigKey k) {
            try {
                return CidrSet.parse(b.values.getOrDefault(k, ""));
            } catch (IllegalArgumentException e) {
                throw bad(k, "expected comma-separated literal addresses or CIDR ranges, e.g. 127.0.0.0/8, ::1/128");
            }
        }

        double fraction(ConfigKey k) {
            try {
                double d = Double.parseDouble(required(k).trim());
                if (d >= 0 && d <= 1) {
                    return d;
                }
            } catch (NumberFormatException e) {
                // fall through to the error below
            }
            throw bad(k, "expected a number from 0 to 1");
        }

        void exactlyOneOf(ConfigKey... keys) {
            List<String> set = Stream.of(keys).filter(key -> text(key) != null).map(ConfigKey::key).collect(Collectors.toList());
            String all = Stream.of(keys).map(ConfigKey::key).collect(Collectors.joining(", "));
            if (set.isEmpty()) {
                throw new ConfigException(keys[0].key(), "no token key source is set: set exactly one of " + all);
            }
            if (set.size() > 1) {
                throw new ConfigException(set.get(0), "more than one token key source is set (" + String.join(", ", set)
                        + "): set exactly one of " + all);
            }
        }

        private static boolean isToken(String s) {
            return Routes.isToken(s);
        }
    }
}
