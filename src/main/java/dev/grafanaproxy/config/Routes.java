package dev.grafanaproxy.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The routes of one configuration: paths under the mount whose requests the proxy sends to a target
 * with credentials it adds itself (headers, URL parameters, an OAuth2 client-credentials token), so
 * the secret never reaches the browser. Parsed from the dynamic keys {@code route.<name>.*}, which
 * are not in {@link ConfigKey}; every failure is a {@link ConfigException} naming the exact key.
 * Immutable.
 */
public final class Routes {
    /** The prefix of every route key. */
    public static final String PREFIX = "route.";

    /** Placeholders a header or parameter value may hold, filled from the session's identity. */
    public static final Set<String> PLACEHOLDERS = Set.of("login", "email", "org");

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]+");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-z_]+)}");
    private static final Pattern PATH = Pattern.compile("(/[A-Za-z0-9._~!$&'()*+,;=:@-]+)+");
    private static final Set<String> SIMPLE_ATTRIBUTES = Set.of("path", "methods", "url", "require", "identity");
    private static final Set<String> TOKEN_ATTRIBUTES = Set.of("token_url", "client_id", "client_secret", "scopes", "audience");
    /** Headers a route may not set: framing and routing belong to the proxy. */
    private static final Set<String> RESERVED_HEADERS = caseInsensitive("Host", "Content-Length", "Transfer-Encoding",
            "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Upgrade", "Expect", "Cookie");

    public static final Routes NONE = new Routes(List.of());

    /** OAuth2 client credentials (RFC 6749 section 4.4) for one route. */
    public record TokenSettings(URI tokenUrl, String clientId, String clientSecret, List<String> scopes, String audience) {
        @Override
        public String toString() {
            return "TokenSettings[" + tokenUrl + ", client_id=" + clientId + ", scopes=" + scopes + "]";
        }
    }

    /**
     * One route.
     *
     * @param name     the {@code <name>} in its keys
     * @param path     the path prefix below the mount, without trailing slash
     * @param methods  allowed methods (upper case), empty for all
     * @param url      the target base URL without trailing slash, or {@code null} for {@code grafana.url}
     * @param require  a JMESPath over the verified claims that must be truthy, or {@code null}
     * @param identity whether the Grafana identity headers are sent too
     * @param headers  header name to value template, in key order
     * @param params   URL parameter name to value template, in key order
     * @param token    client credentials, or {@code null}
     */
    public record Route(String name, String path, Set<String> methods, URI url, String require, boolean identity,
                        Map<String, String> headers, Map<String, String> params, TokenSettings token) {

        /** The key of one attribute of this route, e.g. {@code route.render.path}. */
        public String key(String attribute) {
            return PREFIX + name + "." + attribute;
        }

        @Override
        public String toString() {
            // names only: values may hold secrets
            return "Route[" + name + " " + path + " -> " + (url == null ? "grafana.url" : url) + ", methods=" + methods
                    + ", headers=" + headers.keySet() + ", params=" + params.keySet() + (token == null ? "" : ", token") + "]";
        }
    }

    private final List<Route> routes;

    private Routes(List<Route> routes) {
        this.routes = routes;
    }

    /** Routes, longest path first (the order in which they match). */
    public List<Route> all() {
        return routes;
    }

    public boolean isEmpty() {
        return routes.isEmpty();
    }

    /**
     * The route whose path is {@code pathBelowMount} or a segment-wise prefix of it (so
     * {@code /_api/render} matches {@code /_api/render} and {@code /_api/render/x}, never
     * {@code /_api/renderx}); the longest wins. {@code null} when none matches.
     *
     * @param pathBelowMount the decoded, normalised path below the mount
     */
    public Route match(String pathBelowMount) {
        for (Route r : routes) {
            String p = r.path();
            if (pathBelowMount.startsWith(p) && (pathBelowMount.length() == p.length() || pathBelowMount.charAt(p.length()) == '/')) {
                return r;
            }
        }
        return null;
    }

    /** True for a key that belongs to a route ({@code route.<name>.<attribute>}). */
    public static boolean isRouteKey(String key) {
        return key != null && key.startsWith(PREFIX);
    }

    /** True for a route key whose value must never be shown: the client secret, header and parameter values. */
    public static boolean isSecretKey(String key) {
        if (!isRouteKey(key)) {
            return false;
        }
        String rest = key.substring(PREFIX.length());
        int dot = rest.indexOf('.');
        String attribute = dot < 0 ? "" : rest.substring(dot + 1);
        return attribute.equals("token.client_secret") || attribute.startsWith("headers.") || attribute.startsWith("params.");
    }

    /**
     * Parses every {@code route.*} key.
     *
     * @param values  key to raw value (already {@code ${env:}}-expanded)
     * @param origins key to where it came from, for messages
     */
    static Routes parse(Map<String, String> values, Map<String, String> origins) {
        Map<String, Map<String, String>> byName = new TreeMap<>();
        for (Map.Entry<String, String> e : new TreeMap<>(values).entrySet()) {
            String key = e.getKey();
            String rest = key.substring(PREFIX.length());
            int dot = rest.indexOf('.');
            String name = dot < 0 ? rest : rest.substring(0, dot);
            if (dot < 0 || !NAME.matcher(name).matches()) {
                throw new ConfigException(key, "expected route.<name>.<attribute> with a name of letters, digits, _ and -");
            }
            String attribute = rest.substring(dot + 1);
            boolean known = SIMPLE_ATTRIBUTES.contains(attribute)
                    || (attribute.startsWith("headers.") && attribute.length() > "headers.".length())
                    || (attribute.startsWith("params.") && attribute.length() > "params.".length())
                    || (attribute.startsWith("token.") && TOKEN_ATTRIBUTES.contains(attribute.substring("token.".length())));
            if (!known) {
                throw new ConfigException(key, "unknown route attribute \"" + attribute + "\"" + from(origins, key)
                        + ": expected path, methods, url, require, identity, headers.<Header>, params.<name> or token."
                        + String.join("|", new TreeSet<>(TOKEN_ATTRIBUTES)));
            }
            byName.computeIfAbsent(name, n -> new LinkedHashMap<>()).put(attribute, e.getValue());
        }
        List<Route> list = new ArrayList<>();
        Map<String, String> pathOwner = new LinkedHashMap<>();
        for (Map.Entry<String, Map<String, String>> e : byName.entrySet()) {
            Route r = route(e.getKey(), e.getValue(), origins);
            String other = pathOwner.putIfAbsent(r.path(), r.name());
            if (other != null) {
                throw new ConfigException(r.key("path"), "\"" + r.path() + "\" is already the path of route " + other);
            }
            list.add(r);
        }
        list.sort(Comparator.comparingInt((Route r) -> r.path().length()).reversed().thenComparing(Route::name));
        return list.isEmpty() ? NONE : new Routes(List.copyOf(list));
    }

    private static Route route(String name, Map<String, String> a, Map<String, String> origins) {
        String prefix = PREFIX + name + ".";
        String pathKey = prefix + "path";
        String path = trimmed(a.get("path"));
        if (path == null) {
            throw new ConfigException(pathKey, "is required for route " + name + " (a path prefix under the mount, e.g. /_api/" + name + ")");
        }
        while (path.length() > 1 && path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        if (!PATH.matcher(path).matches() || path.contains("/./") || path.endsWith("/.") || path.contains("/../")
                || path.endsWith("/..")) {
            throw bad(pathKey, a.get("path"), origins, "expected a path prefix such as /_api/render (no query, no dot segments, "
                    + "letters, digits and -._~!$&'()*+,;=:@ only)");
        }

        Set<String> methods = new LinkedHashSet<>();
        String m = trimmed(a.get("methods"));
        if (m != null) {
            for (String method : m.split("[\\s,]+")) {
                if (method.isEmpty()) {
                    continue;
                }
                String up = method.toUpperCase(Locale.ROOT);
                if (!up.chars().allMatch(c -> c >= 'A' && c <= 'Z') || up.equals("CONNECT")) {
                    throw bad(prefix + "methods", m, origins, "expected comma-separated HTTP methods, e.g. GET, POST");
                }
                methods.add(up);
            }
        }

        URI url = null;
        String u = trimmed(a.get("url"));
        if (u != null) {
            url = baseUrl(prefix + "url", u, origins);
        }

        String require = trimmed(a.get("require"));

        boolean identity = false;
        String id = trimmed(a.get("identity"));
        if (id != null) {
            if (id.equalsIgnoreCase("true")) {
                identity = true;
            } else if (!id.equalsIgnoreCase("false")) {
                throw bad(prefix + "identity", id, origins, "expected true or false");
            }
        }

        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        Map<String, String> params = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : a.entrySet()) {
            String attribute = e.getKey();
            String key = prefix + attribute;
            if (attribute.startsWith("headers.")) {
                String header = attribute.substring("headers.".length());
                if (!isToken(header)) {
                    throw new ConfigException(key, "\"" + header + "\" is not an HTTP header name");
                }
                if (RESERVED_HEADERS.contains(header)) {
                    throw new ConfigException(key, header + " is set by the proxy itself and cannot be a route header");
                }
                if (headers.containsKey(header)) {
                    throw new ConfigException(key, "header " + header + " is set twice (header names ignore case)");
                }
                headers.put(header, template(key, e.getValue(), true));
            } else if (attribute.startsWith("params.")) {
                params.put(attribute.substring("params.".length()), template(key, e.getValue(), false));
            }
        }
        Map<String, String> orderedHeaders = new LinkedHashMap<>();
        a.keySet().stream().filter(k -> k.startsWith("headers.")).map(k -> k.substring("headers.".length()))
                .forEach(h -> orderedHeaders.put(h, headers.get(h)));

        TokenSettings token = null;
        if (a.keySet().stream().anyMatch(k -> k.startsWith("token."))) {
            String urlKey = prefix + "token.token_url";
            String tokenUrl = trimmed(a.get("token.token_url"));
            if (tokenUrl == null) {
                throw new ConfigException(urlKey, "is required when any route." + name + ".token.* key is set");
            }
            String clientId = trimmed(a.get("token.client_id"));
            if (clientId == null) {
                throw new ConfigException(prefix + "token.client_id", "is required when any route." + name + ".token.* key is set");
            }
            String secret = a.get("token.client_secret");
            if (secret == null || secret.isBlank()) {
                throw new ConfigException(prefix + "token.client_secret",
                        "is required when any route." + name + ".token.* key is set (use ${env:NAME})");
            }
            List<String> scopes = new ArrayList<>();
            String s = trimmed(a.get("token.scopes"));
            if (s != null) {
                for (String scope : s.split("[\\s,]+")) {
                    if (!scope.isEmpty()) {
                        scopes.add(scope);
                    }
                }
            }
            if (headers.containsKey("Authorization")) {
                String authKey = a.keySet().stream().filter(k -> k.equalsIgnoreCase("headers.Authorization")).findFirst()
                        .orElse("headers.Authorization");
                throw new ConfigException(prefix + authKey,
                        "cannot be set together with route." + name + ".token.*, which sends Authorization: Bearer <token>");
            }
            token = new TokenSettings(baseUrl(urlKey, tokenUrl, origins), clientId, secret.trim(), List.copyOf(scopes),
                    trimmed(a.get("token.audience")));
        }
        return new Route(name, path, Collections.unmodifiableSet(methods), url, require, identity,
                Collections.unmodifiableMap(orderedHeaders), Collections.unmodifiableMap(params), token);
    }

    /** Validates placeholders; header values also may not hold control characters. */
    private static String template(String key, String value, boolean header) {
        String v = value == null ? "" : value.trim();
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c < 0x20 && c != '\t' || c == 0x7F) {
                throw new ConfigException(key, "(value hidden) holds a control character");
            }
        }
        if (header && v.isEmpty()) {
            throw new ConfigException(key, "is empty; remove the key instead");
        }
        Matcher m = PLACEHOLDER.matcher(v);
        while (m.find()) {
            if (!PLACEHOLDERS.contains(m.group(1))) {
                throw new ConfigException(key, "(value hidden) uses the unknown placeholder {" + m.group(1)
                        + "}: expected {login}, {email} or {org}");
            }
        }
        return v;
    }

    private static URI baseUrl(String key, String value, Map<String, String> origins) {
        URI u;
        try {
            u = new URI(value);
        } catch (URISyntaxException e) {
            throw bad(key, value, origins, "expected an http or https URL");
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null || u.getRawUserInfo() != null
                || u.getRawFragment() != null || u.getRawQuery() != null) {
            throw bad(key, value, origins, "expected an http or https URL with a host and no user info, query or fragment"
                    + " (URL parameters go in route.<name>.params.<name>)");
        }
        String s = value;
        while (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        return URI.create(s);
    }

    private static ConfigException bad(String key, String value, Map<String, String> origins, String expected) {
        return new ConfigException(key, "\"" + value + "\"" + from(origins, key) + " is invalid: " + expected);
    }

    private static String from(Map<String, String> origins, String key) {
        String o = origins.get(key);
        return o == null ? "" : " from " + o;
    }

    private static String trimmed(String v) {
        return v == null || v.isBlank() ? null : v.trim();
    }

    /** An RFC 9110 token: what header and cookie names are made of. */
    static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static Set<String> caseInsensitive(String... names) {
        Set<String> set = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        Collections.addAll(set, names);
        return Collections.unmodifiableSet(set);
    }
}
