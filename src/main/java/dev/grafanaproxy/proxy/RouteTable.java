package dev.grafanaproxy.proxy;

import dev.grafanaproxy.config.ProxyConfig;
import dev.grafanaproxy.config.Routes;
import dev.grafanaproxy.identity.ClaimsCondition;
import dev.grafanaproxy.identity.Identity;
import jakarta.servlet.http.HttpServletRequest;
import org.apache.hc.core5.http.HttpHost;

import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The routes of one {@link Upstream} snapshot, ready to use: targets resolved, {@code require}
 * compiled, client-credentials caches in place. A reload builds a new table and hands over the
 * token cache of every route whose token settings did not change, so a reload does not cost a
 * token fetch.
 */
final class RouteTable {
    static final RouteTable EMPTY = new RouteTable(Routes.NONE, List.of());

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{(login|email|org)}");

    private final Routes routes;
    private final Map<String, Compiled> byName;

    private RouteTable(Routes routes, List<Compiled> compiled) {
        this.routes = routes;
        Map<String, Compiled> m = new LinkedHashMap<>();
        compiled.forEach(c -> m.put(c.route.name(), c));
        this.byName = m;
    }

    /**
     * @param previous the table being replaced, whose token caches may be reused, or {@code null}
     * @throws dev.grafanaproxy.config.ConfigException when a {@code require} does not compile
     */
    static RouteTable of(ProxyConfig config, RouteTable previous) {
        Routes routes = config.routes();
        if (routes.isEmpty()) {
            return EMPTY;
        }
        List<Compiled> list = new ArrayList<>();
        for (Routes.Route r : routes.all()) {
            ClaimsCondition require = r.require() == null ? null : ClaimsCondition.compile(r.key("require"), r.require());
            ClientCredentials credentials = null;
            if (r.token() != null) {
                Compiled old = previous == null ? null : previous.byName.get(r.name());
                credentials = old != null && old.credentials != null && old.credentials.settings().equals(r.token())
                        ? old.credentials : new ClientCredentials(r.name(), r.token());
            }
            list.add(new Compiled(r, config, require, credentials));
        }
        return new RouteTable(routes, list);
    }

    boolean isEmpty() {
        return byName.isEmpty();
    }

    /** The route for a decoded path below the mount, or {@code null}. */
    Compiled match(String pathBelowMount) {
        Routes.Route r = routes.match(pathBelowMount);
        return r == null ? null : byName.get(r.name());
    }

    /**
     * Why a request must not use a route from another site, or {@code null} when it comes from the
     * page itself. {@code Sec-Fetch-Site} (sent by every current browser) must be {@code same-origin}
     * or {@code none} (typed or bookmarked); otherwise an {@code Origin} must be this origin. A request
     * with neither (no browser, or an old one on a same-origin GET) passes.
     */
    static String crossSiteRefusal(HttpServletRequest request) {
        String site = request.getHeader("Sec-Fetch-Site");
        if (site != null) {
            String s = site.trim().toLowerCase(Locale.ROOT);
            if (!s.equals("same-origin") && !s.equals("none")) {
                return "cross-site request refused (Sec-Fetch-Site: " + s + ")";
            }
        }
        String origin = request.getHeader("Origin");
        if (origin != null && !origin.trim().equalsIgnoreCase(RequestPaths.publicOrigin(request))) {
            return "cross-origin request refused";
        }
        return null;
    }

    /** One route, compiled. */
    static final class Compiled {
        final Routes.Route route;
        final ClaimsCondition require;
        final ClientCredentials credentials;
        /** The target host, or {@code null} for Grafana's. */
        final HttpHost target;
        /** The raw path prefix on the target ({@code url}'s path), when not Grafana. */
        final String basePath;

        Compiled(Routes.Route route, ProxyConfig config, ClaimsCondition require, ClientCredentials credentials) {
            this.route = route;
            this.require = require;
            this.credentials = credentials;
            URI url = route.url();
            if (url == null) {
                target = null;
                basePath = null;
            } else {
                target = new HttpHost(url.getScheme(), url.getHost(), url.getPort());
                basePath = url.getRawPath() == null ? "" : url.getRawPath();
            }
        }

