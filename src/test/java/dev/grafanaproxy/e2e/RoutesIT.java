package dev.grafanaproxy.e2e;

import dev.grafanaproxy.testsupport.Containers;
import dev.grafanaproxy.testsupport.GrafanaStandIn;
import dev.grafanaproxy.testsupport.RawHttp;
import dev.grafanaproxy.testsupport.ReceivedRequest;
import dev.grafanaproxy.testsupport.ServletContainer;
import dev.grafanaproxy.testsupport.TestKeys;
import dev.grafanaproxy.testsupport.TokenEndpoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Routes end to end on both containers: a service-account header to Grafana's API, a second backend
 * with URL parameters and identity placeholders, OAuth2 client credentials against a real token
 * endpoint (reuse, single flight on first use and on renewal under concurrent load, 401 retry, a
 * failing endpoint), require, methods, cross-site refusal, no session, and a reload.
 */
class RoutesIT {
    private static final String SA_TOKEN = "glsa_" + TestKeys.secret(32);
    private static final String API_KEY = "k-" + TestKeys.secret(20);
    private static E2E e2e;
    private static GrafanaStandIn grafana;
    private static GrafanaStandIn backend;
    private static TokenEndpoint idp;

    @BeforeAll
    static void start() throws Exception {
        backend = new GrafanaStandIn().start();
        idp = TokenEndpoint.start().delay(Duration.ofMillis(300));
        for (Containers kind : Containers.values()) {
            String c = kind.name().toLowerCase();
            idp.client("burst-" + c, secretOf("burst-" + c), 3600);
            idp.client("renew-" + c, secretOf("renew-" + c), 8);
            idp.client("retry-" + c, secretOf("retry-" + c), 3600);
        }
        backend.route("/protected/*", (received, request, response, callback) -> {
            String auth = received.header("Authorization");
            boolean ok = auth != null && auth.startsWith("Bearer ") && idp.isValid(auth.substring(7));
            GrafanaStandIn.respondJson(response, callback, ok ? 200 : 401, Map.of("ok", ok));
        });
        e2e = new E2E(p -> {
            p.put("jwt.role_attribute_path", "contains(roles[*], 'admin') && 'Admin' || 'Viewer'");
            p.put("jwt.org_attribute_path", "org");
            p.put("public_paths", "/api/health, /_api/open/*");
            p.put("route.grafana.path", "/_api/grafana");
            p.put("route.grafana.headers.Authorization", "Bearer " + SA_TOKEN);
            p.put("route.open.path", "/_api/open");
            p.put("route.open.url", backend.baseUrl());
            p.put("route.metrics.path", "/_api/metrics");
            p.put("route.metrics.url", backend.baseUrl());
            p.put("route.metrics.methods", "GET");
            p.put("route.metrics.params.api_key", API_KEY);
            p.put("route.metrics.params.tenant", "{org}");
            p.put("route.metrics.headers.X-Scope-User", "{login}");
            p.put("route.admin.path", "/_api/admin");
            p.put("route.admin.url", backend.baseUrl());
            p.put("route.admin.require", "contains(roles, 'admin')");
            p.put("route.admin.identity", "true");
        });
        grafana = e2e.grafana;
    }

    @AfterAll
    static void stop() {
        e2e.close();
        backend.close();
        idp.close();
    }

    @BeforeEach
    void clear() {
        grafana.clearReceived();
        backend.clearReceived();
    }

    private static TestKeys.Jwt user(String sub, String... roles) {
        return TestKeys.jwt().subject(sub).expiresIn(Duration.ofMinutes(10)).claim("email", sub + "@example.com")
                .claim("roles", List.of(roles)).claim("org", 2);
    }

    private static String session(String sub, String... roles) {
        return "Cookie: theme=dark; app_session=" + user(sub, roles).sign(TestKeys.hmac(E2E.SECRET)) + "; grafana_session=s1";
    }

