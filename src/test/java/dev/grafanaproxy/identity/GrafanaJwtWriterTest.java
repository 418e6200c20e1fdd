package dev.grafanaproxy.identity;

import static dev.grafanaproxy.identity.JwtTestSupport.kid;
import static dev.grafanaproxy.identity.JwtTestSupport.kids;
import static dev.grafanaproxy.identity.JwtTestSupport.token;
import static dev.grafanaproxy.identity.JwtTestSupport.verified;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.grafanaproxy.config.ConfigException;
import dev.grafanaproxy.config.ProxyConfig;
import dev.grafanaproxy.testsupport.MutableClock;
import dev.grafanaproxy.testsupport.TestKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GrafanaJwtWriterTest {
    private final MutableClock clock = new MutableClock();

    @TempDir
    Path dir;

    static Identity alice() {
        return Identity.builder().login("alice").email("alice@example.com").name("Alice M\u00fcller")
                .role(GrafanaRole.ADMIN).groups(List.of("ops", "dev")).orgId("2").build();
    }

    static ProxyConfig jwtConfig(String... keyValues) {
        List<String> kv = new ArrayList<>(List.of("grafana.auth_mode", "jwt"));
        kv.addAll(List.of(keyValues));
        return TestConfigs.config(kv.toArray(String[]::new));
    }

    GrafanaJwtWriter writer(String... keyValues) {
        return new GrafanaJwtWriter(jwtConfig(keyValues), clock, MintedTokenCache.DEFAULT_MAX_ENTRIES);
    }

    Path keyFile(String pem) throws Exception {
        Path f = Files.createTempFile(dir, "signing", ".pem");
        Files.writeString(f, pem);
        return f;
    }

    @Nested
    class Claims {
        @Test
        void everyIdentityValueBecomesAClaimGrafanaReads() throws Exception {
            GrafanaJwtWriter w = writer();
            String token = token(w.write(alice(), null));
            SignedJWT jwt = verified(token, w.jwks().orElseThrow());
            JWTClaimsSet c = jwt.getJWTClaimsSet();
            long now = clock.instant().getEpochSecond();
            assertThat(c.getSubject()).isEqualTo("alice");
            assertThat(c.getStringClaim("email")).isEqualTo("alice@example.com");
            assertThat(c.getStringClaim("name")).isEqualTo("Alice M\u00fcller");
            assertThat(c.getStringClaim("role")).isEqualTo("Admin");
            assertThat(c.getStringListClaim("groups")).containsExactly("ops", "dev");
            assertThat(c.getClaim("org")).as("a string, so org_attribute_path = [org] yields a string list").isEqualTo("2");
            assertThat(c.getIssuer()).isEqualTo("grafana-proxy");
            assertThat(c.getAudience()).containsExactly("grafana");
            assertThat(c.getIssueTime().getTime() / 1000).isEqualTo(now);
            assertThat(c.getNotBeforeTime()).isEqualTo(c.getIssueTime());
            assertThat(c.getExpirationTime().getTime() / 1000).isEqualTo(now + 300);
            assertThat(c.getClaims().keySet()).containsExactlyInAnyOrder("sub", "email", "name", "role", "groups", "org",
                    "iss", "aud", "iat", "nbf", "exp");
            assertThat(jwt.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.RS256);
            assertThat(jwt.getHeader().getType()).isEqualTo(JOSEObjectType.JWT);
            assertThat(jwt.getHeader().getCustomParams()).isEmpty();
        }

        @Test
        void grafanaAdminIsKeptAndAbsentValuesAreLeftOut() throws Exception {
            GrafanaJwtWriter w = writer();
            Identity bob = Identity.builder().login("bob").role(GrafanaRole.GRAFANA_ADMIN).build();
            JWTClaimsSet c = SignedJWT.parse(token(w.write(bob, null))).getJWTClaimsSet();
            assertThat(c.getStringClaim("role")).isEqualTo("GrafanaAdmin");
            assertThat(c.getClaims().keySet()).containsExactlyInAnyOrder("sub", "role", "iss", "aud", "iat", "nbf", "exp");
        }

        @Test
        void theSubjectFollowsHeaderProperty() throws Exception {
            GrafanaJwtWriter w = writer("grafana.header_property", "email");
            Identity onlyEmail = Identity.builder().email("carol@example.com").build();
            assertThat(SignedJWT.parse(token(w.write(onlyEmail, null))).getJWTClaimsSet().getSubject())
                    .isEqualTo("carol@example.com");
        }

        @Test
        void headerNameAndLifetimeAreConfigurable() throws Exception {
            GrafanaJwtWriter w = writer("grafana.jwt_header", "X-Grafana-Token", "grafana.jwt_ttl", "90s");
            IdentityHeaders h = w.write(alice(), null);
            assertThat(h.headers()).extracting(IdentityHeaders.Header::name).containsExactly("X-Grafana-Token");
            JWTClaimsSet c = SignedJWT.parse(h.headers().get(0).value()).getJWTClaimsSet();
            assertThat(c.getExpirationTime().getTime() - c.getIssueTime().getTime()).isEqualTo(90_000);
            assertThat(h.toString()).doesNotContain(h.headers().get(0).value());
        }

        @Test
        void mintBypassesTheCache() {
            GrafanaJwtWriter w = writer();
            String a = w.mint(alice());
            clock.advance(Duration.ofSeconds(1));
            assertThat(w.mint(alice())).isNotEqualTo(a);
            assertThat(w.mintedCount()).isEqualTo(2);
        }
    }

    @Nested
    class Keys {
        @Test
        void withoutAFileAKeyIsGeneratedPerWriter() throws Exception {
            GrafanaJwtWriter a = writer();
            GrafanaJwtWriter b = writer();
            PublishedJwks jwks = a.jwks().orElseThrow();
            JWK key = JWKSet.parse(jwks.json()).getKeys().get(0);
            assertThat(key).isInstanceOf(RSAKey.class);
            assertThat(((RSAKey) key).size()).isEqualTo(2048);
            assertThat(key.getKeyUse()).isEqualTo(KeyUse.SIGNATURE);
            assertThat(key.getAlgorithm()).isEqualTo(JWSAlgorithm.RS256);
            assertThat(key.getKeyID()).isEqualTo(key.computeThumbprint().toString());
            assertThat(jwks.json()).doesNotContain("\"d\"").doesNotContain("\"p\"");
            assertThat(jwks.maxAge()).isEqualTo(Duration.ofMinutes(1));
            assertThat(jwks.etag()).startsWith("\"").endsWith("\"");
            assertThat(kids(b.jwks().orElseThrow())).doesNotContainAnyElementsOf(kids(jwks));
        }

        @Test
        void aKeyFileGivesTheSameKidEverywhereWhateverItsForm() throws Exception {
            RSAKey rsa = TestKeys.rsa();
            String expectedKid = rsa.toPublicJWK().computeThumbprint().toString();
            for (String pem : List.of(TestKeys.pkcs8Pem(rsa), TestKeys.pkcs1PrivatePem(rsa))) {
                GrafanaJwtWriter w = writer("grafana.jwt_signing_key_file", keyFile(pem).toString());
                assertThat(kids(w.jwks().orElseThrow())).containsExactly(expectedKid);
                assertThat(kid(token(w.write(alice(), null)))).isEqualTo(expectedKid);
            }
        }

        @Test
        void ecKeysSignWithTheirCurvesAlgorithm() throws Exception {
            Map<Curve, JWSAlgorithm> expected = Map.of(Curve.P_256, JWSAlgorithm.ES256, Curve.P_384, JWSAlgorithm.ES384,
                    Curve.P_521, JWSAlgorithm.ES512);
            for (Map.Entry<Curve, JWSAlgorithm> e : expected.entrySet()) {
                ECKey ec = TestKeys.ec(e.getKey(), null);
                GrafanaJwtWriter w = writer("grafana.jwt_signing_key_file", keyFile(TestKeys.sec1Pem(ec, true)).toString());
                SignedJWT jwt = verified(token(w.write(alice(), null)), w.jwks().orElseThrow());
                assertThat(jwt.getHeader().getAlgorithm()).isEqualTo(e.getValue());
                assertThat(jwt.getHeader().getKeyID()).isEqualTo(ec.toPublicJWK().computeThumbprint().toString());
                JWK published = JWKSet.parse(w.jwks().orElseThrow().json()).getKeys().get(0);
                assertThat(published.getAlgorithm()).isEqualTo(e.getValue());
            }
        }

        @Test
        void anUnusableKeyFileIsAStartUpErrorNamingTheKey() throws Exception {
            RSAKey weak = TestKeys.rsa(1024, null);
            Path missing = dir.resolve("nope.pem");
            assertThatThrownBy(() -> writer("grafana.jwt_signing_key_file", missing.toString()))
                    .isInstanceOf(ConfigException.class)
                    .hasMessage("grafana.jwt_signing_key_file: \"" + missing + "\" cannot be read (NoSuchFileException)");
            Path pub = keyFile(TestKeys.pkixPem(TestKeys.rsa()));
            assertThatThrownBy(() -> writer("grafana.jwt_signing_key_file", pub.toString()))
                    .hasMessage("grafana.jwt_signing_key_file: \"" + pub + "\" holds a PUBLIC KEY block; a signing key needs "
                            + "the private key (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)");
            Path small = keyFile(TestKeys.pkcs8Pem(weak));
            assertThatThrownBy(() -> writer("grafana.jwt_signing_key_file", small.toString()))
                    .hasMessage("grafana.jwt_signing_key_file: \"" + small + "\" holds a 1024-bit RSA key; at least 2048 bits are required");
            Path ed = keyFile(TestKeys.pem("PRIVATE KEY", java.util.Base64.getDecoder()
                    .decode("MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC")));
            assertThatThrownBy(() -> writer("grafana.jwt_signing_key_file", ed.toString()))
                    .hasMessageContaining("holds a private key of another type (OID 1.3.101.112); expected RSA or EC");
        }
    }

    @Nested
    class Caching {
        @Test
        void oneSignaturePerIdentityUntilShortlyBeforeExpiry() throws Exception {
            GrafanaJwtWriter w = writer(); // 5m lifetime: re-minted with 1m left
            String first = token(w.write(alice(), null));
            assertThat(token(w.write(alice(), null))).isEqualTo(first);
            assertThat(w.mintedCount()).isEqualTo(1);

            Identity bob = Identity.builder().login("bob").build();
            String bobs = token(w.write(bob, null));
            assertThat(bobs).isNotEqualTo(first);
            assertThat(w.mintedCount()).isEqualTo(2);

            clock.advance(Duration.ofMinutes(4).minusMillis(1));
            assertThat(token(w.write(alice(), null))).isEqualTo(first);
            clock.advance(Duration.ofMillis(1));
            String second = token(w.write(alice(), null));
            assertThat(second).isNotEqualTo(first);
            assertThat(SignedJWT.parse(second).getJWTClaimsSet().getIssueTime())
                    .isAfter(SignedJWT.parse(first).getJWTClaimsSet().getIssueTime());
            assertThat(w.mintedCount()).isEqualTo(3);
        }

        @Test
        void anEqualIdentityIsTheSameEntryAndAnyDifferenceIsAnother() {
            GrafanaJwtWriter w = writer();
            w.write(alice(), null);
            w.write(alice(), null);
            w.write(Identity.builder().login("alice").email("alice@example.com").name("Alice M\u00fcller")
                    .role(GrafanaRole.EDITOR).groups(List.of("ops", "dev")).orgId("2").build(), null);
            assertThat(w.mintedCount()).as("a changed role is a new token").isEqualTo(2);
        }

        @Test
        void refreshMargin() {
            assertThat(GrafanaJwtWriter.refreshMargin(Duration.ofMinutes(5))).isEqualTo(Duration.ofMinutes(1));
            assertThat(GrafanaJwtWriter.refreshMargin(Duration.ofHours(1))).isEqualTo(Duration.ofMinutes(1));
            assertThat(GrafanaJwtWriter.refreshMargin(Duration.ofSeconds(10))).isEqualTo(Duration.ofSeconds(2));
        }

        @Test
        void concurrentRequestsOfOneIdentityShareOneSignature() throws Exception {
            GrafanaJwtWriter w = writer();
            List<Identity> identities = List.of(alice(), Identity.builder().login("bob").build(),
                    Identity.builder().login("carol").build());
            ExecutorService pool = Executors.newFixedThreadPool(8);
            CountDownLatch start = new CountDownLatch(1);
            Set<String> tokens = ConcurrentHashMap.newKeySet();
            try {
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    futures.add(pool.submit(() -> {
                        start.await();
                        for (int i = 0; i < 300; i++) {
                            tokens.add(token(w.write(identities.get(i % 3), null)));
                        }
                        return null;
                    }));
                }
                start.countDown();
                for (Future<?> f : futures) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(w.mintedCount()).isEqualTo(3);
            assertThat(tokens).hasSize(3);
        }

        @Test
        void theCacheIsBounded() {
            GrafanaJwtWriter w = new GrafanaJwtWriter(jwtConfig(), clock, 100);
            for (int i = 0; i < 1000; i++) {
                w.write(Identity.builder().login("user" + i).build(), null);
            }
            assertThat(w.cachedIdentities()).isLessThanOrEqualTo(100);
            assertThat(w.mintedCount()).isEqualTo(1000);
        }
    }
}
