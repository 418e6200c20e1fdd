package dev.grafanaproxy.sample.launcher;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.grafanaproxy.sample.app.Templates;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.HandshakeResponse;
import jakarta.websocket.Session;
import jakarta.websocket.server.HandshakeRequest;
import jakarta.websocket.server.ServerEndpointConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.ee10.websocket.jakarta.server.config.JakartaWebSocketServletContainerInitializer;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The <b>demo Grafana stand-in</b>: what the demo talks to when no real Grafana is given. It is
 * not Grafana and says so on every page. It behaves like a Grafana configured as the README asks
 * ({@code root_url=.../grafana/}, {@code serve_from_sub_path=true}, {@code [auth.proxy]} with the
 * default header names, anonymous access off), listens on {@code 127.0.0.1} only, and shows what
 * grafana-proxy forwarded:
 * <ul>
 * <li>any page ({@code /grafana/}, {@code /grafana/d/<uid>/<slug>}, ...): the identity from the
 *     {@code X-WEBAUTH-*} headers, every header received, and checks its script runs in the
 *     browser: its stylesheet, script and image loaded, {@code GET api/user}, {@code POST api/ds/query}
 *     and the Live WebSocket {@code api/live/ws};</li>
 * <li>{@code /grafana/public/**}: the assets, without identity (like Grafana's);</li>
 * <li>{@code /grafana/api/health}: public; {@code /grafana/api/user}, {@code /grafana/api/user/orgs},
 *     {@code POST /grafana/api/ds/query}: JSON shaped like Grafana's;</li>
 * <li>{@code /grafana/api/live/ws}: a WebSocket that greets the user named in the upgrade request's
 *     {@code X-WEBAUTH-USER} and echoes every message.</li>
 * </ul>
 * Without {@code X-WEBAUTH-USER} every other route answers 401, and a request whose
 * {@code Origin} does not match its {@code Host} gets 403 (as Grafana's CSRF check); a Live
 * WebSocket whose {@code Origin} is neither its {@code Host} nor {@link #rootUrl(String) root_url}'s
 * is closed with 1008 (as Grafana Live's origin check).
 */
public final class DemoGrafana implements AutoCloseable {

    /** Shown on every page and in the start-up banner. */
    public static final String LABEL = "DEMO GRAFANA STAND-IN";

    static final String USER_HEADER = "X-WEBAUTH-USER";
    static final String NAME_HEADER = "X-WEBAUTH-NAME";
    static final String EMAIL_HEADER = "X-WEBAUTH-EMAIL";
    static final String ROLE_HEADER = "X-WEBAUTH-ROLE";
    static final String GROUPS_HEADER = "X-WEBAUTH-GROUPS";

    private static final String RESOURCES = "standin/";
    private static final Map<String, String> ASSETS = Map.of(
            "/public/build/standin.css", "text/css;charset=utf-8",
            "/public/build/standin.js", "text/javascript;charset=utf-8",
            "/public/img/standin.svg", "image/svg+xml");

    private final Server server;
    private final ServerConnector connector;
    private volatile URI rootUrl;

    private DemoGrafana() {
        QueuedThreadPool pool = new QueuedThreadPool(24, 2);
        pool.setName("demo-grafana");
        server = new Server(pool);
        server.setStopTimeout(0);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);

        ServletContextHandler grafana = new ServletContextHandler("/grafana");
        grafana.addServlet(new ServletHolder("stand-in", new StandInServlet()), "/");
        JakartaWebSocketServletContainerInitializer.configure(grafana, (servletContext, container) ->
                container.addEndpoint(ServerEndpointConfig.Builder.create(LiveEndpoint.class, "/api/live/ws")
                        .configurator(new LiveHandshake(this))
                        .build()));
        server.setHandler(grafana);
    }

    /** Starts a stand-in on {@code 127.0.0.1} and a free port. */
    public static DemoGrafana start() throws Exception {
        DemoGrafana g = new DemoGrafana();
        try {
            g.server.start();
        } catch (Exception e) {
            g.close();
            throw e;
        }
        return g;
    }

    /**
     * Grafana's {@code [server] root_url}: the public URL under the proxy's mount, e.g.
     * {@code http://localhost:8080/grafana/}. Like Grafana, Live accepts a WebSocket whose
     * {@code Origin} is this URL's origin (or the request's own {@code Host}).
     */
    public void rootUrl(String url) {
        this.rootUrl = URI.create(url);
    }

    /** What grafana-proxy's {@code grafana.url} is set to, e.g. {@code http://127.0.0.1:41234}. */
    public String baseUrl() {
        return "http://127.0.0.1:" + connector.getLocalPort();
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }

    /** The identity grafana-proxy sent, from the request's {@code X-WEBAUTH-*} headers. */
    record Identity(String login, String email, String name, String role, List<String> groups) {

        static Identity from(java.util.function.Function<String, String> header) {
            String login = header.apply(USER_HEADER);
            if (login == null || login.isEmpty()) {
                return null;
            }
            String role = header.apply(ROLE_HEADER);
            String groups = header.apply(GROUPS_HEADER);
            return new Identity(login, orEmpty(header.apply(EMAIL_HEADER)), orEmpty(header.apply(NAME_HEADER)),
                    role == null || role.isEmpty() ? "Viewer" : role,
                    groups == null || groups.isBlank() ? List.of() : List.of(groups.trim().split("\\s*,\\s*")));
        }

        Map<String, Object> userJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", 1);
            m.put("login", login);
            m.put("email", email);
            m.put("name", name);
            m.put("orgId", 1);
            m.put("isGrafanaAdmin", false);
            m.put("authLabels", List.of("Auth Proxy"));
            return m;
        }

        private static String orEmpty(String s) {
            return s == null ? "" : s;
        }
    }

    /**
     * Grafana's CSRF check: a request that carries {@code Origin} must come from the host it is
     * addressed to. grafana-proxy passes the browser's {@code Host} on
     * ({@code proxy.preserve_host=true}), which is what makes this pass.
     */
    static boolean originAllowed(String origin, String host) {
        if (origin == null || origin.isEmpty()) {
            return true;
        }
        try {
            URI o = URI.create(origin);
            String authority = o.getRawAuthority();
            return authority != null && host != null && authority.equalsIgnoreCase(host);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Every route but the WebSocket upgrade. */
    static final class StandInServlet extends HttpServlet {

        @Override
        protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
            // the path below /grafana as sent (the servlet is the default one, mapped to "/")
            String path = request.getRequestURI().substring(request.getContextPath().length());
            if (path.isEmpty()) {
                path = "/";
            }
            if (ASSETS.containsKey(path) && "GET".equals(request.getMethod())) {
                asset(path, response);
                return;
            }
            if (path.equals("/api/health")) {
                json(response, 200, Map.of("database", "ok", "version", "demo-stand-in", "commit", "stand-in"));
                return;
            }
            if (!isLoopback(request.getRemoteAddr())) { // [auth.proxy] whitelist
                json(response, 407, Map.of("message", "Request came from outside the proxy whitelist"));
                return;
            }
            if (!originAllowed(request.getHeader("Origin"), request.getHeader("Host"))) {
                json(response, 403, Map.of("message", "origin not allowed"));
                return;
            }
            Identity identity = Identity.from(request::getHeader);
            if (identity == null) {
                if (path.startsWith("/api/")) {
                    json(response, 401, Map.of("message", "Unauthorized: no " + USER_HEADER
                            + " header (the request did not come through grafana-proxy)"));
                } else {
                    text(response, 401, "text/plain;charset=utf-8", LABEL + ": no " + USER_HEADER
                            + " header, so no user. Requests must come through grafana-proxy.\n");
                }
                return;
            }
            switch (path) {
                case "/api/user" -> json(response, 200, identity.userJson());
                case "/api/user/orgs" -> json(response, 200,
                        List.of(Map.of("orgId", 1, "name", "Main Org.", "role", identity.role())));
                case "/api/ds/query" -> query(request, response);
                case "/api/live/ws" -> json(response, 400,
                        Map.of("message", "websocket: the client is not using the websocket protocol"));
                default -> {
                    if (path.startsWith("/api/") || path.startsWith("/public/")) {
                        json(response, 404, Map.of("message", "Not found"));
                    } else if ("GET".equals(request.getMethod()) || "HEAD".equals(request.getMethod())) {
                        page(request, response, identity);
                    } else {
                        json(response, 405, Map.of("message", "Method not allowed"));
                    }
                }
            }
        }

        /** {@code POST api/ds/query}: a fixed time series, so the page can draw its panel from an API answer. */
        private static void query(HttpServletRequest request, HttpServletResponse response) throws IOException {
            if (!"POST".equals(request.getMethod())) {
                json(response, 405, Map.of("message", "Method not allowed"));
                return;
            }
            request.getInputStream().readAllBytes();
            List<Object> values = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                values.add(40 + (int) Math.round(25 * Math.sin(i / 3.0) + 10 * Math.cos(i / 1.7)));
            }
            json(response, 200, Map.of("results", Map.of("A", Map.of("status", 200, "values", values))));
        }

        private static void page(HttpServletRequest request, HttpServletResponse response, Identity identity)
                throws IOException {
            Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            for (String name : Collections.list(request.getHeaderNames())) {
                headers.computeIfAbsent(name, k -> new ArrayList<>()).addAll(Collections.list(request.getHeaders(name)));
            }
            StringBuilder rows = new StringBuilder();
            headers.forEach((name, values) -> {
                for (String value : values) {
                    boolean isIdentity = name.toUpperCase(Locale.ROOT).startsWith("X-WEBAUTH-");
                    rows.append("<tr").append(isIdentity ? " class=\"identity\"" : "").append("><th>")
                            .append(Templates.escape(name)).append("</th><td>").append(Templates.escape(value))
                            .append("</td></tr>\n");
                }
            });
            String query = request.getQueryString();
            String target = request.getRequestURI() + (query == null ? "" : "?" + query);
            boolean kiosk = query != null && List.of(query.split("&")).stream()
                    .anyMatch(p -> p.equals("kiosk") || p.startsWith("kiosk="));
            String html = Templates.render(DemoGrafana.class, RESOURCES + "page.html", Map.ofEntries(
                    Map.entry("base", request.getContextPath() + "/"),
                    Map.entry("label", LABEL),
                    Map.entry("bodyClass", kiosk ? "kiosk" : ""),
                    Map.entry("login", identity.login()),
                    Map.entry("email", identity.email()),
                    Map.entry("name", identity.name()),
                    Map.entry("role", identity.role()),
                    Map.entry("groups", String.join(", ", identity.groups())),
                    Map.entry("method", request.getMethod()),
                    Map.entry("target", target),
                    Map.entry("kiosk", kiosk ? "on" : "off"),
                    Map.entry("headers", new Templates.Html(rows.toString()))));
            response.setHeader("Cache-Control", "no-store");
            text(response, 200, "text/html;charset=utf-8", html);
        }

        private static void asset(String path, HttpServletResponse response) throws IOException {
            String file = path.substring(path.lastIndexOf('/') + 1);
            try (InputStream in = DemoGrafana.class.getResourceAsStream(RESOURCES + file)) {
                if (in == null) {
                    json(response, 404, Map.of("message", "Not found"));
                    return;
                }
                byte[] body = in.readAllBytes();
                response.setStatus(200);
                response.setContentType(ASSETS.get(path));
                response.setHeader("Cache-Control", "no-cache");
                response.setContentLength(body.length);
                response.getOutputStream().write(body);
            }
        }

        private static void json(HttpServletResponse response, int status, Object body) throws IOException {
            String json = body instanceof Map<?, ?> m
                    ? JSONObjectUtils.toJSONString(castMap(m))
                    : toJsonArray((List<?>) body);
            text(response, status, "application/json", json);
        }

        private static void text(HttpServletResponse response, int status, String contentType, String body)
                throws IOException {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            response.setStatus(status);
            response.setContentType(contentType);
            response.setContentLength(bytes.length);
            response.getOutputStream().write(bytes);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, ?> castMap(Map<?, ?> m) {
        return (Map<String, ?>) m;
    }

    private static String toJsonArray(List<?> list) {
        String wrapped = JSONObjectUtils.toJSONString(Map.of("a", list));
        return wrapped.substring("{\"a\":".length(), wrapped.length() - 1);
    }

    static boolean isLoopback(String address) {
        try {
            return InetAddress.getByName(address).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /**
     * Grafana Live's origin check: no {@code Origin}, or one equal to {@code root_url}'s scheme,
     * host and port, or to the request's {@code Host}.
     */
    static boolean liveOriginAllowed(String origin, String host, URI rootUrl) {
        if (originAllowed(origin, host)) {
            return true;
        }
        try {
            URI o = URI.create(origin);
            return rootUrl != null && o.getScheme() != null && o.getScheme().equalsIgnoreCase(rootUrl.getScheme())
                    && o.getRawAuthority() != null && o.getRawAuthority().equalsIgnoreCase(rootUrl.getRawAuthority());
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Reads the identity and origin check of the upgrade request into the session's properties. */
    public static final class LiveHandshake extends ServerEndpointConfig.Configurator {
        private final DemoGrafana grafana;

        LiveHandshake(DemoGrafana grafana) {
            this.grafana = grafana;
        }

        @Override
        public void modifyHandshake(ServerEndpointConfig config, HandshakeRequest request, HandshakeResponse response) {
            Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            headers.putAll(request.getHeaders());
            java.util.function.Function<String, String> header = name -> {
                List<String> v = headers.get(name);
                return v == null || v.isEmpty() ? null : v.get(0);
            };
            Identity identity = Identity.from(header);
            config.getUserProperties().put("identity", identity);
            config.getUserProperties().put("originAllowed",
                    liveOriginAllowed(header.apply("Origin"), header.apply("Host"), grafana.rootUrl));
        }
    }

    /**
     * {@code /grafana/api/live/ws}: sends {@code {"type":"hello","login":..,"role":..}} on open and
     * answers every text message with {@code {"type":"echo","data":..}}. Closes with 1008 when the
     * upgrade request had no identity or a foreign {@code Origin}.
     */
    public static final class LiveEndpoint extends Endpoint {
        @Override
        public void onOpen(Session session, EndpointConfig config) {
            Identity identity = (Identity) config.getUserProperties().get("identity");
            Object originAllowed = config.getUserProperties().get("originAllowed");
            try {
                if (identity == null) {
                    session.close(new CloseReason(CloseReason.CloseCodes.VIOLATED_POLICY, "no " + USER_HEADER));
                    return;
                }
                if (!Boolean.TRUE.equals(originAllowed)) {
                    session.close(new CloseReason(CloseReason.CloseCodes.VIOLATED_POLICY, "origin not allowed"));
                    return;
                }
            } catch (IOException e) {
                return;
            }
            session.addMessageHandler(String.class, text -> {
                Map<String, Object> echo = new LinkedHashMap<>();
                echo.put("type", "echo");
                echo.put("data", text);
                session.getAsyncRemote().sendText(JSONObjectUtils.toJSONString(echo));
            });
            Map<String, Object> hello = new LinkedHashMap<>();
            hello.put("type", "hello");
            hello.put("login", identity.login());
            hello.put("role", identity.role());
            session.getAsyncRemote().sendText(JSONObjectUtils.toJSONString(hello));
        }
    }
}
