package dev.grafanaproxy.e2e;

import static dev.grafanaproxy.e2e.JwtE2E.JWKS_PATH;
import static dev.grafanaproxy.e2e.JwtE2E.get;
import static dev.grafanaproxy.e2e.JwtE2E.session;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.SignedJWT;
import dev.grafanaproxy.testsupport.Containers;
import dev.grafanaproxy.testsupport.GrafanaJwtAuth;
import dev.grafanaproxy.testsupport.GrafanaStandIn;
import dev.grafanaproxy.testsupport.RawHttp;
import dev.grafanaproxy.testsupport.ServletContainer;
import dev.grafanaproxy.testsupport.TestKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code grafana.jwt_signing_key_file} on both containers: a new key written to the file is picked
 * up without restart, published before it signs, and Grafana (the stand-in, which caches the JWKS
 * as Grafana does and never refetches for an unknown kid) accepts every request throughout.
 */
class JwtKeyRotationIT {
    private static JwtE2E jwt;
    private static GrafanaStandIn grafana;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        jwt = new JwtE2E();
        grafana = new GrafanaStandIn().start();
    }

    @AfterAll
    static void stop() {
        grafana.close();
        jwt.close();
    }

    private static String kid(JWK k) throws Exception {
        return k.toPublicJWK().computeThumbprint().toString();
    }

    private static List<String> published(ServletContainer server) throws Exception {
        return JWKSet.parse(get(server, JWKS_PATH).bodyText()).getKeys().stream().map(JWK::getKeyID).toList();
    }

    private ServletContainer start(Containers kind, Map<String, String> extra) throws Exception {
        E2E params = new E2E(jwt::jwtMode, grafana);
        ServletContainer c = kind.builder().contextParams(params.baseParams()).contextParams(extra).start();
        return c;
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void aNewKeyFileIsPublishedFirstThenSignsAndGrafanaNeverRefusesARequest(Containers kind) throws Exception {
        RSAKey k1 = TestKeys.rsa();
        ECKey k2 = TestKeys.ec();
        Path file = dir.resolve("grafana-signing.pem");
        Files.writeString(file, TestKeys.pkcs8Pem(k1));
        try (ServletContainer server = start(kind, Map.of("grafana.jwt_signing_key_file", file.toString(),
                "grafana.jwt_cache_ttl", "2s", "reload_interval", "1s"))) {
            assertThat(server.isWebappAvailable()).as(server.logText()).isTrue();
            GrafanaJwtAuth auth = grafana.authJwt(JwtE2E.mintedTokenAuth(server).build()); // cache_ttl 60m, as Grafana's default
            String session = "Cookie: app_session=" + session("alice").sign(jwt.appKey);
            try {
                assertThat(get(server, "/grafana/api/user", session).status()).isEqualTo(200);
                assertThat(auth.lastResult().kid()).isEqualTo(kid(k1));
                assertThat(published(server)).containsExactly(kid(k1));

                Files.writeString(file, TestKeys.sec1Pem(k2, true));
                long written = System.nanoTime();
                long publishedAt = 0;
                long signedAt = 0;
                while (signedAt == 0 && System.nanoTime() - written < 15_000_000_000L) {
                    RawHttp.Response r = get(server, "/grafana/api/user", session);
                    assertThat(r.status()).as("Grafana refused a request during the rotation: " + auth.lastResult().error())
                            .isEqualTo(200);
                    List<String> keys = published(server);
                    if (publishedAt == 0 && keys.contains(kid(k2))) {
                        publishedAt = System.nanoTime();
                        assertThat(keys).containsExactly(kid(k1), kid(k2));
                    }
                    if (kid(k2).equals(auth.lastResult().kid())) {
                        signedAt = System.nanoTime();
                        assertThat(publishedAt).as("published before it signed").isNotZero();
                    }
                    Thread.sleep(100);
                }
                assertThat(signedAt).as("the new key signs without a restart").isNotZero();
                assertThat((signedAt - publishedAt) / 1_000_000).as("ms between publishing and signing: "
                        + "grafana.jwt_cache_ttl + reload_interval, less the polling step").isGreaterThanOrEqualTo(2_800);
                assertThat(published(server)).as("the old key stays published while its tokens live")
                        .containsExactly(kid(k2), kid(k1));
                SignedJWT last = SignedJWT.parse(auth.lastResult().token());
                assertThat(last.getHeader().getAlgorithm().getName()).isEqualTo("ES256");
                assertThat(auth.results()).allMatch(GrafanaJwtAuth.Result::authenticated);
                Map<String, Long> tokensPerKid = auth.results().stream().map(GrafanaJwtAuth.Result::token).distinct()
                        .collect(Collectors.groupingBy(t -> kidOf(t), Collectors.counting()));
                assertThat(tokensPerKid).as("one token per key: the key change re-minted it once")
                        .containsEntry(kid(k1), 1L).containsEntry(kid(k2), 1L);
                assertThat(auth.jwksFetches()).as("Grafana refetched on max-age, never for an unknown kid")
                        .isGreaterThanOrEqualTo(2);
                String newKid = kid(k2);
                assertThat(server.logLines()).anyMatch(l -> l.contains("holds a new key") && l.contains(newKid))
                        .anyMatch(l -> l.contains("signs Grafana tokens from now on"));
            } finally {
                JwtE2E.guard(auth);
            }
        }
    }

    private static String kidOf(String token) {
        try {
            return SignedJWT.parse(token).getHeader().getKeyID();
        } catch (java.text.ParseException e) {
            throw new IllegalStateException(e);
        }
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void anUnusableSigningKeyFileStopsTheWebAppWithOneLineNamingTheKey(Containers kind) throws Exception {
        Path pub = dir.resolve("public.pem");
        Files.writeString(pub, TestKeys.pkixPem(TestKeys.rsa()));
        try (ServletContainer server = start(kind, Map.of("grafana.jwt_signing_key_file", pub.toString()))) {
            assertThat(server.isWebappAvailable()).isFalse();
            List<String> lines = server.logLines().stream().filter(l -> l.contains("grafana-proxy configuration error")).toList();
            assertThat(lines).hasSize(1);
            assertThat(lines.get(0)).contains("grafana.jwt_signing_key_file: \"" + pub + "\" holds a PUBLIC KEY block; "
                    + "a signing key needs the private key");
            assertThat(RawHttp.exchange(server.port(), RawHttp.get("/ping")).bodyText()).isEqualTo("pong");
        }
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void aConfigurationReloadKeepsTheGeneratedKeyAndTheTokens(Containers kind) throws Exception {
        Path config = dir.resolve("grafana-proxy.properties");
        Files.writeString(config, "grafana.jwt_ttl=5m\n");
        try (ServletContainer server = start(kind, Map.of("config_file", config.toString(), "reload_interval", "200ms"))) {
            assertThat(server.isWebappAvailable()).as(server.logText()).isTrue();
            GrafanaJwtAuth auth = grafana.authJwt(JwtE2E.mintedTokenAuth(server).build());
            String session = "Cookie: app_session=" + session("alice").sign(jwt.appKey);
            try {
                assertThat(get(server, "/grafana/api/user", session).status()).isEqualTo(200);
                List<String> before = published(server);
                String token = auth.lastResult().token();

                Path tmp = dir.resolve("next.properties");
                Files.writeString(tmp, "grafana.jwt_ttl=5m\npublic_paths=/api/health,/public/*\n");
                Files.move(tmp, config, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                assertThat(server.awaitLogLine(l -> l.contains("configuration reloaded"), java.time.Duration.ofSeconds(10)))
                        .isTrue();

                assertThat(published(server)).as("a reload keeps the generated key").isEqualTo(before);
                assertThat(get(server, "/grafana/api/user", session).status()).isEqualTo(200);
                assertThat(auth.lastResult().token()).as("and the minted token").isEqualTo(token);
            } finally {
                JwtE2E.guard(auth);
            }
        }
    }
}
