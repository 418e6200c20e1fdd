/*
 * Run (from the project root; builds test classes, then runs JMH on the test classpath):
 *
 *   mvn -B -Pjmh test-compile exec:exec -Djmh.args="HeaderRulesBenchmark -f 1 -wi 3 -i 5 -w 1s -r 1s"
 *
 * add -prof gc for allocations.
 */
package dev.grafanaproxy.bench;

import dev.grafanaproxy.config.ProxyConfig;
import dev.grafanaproxy.proxy.HeaderRules;
import dev.grafanaproxy.testsupport.TestKeys;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The header decisions the proxy makes per request and per response, with {@link HeaderRules} built
 * from {@code ProxyConfig.custom()} as production does. The servlet's loops live in protected
 * {@code ProxyServlet} methods that need an {@code HttpServletRequest}, an {@code Upstream} and
 * HttpCore messages; like {@code HeaderRulesTest}, this benchmark calls the public {@link HeaderRules}
 * API directly, repeating those loops over plain header lists (so no container cost is measured).
 * Everything needed is public, so the class stays in this package; the response stage's
 * package-private {@code HeaderRules.addTokens} is reached through the public {@code connectionTokens}.
 *
 * <ul>
 *   <li>{@code request}: {@code ProxyServlet.copyRequestHeaders}: the {@code Connection} tokens, then per
 *       header {@code dropFromRequest} (hop-by-hop, Connection-listed, proxy-owned, identity names,
 *       the token header), {@code isIdentityHeader} for a dropped one, and {@code stripTokenCookie} on
 *       {@code Cookie}. The header set is a Chrome API call from a Grafana dashboard over HTTP/1.1: 19
 *       headers, among them a {@code Cookie} with the app's session JWT and Grafana's cookies,
 *       Grafana's own {@code X-Grafana-Org-Id} (an identity name here, so dropped), a
 *       load balancer's {@code X-Forwarded-For} and a spoofed {@code X-WEBAUTH-USER};</li>
 *   <li>{@code stripTokenCookie}: that request's {@code Cookie} header alone;</li>
 *   <li>{@code response}: the filtering part of {@code ProxyServlet.onServerResponseHeaders}: a
 *       case-insensitive set of {@code Connection} tokens (allocated per response, as there), then
 *       {@code dropFromResponse} per header, for a Grafana JSON answer (11 headers, chunked);</li>
 *   <li>{@code filterSpoofCount}: not {@link HeaderRules}, but the other per-request identity-name
 *       check: {@code AuthFilter.countSpoofing} (runs when metrics are on) walks
 *       {@code ProxyConfig.identityHeaderNames()} and asks the request for each name; measured on the
 *       request above without its two identity names, so every name is looked up.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HeaderRulesBenchmark {

    private ProxyConfig config;
    private HeaderRules rules;
    /** Names as the client sent them, each with its values, in order: what getHeaderNames/getHeaders give. */
    private List<Map.Entry<String, List<String>>> request;
    private String cookie;
    /** The same request without X-Grafana-Org-Id and the spoof: no identity name at all. */
    private List<Map.Entry<String, List<String>>> cleanRequest;
    /** Grafana's response headers in order, as HttpCore hands them over. */
    private List<Map.Entry<String, String>> response;

    @Setup(Level.Trial)
    public void setUp() {
        String secret = TestKeys.secret(32);
        config = ProxyConfig.custom().set("grafana.url", "http://127.0.0.1:3000").set("jwt.secret", secret)
                .set("jwt.cookie_name", "app_session").build();
        rules = new HeaderRules(config);

        String sessionJwt = TestKeys.jwt().issuer("https://login.example.com/realms/apps").audience("grafana")
                .expiresIn(Duration.ofHours(2)).claim("email", "alice@example.com").claim("name", "Alice Example")
                .claim("roles", List.of("editor", "viewer")).claim("groups", List.of("ops", "dev"))
                .claim("org_id", 1).sign(TestKeys.hmac(secret));
        cookie = "_ga=GA1.1.1789346534.1714030521; grafana_session=5f2d7c1e9a4b8c3d6e0f1a2b3c4d5e6f; "
                + "grafana_session_expiry=1714034121; app_session=" + sessionJwt
                + "; _ga_XYZ123ABC=GS1.1.1714030521.3.1.1714030700.0.0.0";
        request = List.of(
                h("Host", "apps.example.com"),
                h("Connection", "keep-alive"),
                h("sec-ch-ua", "\"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", \"Not-A.Brand\";v=\"99\""),
                h("X-Grafana-Org-Id", "1"),
                h("sec-ch-ua-mobile", "?0"),
                h("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                        + "Chrome/124.0.0.0 Safari/537.36"),
                h("Accept", "application/json, text/plain, */*"),
                h("X-Grafana-Device-Id", "3b0f6d7e2c1a4e5f8a9b0c1d2e3f4a5b"),
                h("sec-ch-ua-platform", "\"Linux\""),
                h("Sec-Fetch-Site", "same-origin"),
                h("Sec-Fetch-Mode", "cors"),
                h("Sec-Fetch-Dest", "empty"),
                h("Referer", "https://apps.example.com/grafana/d/ae3kd9/service-overview?orgId=1&from=now-6h&to=now"),
                h("Accept-Encoding", "gzip, deflate, br, zstd"),
                h("Accept-Language", "en-US,en;q=0.9,de;q=0.8"),
                h("Cookie", cookie),
                h("X-WEBAUTH-USER", "admin"), // the spoof attempt
                h("X-Forwarded-For", "203.0.113.7"),
                h("X-Forwarded-Proto", "https"));
        cleanRequest = request.stream().filter(e -> !rules.isIdentityHeader(e.getKey())).toList();
        response = List.of(
                Map.entry("Cache-Control", "no-store"),
                Map.entry("Content-Encoding", "gzip"),
                Map.entry("Content-Type", "application/json"),
                Map.entry("Date", "Thu, 25 Apr 2024 08:15:21 GMT"),
                Map.entry("Expires", "-1"),
                Map.entry("Pragma", "no-cache"),
                Map.entry("Vary", "Accept-Encoding"),
                Map.entry("X-Content-Type-Options", "nosniff"),
                Map.entry("X-Frame-Options", "deny"),
                Map.entry("X-Xss-Protection", "1; mode=block"),
                Map.entry("Transfer-Encoding", "chunked"));

        // sanity: the decisions are the ones described above (a Blackhole outside a benchmark method
        // needs JMH's acknowledgement strings; it only runs these loops once here)
        Blackhole bh = new Blackhole("Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");
        int kept = request(bh);
        if (kept != 13 || rules.stripTokenCookie(cookie).contains("app_session") || response(bh) != 10
                || cleanRequest.size() != request.size() - 2 || filterSpoofCount()) {
            throw new IllegalStateException("unexpected decisions: kept " + kept + " request headers");
        }
        bh.evaporate("Yes, I am Stephen Hawking, and know a thing or two about black holes.");
    }

    private static Map.Entry<String, List<String>> h(String name, String value) {
        return Map.entry(name, List.of(value));
    }

    /** {@code ProxyServlet.copyRequestHeaders} without the container and HttpCore; returns the headers kept. */
    @Benchmark
    public int request(Blackhole bh) {
        Set<String> connectionTokens = HeaderRules.connectionTokens(Collections.enumeration(requestValues("Connection")));
        int kept = 0;
        for (Map.Entry<String, List<String>> header : request) {
            String name = header.getKey();
            if (rules.dropFromRequest(name, connectionTokens)) {
                if (rules.isIdentityHeader(name)) {
                    bh.consume(name); // production logs it at debug
                }
                continue;
            }
            boolean isCookie = name.equalsIgnoreCase("Cookie");
            for (String value : header.getValue()) {
                if (isCookie) {
                    value = rules.stripTokenCookie(value);
                    if (value == null) {
                        continue;
                    }
                }
                bh.consume(name);
                bh.consume(value);
                kept++;
            }
        }
        return kept;
    }

    private List<String> requestValues(String name) {
        return values(request, name);
    }

    private static List<String> values(List<Map.Entry<String, List<String>>> headers, String name) {
        for (Map.Entry<String, List<String>> header : headers) {
            if (header.getKey().equalsIgnoreCase(name)) {
                return header.getValue();
            }
        }
        return List.of();
    }

    @Benchmark
    public String stripTokenCookie() {
        return rules.stripTokenCookie(cookie);
    }

    /** The filtering in {@code ProxyServlet.onServerResponseHeaders}; returns the headers kept. */
    @Benchmark
    public int response(Blackhole bh) {
        // as there: a new case-insensitive set per response, filled from the Connection values
        List<String> connection = new ArrayList<>(1);
        for (Map.Entry<String, String> header : response) {
            if (header.getKey().equalsIgnoreCase("Connection")) {
                connection.add(header.getValue());
            }
        }
        Set<String> connectionTokens = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        connectionTokens.addAll(HeaderRules.connectionTokens(Collections.enumeration(connection)));
        int kept = 0;
        for (Map.Entry<String, String> header : response) {
            String name = header.getKey();
            if (HeaderRules.dropFromResponse(name, connectionTokens)) {
                continue;
            }
            bh.consume(name);
            bh.consume(header.getValue());
            kept++;
        }
        return kept;
    }

    /**
     * {@code AuthFilter.countSpoofing} on a request without identity names (every name is looked up);
     * true when the request carries one.
     */
    @Benchmark
    public boolean filterSpoofCount() {
        for (String name : config.identityHeaderNames()) {
            if (!values(cleanRequest, name).isEmpty()) {
                return true;
            }
        }
        return false;
    }
}