    private static RawHttp.Response get(ServletContainer c, String target, String... headers) throws Exception {
        return RawHttp.exchange(c.port(), RawHttp.get(target, headers));
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void aServiceAccountHeaderReachesGrafanasApiAndNothingOfTheClientsCredentials(Containers kind) throws Exception {
        ServletContainer c = e2e.server(kind);
        RawHttp.Response r = get(c, "/grafana/_api/grafana/echo/api/search?query=cpu%20load&limit=5", session("alice", "admin"),
                "Authorization: Bearer forged", "authorization: Basic YWRtaW46YWRtaW4=", "X-WEBAUTH-USER: admin");
        assertThat(r.status()).isEqualTo(200);
        ReceivedRequest got = grafana.lastReceived();
        assertThat(got.rawPath()).isEqualTo("/grafana/echo/api/search");
        assertThat(got.rawQuery()).isEqualTo("query=cpu%20load&limit=5");
        assertThat(got.headers("Authorization")).containsExactly("Bearer " + SA_TOKEN);
        assertThat(got.hasHeader("X-WEBAUTH-USER")).isFalse();
        assertThat(got.hasHeader("Cookie")).as("no session or grafana_session next to the service account").isFalse();
        assertThat(got.headers("Host")).containsExactly("127.0.0.1");
        assertThat(got.headers("X-Forwarded-Proto")).containsExactly("http");

        RawHttp.Response cookie = get(c, "/grafana/_api/grafana/cookie", session("alice", "admin"));
        assertThat(cookie.status()).isEqualTo(200);
        assertThat(cookie.hasHeader("Set-Cookie")).as("a route's target plants no cookie on the app's origin").isFalse();
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void aSecondBackendGetsUrlParametersAndIdentityPlaceholdersButNoGrafanaIdentity(Containers kind) throws Exception {
        ServletContainer c = e2e.server(kind);
        RawHttp.Response r = get(c, "/grafana/_api/metrics/echo/q%20x?match=up&api_key=evil&API_KEY=kept&tenant=9",
                session("alice", "admin"), "X-Scope-User: mallory", "x-scope-user: eve", "X-WEBAUTH-USER: admin");
        assertThat(r.status()).isEqualTo(200);
        ReceivedRequest got = backend.lastReceived();
        assertThat(got.rawPath()).isEqualTo("/echo/q%20x");
        assertThat(got.rawQuery()).isEqualTo("match=up&API_KEY=kept&api_key=" + API_KEY + "&tenant=2");
        assertThat(got.headers("X-Scope-User")).containsExactly("alice");
        assertThat(got.headerNames()).noneMatch(n -> n.toLowerCase().startsWith("x-webauth") || n.equalsIgnoreCase("X-Grafana-Org-Id")
                || n.equalsIgnoreCase("Authorization") || n.equalsIgnoreCase("Cookie"));
        assertThat(got.headers("Host")).containsExactly("127.0.0.1:" + backend.port());
        assertThat(grafana.received()).isEmpty();

        RawHttp.Response post = RawHttp.exchange(c.port(), RawHttp.request("POST", "/grafana/_api/metrics/echo/q",
                session("alice", "admin"), "Content-Length: 2"), "{}".getBytes(StandardCharsets.US_ASCII));
        assertThat(post.status()).isEqualTo(405);
        assertThat(post.header("Allow")).isEqualTo("GET");
        assertThat(backend.received()).hasSize(1);
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void requireDeniesAViewerAndIdentityIsSentOnlyWhenConfigured(Containers kind) throws Exception {
        ServletContainer c = e2e.server(kind);
        RawHttp.Response viewer = get(c, "/grafana/_api/admin/echo/x", session("victor", "viewer"));
        assertThat(viewer.status()).isEqualTo(403);
        assertThat(viewer.bodyText()).contains("route admin is not available to this user");
        assertThat(backend.received()).isEmpty();

        assertThat(get(c, "/grafana/_api/admin/echo/x", session("alice", "admin")).status()).isEqualTo(200);
        ReceivedRequest got = backend.lastReceived();
        assertThat(got.headers("X-WEBAUTH-USER")).containsExactly("alice");
        assertThat(got.headers("X-WEBAUTH-ROLE")).containsExactly("Admin");
        assertThat(got.headers("X-Grafana-Org-Id")).containsExactly("2");
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void aCrossSiteRequestIsRefusedAndASameOriginOnePasses(Containers kind) throws Exception {
        ServletContainer c = e2e.server(kind);
        String alice = session("alice", "admin");
        RawHttp.Response fetchMeta = get(c, "/grafana/_api/metrics/echo/x", alice, "Sec-Fetch-Site: cross-site");
        assertThat(fetchMeta.status()).isEqualTo(403);
        assertThat(fetchMeta.bodyText()).contains("cross-site request refused");
        assertThat(get(c, "/grafana/_api/metrics/echo/x", alice, "Sec-Fetch-Site: same-site").status()).isEqualTo(403);
        assertThat(get(c, "/grafana/_api/metrics/echo/x", alice, "Origin: https://evil.example").status()).isEqualTo(403);
        assertThat(get(c, "/grafana/_api/metrics/echo/x", alice, "Origin: null").status()).isEqualTo(403);
        assertThat(backend.received()).isEmpty();

        assertThat(get(c, "/grafana/_api/metrics/echo/x", alice, "Sec-Fetch-Site: same-origin", "Origin: http://127.0.0.1")
                .status()).isEqualTo(200);
        assertThat(get(c, "/grafana/_api/metrics/echo/x", alice, "Sec-Fetch-Site: none").status()).isEqualTo(200);
        assertThat(backend.received()).hasSize(2);
        // plain forwarding to Grafana is not a route: no such check there
        assertThat(get(c, "/grafana/echo/x", alice, "Sec-Fetch-Site: cross-site").status()).isEqualTo(200);
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void aRouteNeedsASessionEvenUnderAPublicPath(Containers kind) throws Exception {
        ServletContainer c = e2e.server(kind);
        assertThat(get(c, "/grafana/_api/open/echo/x").status()).isEqualTo(401);
        assertThat(get(c, "/grafana/_api/metrics/echo/x").status()).isEqualTo(401);
        assertThat(backend.received()).isEmpty();
        assertThat(get(c, "/grafana/_api/open/echo/x", session("alice")).status()).isEqualTo(200);
    }

    // --- OAuth2 client credentials ------------------------------------------------------------

    private static ServletContainer oauthServer(Containers kind, String name, String clientId, Path dir, String extra)
            throws Exception {
        Path file = dir.resolve("routes.properties");
        write(file, oauthRoute(name, clientId) + extra);
        ServletContainer c = kind.builder()
                .contextParam("grafana.url", grafana.baseUrl())
                .contextParam("jwt.secret", E2E.SECRET)
                .contextParam("jwt.cookie_name", "app_session")
                .contextParam("config_file", file.toString())
                .contextParam("reload_interval", "200ms")
                .start();
        assertThat(c.isWebappAvailable()).as(c.logText()).isTrue();
        return c;
    }

    private static String oauthRoute(String name, String clientId) {
        return "route." + name + ".path=/_api/" + name + "\n"
                + "route." + name + ".url=" + backend.baseUrl() + "\n"
                + "route." + name + ".token.token_url=" + idp.url() + "\n"
                + "route." + name + ".token.client_id=" + clientId + "\n"
                + "route." + name + ".token.client_secret=" + secretOf(clientId) + "\n"
                + "route." + name + ".token.scopes=metrics:read\n";
    }

    private static final Map<String, String> SECRETS = new java.util.concurrent.ConcurrentHashMap<>();

    private static String secretOf(String clientId) {
        return SECRETS.computeIfAbsent(clientId, k -> {
            throw new IllegalStateException(k);
        });
    }

    private static void write(Path file, String text) throws Exception {
        Path tmp = Files.createTempFile(file.getParent(), "cfg", ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static List<Integer> concurrently(int n, ServletContainer c, String target, String session) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<Integer>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                futures.add(pool.submit(() -> get(c, target, session).status()));
            }
            List<Integer> statuses = new ArrayList<>();
            for (Future<Integer> f : futures) {
                statuses.add(f.get());
            }
            return statuses;
        } finally {
            pool.shutdownNow();
        }
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void clientCredentialsFetchOnceUnderConcurrentFirstUseThenReuseRenewBeforeExpiryAndRetryA401(Containers kind,
                                                                                                   @TempDir Path dir) throws Exception {
        String k = kind.name().toLowerCase();
        String alice = session("alice", "admin");
        try (ServletContainer c = oauthServer(kind, "burst", "burst-" + k, dir,
                oauthRoute("renew", "renew-" + k) + oauthRoute("retry", "retry-" + k))) {
            // first use by 20 requests at once: one token request
            assertThat(concurrently(20, c, "/grafana/_api/burst/protected/a", alice)).containsOnly(200);
            assertThat(idp.fetches("burst-" + k)).isEqualTo(1);
            Map<String, String> form = idp.forms().stream().filter(f -> ("burst-" + k).equals(f.get("client_id"))).findFirst().orElseThrow();
            assertThat(form).containsEntry("grant_type", "client_credentials").containsEntry("scope", "metrics:read");
            // reuse
            for (int i = 0; i < 5; i++) {
                assertThat(get(c, "/grafana/_api/burst/protected/b", alice).status()).isEqualTo(200);
            }
            assertThat(idp.fetches("burst-" + k)).isEqualTo(1);

            // renewal before expiry (expires_in=8: renewed from 6 s on) under concurrent load: one fetch, nobody fails
            assertThat(get(c, "/grafana/_api/renew/protected/a", alice).status()).isEqualTo(200);
            long fetched = System.nanoTime();
            assertThat(idp.fetches("renew-" + k)).isEqualTo(1);
            Thread.sleep(Math.max(0, Duration.ofMillis(6300).toMillis() - Duration.ofNanos(System.nanoTime() - fetched).toMillis()));
            assertThat(concurrently(20, c, "/grafana/_api/renew/protected/b", alice)).containsOnly(200);
            Thread.sleep(500); // the renewal (300 ms at the endpoint) lands
            assertThat(idp.fetches("renew-" + k)).isEqualTo(2);
            assertThat(get(c, "/grafana/_api/renew/protected/c", alice).status()).isEqualTo(200);
            assertThat(idp.fetches("renew-" + k)).isEqualTo(2);

            // the target refuses the cached token: one fresh token, one retry, the client sees 200
            assertThat(get(c, "/grafana/_api/retry/protected/a", alice).status()).isEqualTo(200);
            assertThat(idp.fetches("retry-" + k)).isEqualTo(1);
            idp.revokeAll();
            backend.clearReceived();
            RawHttp.Response retried = get(c, "/grafana/_api/retry/protected/b", alice);
            assertThat(retried.status()).isEqualTo(200);
            assertThat(idp.fetches("retry-" + k)).isEqualTo(2);
            List<ReceivedRequest> sent = backend.received("/protected/b");
            assertThat(sent).hasSize(2);
            assertThat(sent.get(0).header("Authorization")).isNotEqualTo(sent.get(1).header("Authorization"));
            // a request with a body is not replayed: the 401 reaches the client
            idp.revokeAll();
            RawHttp.Response post = RawHttp.exchange(c.port(), RawHttp.request("POST", "/grafana/_api/retry/protected/c",
                    alice, "Content-Length: 2"), "{}".getBytes(StandardCharsets.US_ASCII));
            assertThat(post.status()).isEqualTo(401);
            assertThat(backend.received("/protected/c")).hasSize(1);

            assertThat(c.logText()).doesNotContain(secretOf("burst-" + k), secretOf("retry-" + k));
        }
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void aFailingTokenEndpointAnswers502OnceLoggedAndARouteChangeAppliesWithoutRestart(Containers kind,
                                                                                        @TempDir Path dir) throws Exception {
        String k = kind.name().toLowerCase();
        String alice = session("alice", "admin");
        SECRETS.put("wrong-" + k, "not-the-secret-" + TestKeys.secret(12));
        try (ServletContainer c = oauthServer(kind, "broken", "wrong-" + k, dir, "")) {
            for (int i = 0; i < 3; i++) {
                RawHttp.Response r = get(c, "/grafana/_api/broken/protected/a", alice);
                assertThat(r.status()).isEqualTo(502);
                assertThat(r.bodyText())
                        .contains("route broken: no access token from its token endpoint: the token endpoint answered HTTP 401 invalid_client");
            }
            assertThat(idp.fetches("wrong-" + k)).isEqualTo(1);
            assertThat(c.logLines()).filteredOn(l -> l.contains("route broken: no access token")).hasSize(1);
            assertThat(backend.received()).isEmpty();
            assertThat(c.logText()).doesNotContain(secretOf("wrong-" + k));

            // reload: the route moves and gets a static header instead
            write(dir.resolve("routes.properties"), "route.moved.path=/_api/moved\nroute.moved.url=" + backend.baseUrl()
                    + "\nroute.moved.headers.X-Api-Key=" + API_KEY + "\n");
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (get(c, "/grafana/_api/moved/echo/m", alice).status() != 200 && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(backend.lastReceived().headers("X-Api-Key")).containsExactly(API_KEY);
            grafana.clearReceived();
            assertThat(get(c, "/grafana/_api/broken/protected/a", alice).status()).as("no longer a route: plain forwarding")
                    .isEqualTo(404);
            assertThat(grafana.received()).hasSize(1);
        }
    }

    static {
        for (Containers kind : Containers.values()) {
            String k = kind.name().toLowerCase();
            for (String p : List.of("burst-", "renew-", "retry-")) {
                SECRETS.put(p + k, "cs-" + p + k + "-" + TestKeys.secret(16));
            }
        }
    }
}
