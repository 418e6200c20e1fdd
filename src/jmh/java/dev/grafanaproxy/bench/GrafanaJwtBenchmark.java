/*
 * Run (from the project root; builds test classes, then runs JMH on the test classpath):
 *
 *   mvn -B -Pjmh test-compile exec:exec -Djmh.args="GrafanaJwtBenchmark -f 1 -wi 3 -i 5 -w 1s -r 1s"
 *
 * add -prof gc for allocations.
 */
package dev.grafanaproxy.bench;

import com.nimbusds.jose.jwk.Curve;
import dev.grafanaproxy.config.ProxyConfig;
import dev.grafanaproxy.identity.GrafanaJwtWriter;
import dev.grafanaproxy.identity.GrafanaRole;
import dev.grafanaproxy.identity.Identity;
import dev.grafanaproxy.identity.IdentityHeaders;
import dev.grafanaproxy.testsupport.TestKeys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What a request pays for its Grafana token in {@code grafana.auth_mode=jwt} with
 * {@code grafana.jwt_source=mint}. "Mint" is a cache miss: claims built from the identity, signed
 * with the current key (RS256 with RSA 2048, or ES256 with P-256), serialised. "Cached" is what every
 * other request of the same identity within the token's lifetime pays: the key check, one map lookup
 * by identity and a time comparison.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class GrafanaJwtBenchmark {

    private Path dir;
    private GrafanaJwtWriter rs256;
    private GrafanaJwtWriter es256;
    private Identity alice;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("grafana-jwt-bench");
        Path ecKey = dir.resolve("es256.pem");
        Files.writeString(ecKey, TestKeys.sec1Pem(TestKeys.ec(Curve.P_256, null), true));
        rs256 = new GrafanaJwtWriter(config().build()); // generated RSA 2048 key
        es256 = new GrafanaJwtWriter(config().set("grafana.jwt_signing_key_file", ecKey.toString()).build());
        // a realistic identity: what an app's session typically maps to
        alice = Identity.builder().login("alice").email("alice@example.com").name("Alice Example")
                .role(GrafanaRole.EDITOR).groups(List.of("ops", "dev")).orgId("1").build();
        rs256.write(alice, null); // fills the cache
        es256.write(alice, null);
    }

    private static ProxyConfig.Builder config() {
        return ProxyConfig.custom().set("grafana.url", "http://127.0.0.1:3000").set("jwt.secret", TestKeys.secret(32))
                .set("grafana.auth_mode", "jwt");
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        rs256.close();
        es256.close();
        Files.deleteIfExists(dir.resolve("es256.pem"));
        Files.deleteIfExists(dir);
    }

    @Benchmark
    public String rs256Mint() {
        return rs256.mint(alice);
    }

    @Benchmark
    public String es256Mint() {
        return es256.mint(alice);
    }

    @Benchmark
    public IdentityHeaders cachedRepeat() {
        return rs256.write(alice, null);
    }

    @Benchmark
    public IdentityHeaders cachedRepeatEqualIdentity() {
        // the filter maps a new, equal Identity per request: lookup pays hashCode and equals
        return rs256.write(Identity.builder().login("alice").email("alice@example.com").name("Alice Example")
                .role(GrafanaRole.EDITOR).groups(List.of("ops", "dev")).orgId("1").build(), null);
    }
}
