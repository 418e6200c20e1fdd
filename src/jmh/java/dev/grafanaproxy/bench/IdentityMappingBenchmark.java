/*
 * Run (from the project root; builds test classes, then runs JMH on the test classpath):
 *
 *   mvn -B -Pjmh test-compile exec:exec -Djmh.args="IdentityMappingBenchmark -f 1 -wi 3 -i 5 -w 1s -r 1s"
 *
 * add -prof gc for allocations.
 */
package dev.grafanaproxy.bench;

import dev.grafanaproxy.config.ProxyConfig;
import dev.grafanaproxy.identity.Identity;
import dev.grafanaproxy.identity.IdentityHeaders;
import dev.grafanaproxy.identity.IdentityMapper;
import dev.grafanaproxy.identity.IdentityRejectedException;
import dev.grafanaproxy.identity.IdentityWriter;
import dev.grafanaproxy.identity.IdentityWriters;
import dev.grafanaproxy.testsupport.TestKeys;
import dev.grafanaproxy.token.TokenRejectedException;
import dev.grafanaproxy.token.TokenVerifier;
import dev.grafanaproxy.token.TokenVerifiers;
import dev.grafanaproxy.token.VerifiedToken;
import java.time.Clock;
import java.time.Duration;
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

/**
 * What a request pays, after its token is verified, to tell Grafana who the user is in
 * {@code grafana.auth_mode=proxy}: the auth filter's {@code IdentityMapper.map(token.claims())} (the
 * whole claims map turned into a Jackson tree, then the three JMESPath expressions of the README's
 * identity-mapping example: a role from {@code contains(roles[*], ...) && 'Admin' || ...}, groups and
 * org id) and then the {@link IdentityWriter} that {@link IdentityWriters#create} picks, which renders
 * the {@code X-WEBAUTH-*} and {@code X-Grafana-Org-Id} header strings. The claims are those of a real
 * verified token (an HS256 token verified once in setup), so the map is the one production hands over.
 * "Non-ASCII" is a user whose login, name and groups hold umlauts and CJK, sent as UTF-8 bytes or, with
 * {@code grafana.headers_encoded=true}, quoted-printable.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class IdentityMappingBenchmark {

    private static final String ROLE_PATH =
            "contains(roles[*], 'admin') && 'Admin' || contains(roles[*], 'editor') && 'Editor' || 'Viewer'";

    private IdentityMapper mapper;
    private IdentityWriter utf8Writer;
    private IdentityWriter encodedWriter;
    private VerifiedToken ascii;
    private VerifiedToken nonAscii;

    @Setup(Level.Trial)
    public void setUp() throws TokenRejectedException, IdentityRejectedException {
        String secret = TestKeys.secret(32);
        ProxyConfig config = config(secret).build();
        ProxyConfig encoded = config(secret).set("grafana.headers_encoded", "true").build();
        mapper = new IdentityMapper(config);
        utf8Writer = IdentityWriters.create(config);
        encodedWriter = IdentityWriters.create(encoded);

        TokenVerifier verifier = TokenVerifiers.uncached(config, Clock.systemUTC());
        try {
            // a realistic app session token: registered claims, identity, roles, groups, org
            ascii = verifier.verify(claims(TestKeys.jwt().subject("alice"), "alice@example.com", "Alice Example",
                    List.of("editor", "viewer"), List.of("ops", "dev", "oncall", "grafana-users"))
                    .sign(TestKeys.hmac(secret)));
            nonAscii = verifier.verify(claims(TestKeys.jwt().subject("jürgen.müller"), "juergen@example.com",
                    "Jürgen Müller-Lüdenscheidt", List.of("editor", "viewer"),
                    List.of("Entwicklung", "Qualitätssicherung", "運用", "grafana-users"))
                    .sign(TestKeys.hmac(secret)));
        } finally {
            verifier.close();
        }
        // sanity: the mapping takes the paths that matter (a silent "no role" would measure less work)
        Identity a = mapper.map(ascii.claims());
        if (a.role() == null || a.groups().size() != 4 || !"1".equals(a.orgId())) {
            throw new IllegalStateException("unexpected mapping " + a);
        }
        if (utf8Writer.write(a, ascii).headers().size() != 6) {
            throw new IllegalStateException("expected six identity headers: " + utf8Writer.write(a, ascii));
        }
    }

    private static ProxyConfig.Builder config(String secret) {
        // the README's identity-mapping example; the header names are the defaults (grafana.headers)
        return ProxyConfig.custom().set("grafana.url", "http://127.0.0.1:3000").set("jwt.secret", secret)
                .set("jwt.cookie_name", "app_session")
                .set("jwt.role_attribute_path", ROLE_PATH)
                .set("jwt.groups_attribute_path", "groups")
                .set("jwt.org_attribute_path", "org_id");
    }

    private static TestKeys.Jwt claims(TestKeys.Jwt jwt, String email, String name, List<String> roles,
                                       List<String> groups) {
        return jwt.issuer("https://login.example.com/realms/apps").audience("grafana")
                .expiresIn(Duration.ofHours(2)).claim("jti", "8d4f3c2a-6b1e-4a7f-9c0d-2e5b7a9f1c3d")
                .claim("email", email).claim("email_verified", true).claim("name", name)
                .claim("roles", roles).claim("groups", groups).claim("org_id", 1);
    }

    @Benchmark
    public Identity mapOnly() throws IdentityRejectedException {
        return mapper.map(ascii.claims());
    }

    @Benchmark
    public IdentityHeaders mapAndWriteAscii() throws IdentityRejectedException {
        return utf8Writer.write(mapper.map(ascii.claims()), ascii);
    }

    @Benchmark
    public IdentityHeaders mapAndWriteNonAsciiUtf8() throws IdentityRejectedException {
        return utf8Writer.write(mapper.map(nonAscii.claims()), nonAscii);
    }

    @Benchmark
    public IdentityHeaders mapAndWriteNonAsciiEncoded() throws IdentityRejectedException {
        return encodedWriter.write(mapper.map(nonAscii.claims()), nonAscii);
    }
}