        String name() {
            return route.name();
        }

        boolean toGrafana() {
            return target == null;
        }

        boolean allows(String method) {
            return route.methods().isEmpty() || route.methods().contains(method);
        }

        /**
         * The raw path and query on the target: the path below the route's prefix appended to the
         * target's base path (for Grafana: as plain forwarding would send it), the client's query
         * without parameters the route sets, then the route's parameters.
         */
        String pathAndQuery(HttpServletRequest request, Upstream u, Identity identity) {
            String rawBelow = RequestPaths.rawPathBelowMount(request);
            String prefix = route.path();
            String rest;
            if (rawBelow.startsWith(prefix) && (rawBelow.length() == prefix.length() || rawBelow.charAt(prefix.length()) == '/')) {
                rest = rawBelow.substring(prefix.length());
            } else {
                // the client percent-encoded a character of the prefix itself: use the decoded form
                rest = RequestPaths.encodePath(RequestPaths.pathBelowMount(request).substring(prefix.length()));
            }
            String path;
            if (target == null) {
                String below = rest.isEmpty() ? "/" : rest;
                path = u.basePath() + (u.config().stripPrefix() ? below : RequestPaths.mount(request) + below);
            } else {
                path = basePath + rest;
                if (path.isEmpty()) {
                    path = "/";
                }
            }
            String clientQuery = request.getQueryString();
            if (route.params().isEmpty()) {
                return path + (clientQuery == null ? "" : "?" + clientQuery);
            }
            StringBuilder query = new StringBuilder();
            if (clientQuery != null && !clientQuery.isEmpty()) {
                for (String pair : clientQuery.split("&", -1)) {
                    int eq = pair.indexOf('=');
                    String name = eq < 0 ? pair : pair.substring(0, eq);
                    if (route.params().containsKey(decode(name))) {
                        continue; // the route's own value wins; a client copy never reaches the target
                    }
                    query.append(query.length() == 0 ? "" : "&").append(pair);
                }
            }
            for (Map.Entry<String, String> p : route.params().entrySet()) {
                query.append(query.length() == 0 ? "" : "&")
                        .append(URLEncoder.encode(p.getKey(), StandardCharsets.UTF_8)).append('=')
                        .append(URLEncoder.encode(fill(p.getValue(), identity), StandardCharsets.UTF_8));
            }
            return path + "?" + query;
        }

        /** The route's headers with placeholders filled, as wire strings (UTF-8 bytes). */
        Map<String, String> headers(Identity identity) {
            Map<String, String> out = new LinkedHashMap<>();
            for (Map.Entry<String, String> h : route.headers().entrySet()) {
                String v = fill(h.getValue(), identity);
                out.put(h.getKey(), new String(v.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1));
            }
            return out;
        }

        /**
         * The placeholder of a header or parameter the identity cannot fill, or {@code null} when all
         * can.
         */
        String missingPlaceholder(Identity identity) {
            List<String> templates = new ArrayList<>(route.headers().values());
            templates.addAll(route.params().values());
            for (String t : templates) {
                Matcher m = PLACEHOLDER.matcher(t);
                while (m.find()) {
                    if (value(m.group(1), identity) == null) {
                        return m.group();
                    }
                }
            }
            return null;
        }

        private static String fill(String template, Identity identity) {
            if (template.indexOf('{') < 0) {
                return template;
            }
            Matcher m = PLACEHOLDER.matcher(template);
            StringBuilder sb = new StringBuilder();
            while (m.find()) {
                String v = value(m.group(1), identity);
                m.appendReplacement(sb, Matcher.quoteReplacement(v == null ? "" : v));
            }
            m.appendTail(sb);
            return sb.toString();
        }

        private static String value(String placeholder, Identity identity) {
            return switch (placeholder) {
                case "login" -> identity.login();
                case "email" -> identity.email();
                case "org" -> identity.orgId();
                default -> null;
            };
        }

        private static String decode(String s) {
            try {
                return URLDecoder.decode(s, StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return s;
            }
        }
    }
}
