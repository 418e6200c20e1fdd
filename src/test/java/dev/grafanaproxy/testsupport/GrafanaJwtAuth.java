package dev.grafanaproxy.testsupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.AsymmetricJWK;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import io.burt.jmespath.Expression;
import io.burt.jmespath.jackson.JacksonRuntime;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Grafana's {@code [auth.jwt]} as the {@link GrafanaStandIn} plays it ({@link GrafanaStandIn#authJwt}):
 * the same steps, in the same order, with the same leniencies as Grafana's {@code auth/jwt} service and
 * {@code authn} JWT client, so a test that passes here passes against Grafana.
 *
 * <ol>
 *   <li>the token is the {@code header_name} header ({@code Bearer } prefix stripped); one that does
 *       not parse or has no {@code sub} is ignored, as Grafana's JWT client then does not apply
 *       ({@code HasSubClaim}): the request is simply not signed in;</li>
 *   <li>the JWKS comes from {@code jwk_set_url} over HTTP and is cached for {@code cache_ttl}, or for
 *       the response's {@code Cache-Control: max-age} when that is shorter (a resulting 0 means 24 h,
 *       as Grafana's remote cache stores it); an unknown {@code kid} does <em>not</em> trigger a
 *       refetch;</li>
 *   <li>the keys with the token's {@code kid} are tried in turn; none: "no keys found";</li>
 *   <li>claims: {@code iss}, {@code sub}, {@code aud} against {@code expect_claims}; {@code exp},
 *       {@code nbf}, {@code iat} with go-jose's one-minute leeway ({@code exp} is optional!); other
 *       {@code expect_claims} must be equal;</li>
 *   <li>{@code sub} is mandatory; login from {@code username_claim}, email from {@code email_claim},
 *       name from {@code name}; role, groups and orgs by JMESPath ({@code role_attribute_path},
 *       {@code groups_attribute_path}, {@code org_attribute_path}; only strings count); role
 *       {@code GrafanaAdmin} is Admin plus server admin when {@code allow_assign_grafana_admin};</li>
 *   <li>no login and no email: refused.</li>
 * </ol>
 * Every attempt is recorded ({@link #results()}); the stand-in answers a failed one with Grafana's
 * 401 and {@code /api/user} with the derived user.
 */
public final class GrafanaJwtAuth {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JacksonRuntime JMESPATH = new JacksonRuntime();
    private static final Pattern MAX_AGE = Pattern.compile("max-age=(\\d+)");
    private static final Duration REMOTE_CACHE_DEFAULT = Duration.ofHours(24);

    /** What Grafana would make of the token: the user it signs in, as {@code /api/user} shows it. */
    public record User(String authId, String login, String email, String name, String role, boolean grafanaAdmin,
            List<String> groups, List<String> orgs) {
        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("authId", authId);
            m.put("login", login);
            m.put("email", email);
            m.put("name", name);
            m.put("role", role);
            m.put("isGrafanaAdmin", grafanaAdmin);
            m.put("groups", groups);
            m.put("orgs", orgs);
            return m;
        }
    }

    /**
     * One authentication attempt.
     *
     * @param request what the stand-in received
     * @param token   the token in the header, or {@code null} when none was sent
     * @param kid     the token's {@code kid}, or {@code null}
     * @param user    the signed-in user, or {@code null}
     * @param error   why the token was refused, or {@code null}
     */
    public record Result(ReceivedRequest request, String token, String kid, User user, String error) {
        public boolean authenticated() {
            return user != null;
        }
    }

    private final String headerName;
    private final URI jwkSetUrl;
    private final Duration cacheTtl;
    private final String usernameClaim;
    private final String emailClaim;
    private final Expression<JsonNode> rolePath;
    private final Expression<JsonNode> groupsPath;
    private final Expression<JsonNode> orgPath;
    private final boolean allowAssignGrafanaAdmin;
    private final Map<String, Object> expectClaims;
    private final Duration leeway;
    private final Clock clock;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final List<Result> results = new CopyOnWriteArrayList<>();
    private final AtomicInteger fetches = new AtomicInteger();
    private final List<String> cacheControls = new CopyOnWriteArrayList<>();
    private JWKSet cached; // guarded by this
    private Instant cachedUntil = Instant.MIN; // guarded by this

    private GrafanaJwtAuth(Builder b) {
        this.headerName = b.headerName;
        this.jwkSetUrl = Objects.requireNonNull(b.jwkSetUrl, "jwkSetUrl");
        this.cacheTtl = b.cacheTtl;
        this.usernameClaim = b.usernameClaim;
        this.emailClaim = b.emailClaim;
        this.rolePath = b.roleAttributePath == null ? null : JMESPATH.compile(b.roleAttributePath);
        this.groupsPath = b.groupsAttributePath == null ? null : JMESPATH.compile(b.groupsAttributePath);
        this.orgPath = b.orgAttributePath == null ? null : JMESPATH.compile(b.orgAttributePath);
        this.allowAssignGrafanaAdmin = b.allowAssignGrafanaAdmin;
        this.expectClaims = Map.copyOf(b.expectClaims);
        this.leeway = b.leeway;
        this.clock = b.clock;
    }

    /** Settings as in {@code grafana.ini}; defaults: {@code X-JWT-Assertion}, {@code sub}, {@code email}, 60m cache. */
    public static Builder builder(URI jwkSetUrl) {
        return new Builder(jwkSetUrl);
    }

    /**
     * The {@code [auth.jwt]} section of one of the project's {@code conf/} ini files ({@link ConfFiles}):
     * {@code header_name}, {@code username_claim}, {@code email_claim}, {@code cache_ttl},
     * {@code expect_claims}, {@code role_attribute_path}, {@code groups_attribute_path},
     * {@code org_attribute_path}, {@code allow_assign_grafana_admin}; {@code jwk_set_url} is replaced
     * by {@code jwkSetUrl} (the test's endpoint).
     *
     * @param confFile e.g. {@link ConfFiles#GRAFANA_JWT_MINT_INI}
     */
    public static Builder fromConf(String confFile, URI jwkSetUrl) {
        Map<String, String> section = ConfFiles.iniSection(confFile, "auth.jwt");
        if (!"true".equals(section.get("enabled"))) {
            throw new IllegalArgumentException("conf/" + confFile + ": [auth.jwt] is not enabled");
        }
        Builder b = builder(jwkSetUrl);
        section.forEach((k, v) -> {
            switch (k) {
                case "header_name" -> b.headerName(v);
                case "username_claim" -> b.usernameClaim(v);
                case "email_claim" -> b.emailClaim(v);
                case "role_attribute_path" -> b.roleAttributePath(v.isEmpty() ? null : v);
                case "groups_attribute_path" -> b.groupsAttributePath(v.isEmpty() ? null : v);
                case "org_attribute_path" -> b.orgAttributePath(v.isEmpty() ? null : v);
                case "allow_assign_grafana_admin" -> b.allowAssignGrafanaAdmin(Boolean.parseBoolean(v));
                case "cache_ttl" -> b.cacheTtl(goDuration(v));
                case "expect_claims" -> {
                    try {
                        JSON.readTree(v).fields().forEachRemaining(e -> b.expectClaim(e.getKey(),
                                JSON.convertValue(e.getValue(), Object.class)));
                    } catch (IOException e) {
                        throw new IllegalArgumentException("conf/" + confFile + ": expect_claims is not JSON", e);
                    }
                }
                default -> {
                    // enabled, jwk_set_url and the settings the stand-in does not play
                }
            }
        });
        return b;
    }

    private static Duration goDuration(String v) {
        Matcher m = Pattern.compile("(\\d+)(ms|s|m|h)").matcher(v);
        Duration d = Duration.ZERO;
        int end = 0;
        while (m.find() && m.start() == end) {
            long n = Long.parseLong(m.group(1));
            d = d.plus(switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            });
            end = m.end();
        }
        if (end != v.length()) {
            throw new IllegalArgumentException("not a Go duration: " + v);
        }
        return d;
    }

    /** Every attempt so far, in order. */
    public List<Result> results() {
        return List.copyOf(results);
    }

    /** The last attempt, or {@code null}. */
    public Result lastResult() {
        List<Result> r = results();
        return r.isEmpty() ? null : r.get(r.size() - 1);
    }

    public void clearResults() {
        results.clear();
    }

    /** How often the JWKS was fetched. */
    public int jwksFetches() {
        return fetches.get();
    }

    /** The {@code Cache-Control} of every JWKS answer (empty string when absent). */
    public List<String> jwksCacheControls() {
        return List.copyOf(cacheControls);
    }

    /** Forgets the cached JWKS (as a Grafana restart with an in-memory cache would). */
    public synchronized void dropCachedJwks() {
        cached = null;
        cachedUntil = Instant.MIN;
    }

    Result authenticate(ReceivedRequest request) {
        String raw = request.header(headerName);
        Result result;
        if (raw == null || raw.isEmpty()) {
            result = new Result(request, null, null, null, null);
        } else {
            String token = raw.startsWith("Bearer ") ? raw.substring(7) : raw;
            JWSObject jws = null;
            try {
                jws = JWSObject.parse(token);
            } catch (ParseException e) {
                // not for the JWT client
            }
            if (jws == null || !hasSubClaim(jws)) {
                result = new Result(request, token, null, null, null);
            } else {
                String kid = jws.getHeader().getKeyID();
                try {
                    result = new Result(request, token, kid, verify(jws), null);
                } catch (Refused e) {
                    result = new Result(request, token, kid, null, e.getMessage());
                }
            }
        }
        results.add(result);
        return result;
    }

    /** Grafana's {@code authJWT.HasSubClaim}: the unverified payload has a non-empty string {@code sub}. */
    private static boolean hasSubClaim(JWSObject jws) {
        try {
            JsonNode sub = JSON.readTree(jws.getPayload().toString()).get("sub");
            return sub != null && sub.isTextual() && !sub.textValue().isEmpty();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static final class Refused extends Exception {
        Refused(String message) {
            super(message, null, false, false);
        }
    }

    private User verify(JWSObject jws) throws Refused {
        String kid = jws.getHeader().getKeyID() == null ? "" : jws.getHeader().getKeyID();
        List<JWK> keys = new ArrayList<>();
        for (JWK k : jwks().getKeys()) {
            if (kid.equals(k.getKeyID() == null ? "" : k.getKeyID())) {
                keys.add(k);
            }
        }
        if (keys.isEmpty()) {
            throw new Refused("no keys found");
        }
        boolean ok = false;
        for (JWK k : keys) {
            try {
                if (k instanceof AsymmetricJWK a
                        && jws.verify(new DefaultJWSVerifierFactory().createJWSVerifier(jws.getHeader(), a.toPublicKey()))) {
                    ok = true;
                    break;
                }
            } catch (JOSEException e) {
                // go-jose: try the next key
            }
        }
        if (!ok) {
            throw new Refused("square/go-jose: error in cryptographic primitive");
        }
        JsonNode claims;
        try {
            claims = JSON.readTree(jws.getPayload().toString());
        } catch (IOException e) {
            throw new Refused("payload is not JSON");
        }
        validate(claims);
        String sub = text(claims, "sub");
        if (sub == null || sub.isEmpty()) {
            throw new Refused("missing mandatory 'sub' claim in JWT");
        }
        String login = text(claims, usernameClaim);
        String email = text(claims, emailClaim);
        String name = text(claims, "name");
        String role = null;
        boolean admin = false;
        if (rolePath != null) {
            JsonNode r = search(rolePath, claims);
            role = r != null && r.isTextual() && !r.textValue().isEmpty() ? r.textValue() : null;
            if ("GrafanaAdmin".equals(role)) {
                role = "Admin";
                admin = allowAssignGrafanaAdmin;
            }
        }
        List<String> groups = strings(groupsPath == null ? null : search(groupsPath, claims));
        List<String> orgs = strings(orgPath == null ? null : search(orgPath, claims));
        if ((login == null || login.isEmpty()) && (email == null || email.isEmpty())) {
            throw new Refused("missing login and email claim in JWT");
        }
        return new User(sub, login, email, name, role, admin, groups, orgs);
    }

    private void validate(JsonNode claims) throws Refused {
        long now = clock.instant().getEpochSecond();
        long lee = leeway.getSeconds();
        for (String registered : List.of("iss", "sub")) {
            JsonNode v = claims.get(registered);
            if (v != null && !v.isTextual()) {
                throw new Refused("\"" + registered + "\" claim has invalid type, string expected");
            }
        }
        List<String> aud = new ArrayList<>();
        JsonNode a = claims.get("aud");
        if (a != null && a.isTextual()) {
            aud.add(a.textValue());
        } else if (a != null && a.isArray()) {
            for (JsonNode x : a) {
                if (!x.isTextual()) {
                    throw new Refused("\"aud\" claim contains value with invalid type, string expected");
                }
                aud.add(x.textValue());
            }
        } else if (a != null && !a.isNull()) {
            throw new Refused("\"aud\" claim has invalid type, array or string expected");
        }
        Long exp = number(claims, "exp");
        Long nbf = number(claims, "nbf");
        Long iat = number(claims, "iat");
        Object expectIss = expectClaims.get("iss");
        if (expectIss != null && !expectIss.equals(text(claims, "iss"))) {
            throw new Refused("square/go-jose/jwt: validation failed, invalid issuer claim (iss)");
        }
        Object expectSub = expectClaims.get("sub");
        if (expectSub != null && !expectSub.equals(text(claims, "sub"))) {
            throw new Refused("square/go-jose/jwt: validation failed, invalid subject claim (sub)");
        }
        Object expectAud = expectClaims.get("aud");
        if (expectAud != null) {
            List<?> wanted = expectAud instanceof List<?> l ? l : List.of(expectAud);
            if (!aud.containsAll(wanted)) {
                throw new Refused("square/go-jose/jwt: validation failed, invalid audience claim (aud)");
            }
        }
        if (exp != null && now - lee > exp) {
            throw new Refused("square/go-jose/jwt: validation failed, token is expired (exp)");
        }
        if (nbf != null && now + lee < nbf) {
            throw new Refused("square/go-jose/jwt: validation failed, token not valid yet (nbf)");
        }
        if (iat != null && now + lee < iat) {
            throw new Refused("square/go-jose/jwt: validation field, token issued in the future (iat)");
        }
        for (Map.Entry<String, Object> e : expectClaims.entrySet()) {
            if (List.of("iss", "sub", "aud").contains(e.getKey())) {
                continue;
            }
            JsonNode v = claims.get(e.getKey());
            if (v == null) {
                throw new Refused("\"" + e.getKey() + "\" claim is missing");
            }
            if (!JSON.valueToTree(e.getValue()).equals(v)) {
                throw new Refused("\"" + e.getKey() + "\" claim mismatch");
            }
        }
    }

    private static Long number(JsonNode claims, String name) throws Refused {
        JsonNode v = claims.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isNumber()) {
            throw new Refused("\"" + name + "\" claim has invalid type, number expected");
        }
        return v.asLong();
    }

    private static String text(JsonNode claims, String name) {
        JsonNode v = claims.get(name);
        return v != null && v.isTextual() ? v.textValue() : null;
    }

    private static JsonNode search(Expression<JsonNode> e, JsonNode claims) {
        try {
            JsonNode r = e.search(claims);
            return r == null || r.isNull() || r.isMissingNode() ? null : r;
        } catch (RuntimeException x) {
            return null;
        }
    }

    private static List<String> strings(JsonNode node) {
        List<String> out = new ArrayList<>();
        if (node != null && node.isArray()) {
            node.forEach(x -> {
                if (x.isTextual()) {
                    out.add(x.textValue());
                }
            });
        }
        return List.copyOf(out);
    }

    private synchronized JWKSet jwks() throws Refused {
        Instant now = clock.instant();
        if (cached != null && now.isBefore(cachedUntil)) {
            return cached;
        }
        HttpResponse<String> response;
        try {
            fetches.incrementAndGet();
            response = http.send(HttpRequest.newBuilder(jwkSetUrl).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new Refused("Get \"" + jwkSetUrl + "\": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Refused("interrupted");
        }
        JWKSet set;
        try {
            set = JWKSet.parse(response.body());
        } catch (ParseException e) {
            throw new Refused("JWKS answer (status " + response.statusCode() + ") is no JWK set");
        }
        String cc = response.headers().firstValue("Cache-Control").orElse("");
        cacheControls.add(cc);
        if (!cacheTtl.isZero()) {
            Duration expire = cacheTtl;
            Matcher m = MAX_AGE.matcher(cc);
            if (m.find()) {
                Duration maxAge = Duration.ofSeconds(Long.parseLong(m.group(1)));
                if (maxAge.compareTo(expire) < 0) {
                    expire = maxAge;
                }
            }
            if (expire.isZero()) {
                expire = REMOTE_CACHE_DEFAULT;
            }
            cached = set;
            cachedUntil = now.plus(expire);
        }
        return set;
    }

    /** The {@code [auth.jwt]} settings the stand-in plays. */
    public static final class Builder {
        private final URI jwkSetUrl;
        private String headerName = "X-JWT-Assertion";
        private Duration cacheTtl = Duration.ofMinutes(60);
        private String usernameClaim = "sub";
        private String emailClaim = "email";
        private String roleAttributePath;
        private String groupsAttributePath;
        private String orgAttributePath;
        private boolean allowAssignGrafanaAdmin;
        private final Map<String, Object> expectClaims = new LinkedHashMap<>();
        private Duration leeway = Duration.ofMinutes(1);
        private Clock clock = Clock.systemUTC();

        private Builder(URI jwkSetUrl) {
            this.jwkSetUrl = jwkSetUrl;
        }

        public Builder headerName(String v) { headerName = v; return this; }
        /** {@code cache_ttl}; 0 fetches the JWKS for every request. */
        public Builder cacheTtl(Duration v) { cacheTtl = v; return this; }
        public Builder usernameClaim(String v) { usernameClaim = v; return this; }
        public Builder emailClaim(String v) { emailClaim = v; return this; }
        public Builder roleAttributePath(String v) { roleAttributePath = v; return this; }
        public Builder groupsAttributePath(String v) { groupsAttributePath = v; return this; }
        public Builder orgAttributePath(String v) { orgAttributePath = v; return this; }
        public Builder allowAssignGrafanaAdmin(boolean v) { allowAssignGrafanaAdmin = v; return this; }
        /** One {@code expect_claims} entry ({@code iss}, {@code sub}, {@code aud} or any other claim). */
        public Builder expectClaim(String name, Object value) { expectClaims.put(name, value); return this; }
        /** go-jose's leeway for exp/nbf/iat: one minute in Grafana. */
        public Builder leeway(Duration v) { leeway = v; return this; }
        public Builder clock(Clock v) { clock = v; return this; }

        public GrafanaJwtAuth build() {
            return new GrafanaJwtAuth(this);
        }
    }
}
