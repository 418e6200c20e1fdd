package dev.grafanaproxy.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.jwk.RSAKey;
import dev.grafanaproxy.testsupport.ConfFiles;
import dev.grafanaproxy.testsupport.GrafanaJwtAuth;
import dev.grafanaproxy.testsupport.JwksServer;
import dev.grafanaproxy.testsupport.RawHttp;
import dev.grafanaproxy.testsupport.ServletContainer;
import dev.grafanaproxy.testsupport.TestKeys;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Shared set-up of the {@code grafana.auth_mode=jwt} end-to-end tests: the app's signing key and JWKS,
 * session tokens, and the {@code [auth.jwt]} settings the Grafana stand-in plays for each way (as
 * {@code conf/grafana-jwt-mint.ini} and {@code conf/grafana-jwt-forward.ini} set them).
 */
final class JwtE2E implements AutoCloseable {
    static final String ISSUER = "https://app.example.com";
    static final String JWKS_PATH = "/grafana/.well-known/proxy-jwks.json";
    /** The proxy's jwt.role_attribute_path and, in forward mode, Grafana's role_attribute_path. */
    static final String ROLE_PATH = "contains(roles[*], 'root') && 'GrafanaAdmin' || contains(roles[*], 'admin') && 'Admin'"
            + " || contains(roles[*], 'editor') && 'Editor' || 'Viewer'";
    private static final ObjectMapper JSON = new ObjectMapper();

    final RSAKey appKey = TestKeys.rsa("app-key-1");
    final JwksServer appJwks = JwksServer.start(appKey);

    /** The app's session token settings and grafana.auth_mode=jwt, on top of {@link E2E#baseParams()}. */
    void jwtMode(Map<String, String> p) {
        p.remove("jwt.secret");
        p.put("jwt.jwk_set_url", appJwks.url().toString());
        p.put("jwt.issuer", ISSUER);
        p.put("jwt.audience", "grafana");
        p.put("jwt.role_attribute_path", ROLE_PATH);
        p.put("jwt.groups_attribute_path", "groups");
        p.put("jwt.org_attribute_path", "org");
        p.put("grafana.auth_mode", "jwt");
    }

    /** A session token the app would issue for {@code user}: an admin in groups ops and dev, org 2. */
    static TestKeys.Jwt session(String user) {
        return TestKeys.jwt().subject(user).issuer(ISSUER).audience("grafana").expiresIn(Duration.ofMinutes(10))
                .claim("email", user + "@example.com").claim("name", "Alice M\u00fcller")
                .claim("roles", List.of("admin")).claim("groups", List.of("ops", "dev")).claim("org", 2);
    }

    /**
     * Grafana's [auth.jwt] for minted tokens exactly as conf/grafana-jwt-mint.ini ships it, with
     * jwk_set_url at the proxy under test and the commented-out org mapping switched on.
     */
    static GrafanaJwtAuth.Builder mintedTokenAuth(ServletContainer server) {
        return GrafanaJwtAuth.fromConf(ConfFiles.GRAFANA_JWT_MINT_INI, URI.create(server.url(JWKS_PATH)))
                .orgAttributePath("[org]");
    }

    /**
     * Grafana's [auth.jwt] for forwarded app tokens as conf/grafana-jwt-forward.ini ships it, with
     * jwk_set_url at the app's JWKS and the test's issuer and role path (the file's are examples).
     */
    GrafanaJwtAuth.Builder forwardedTokenAuth() {
        return GrafanaJwtAuth.fromConf(ConfFiles.GRAFANA_JWT_FORWARD_INI, appJwks.url())
                .roleAttributePath(ROLE_PATH).allowAssignGrafanaAdmin(true);
    }

    static RawHttp.Response get(ServletContainer server, String target, String... headers) throws IOException {
        return RawHttp.exchange(server.port(), RawHttp.get(target, headers));
    }

    static JsonNode json(RawHttp.Response r) throws IOException {
        return JSON.readTree(r.body());
    }

    /** Minted tokens are credentials too: the suite's log guard then proves none is ever logged. */
    static void guard(GrafanaJwtAuth auth) {
        if (auth != null) {
            auth.results().stream().map(GrafanaJwtAuth.Result::token).filter(t -> t != null).forEach(TestKeys.ISSUED::add);
        }
    }

    @Override
    public void close() {
        appJwks.close();
    }
}
