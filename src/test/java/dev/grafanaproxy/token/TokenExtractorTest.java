package dev.grafanaproxy.token;

import static org.assertj.core.api.Assertions.assertThat;

import dev.grafanaproxy.config.ProxyConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TokenExtractorTest {

    private static ProxyConfig.Builder config() {
        return ProxyConfig.custom().set("grafana.url", "http://127.0.0.1:3000")
                .set("jwt.secret", "0123456789abcdef0123456789abcdef");
    }

    private static RequestView request(String rawQuery, String... headerPairs) {
        Map<String, List<String>> h = new LinkedHashMap<>();
        for (int i = 0; i < headerPairs.length; i += 2) {
            h.computeIfAbsent(headerPairs[i], k -> new java.util.ArrayList<>()).add(headerPairs[i + 1]);
        }
        return RequestView.of(h, rawQuery);
    }

    @Test
    void cookieWinsOverHeaderAndQuery() {
        TokenExtractor x = new TokenExtractor(config().set("jwt.cookie_name", "session").set("jwt.url_login", "true").build());
        Optional<ExtractedToken> t = x.extract(request("auth_token=fromquery",
                "Cookie", "other=1; session=fromcookie; more=2", "Authorization", "Bearer fromheader"));
        assertThat(t).contains(new ExtractedToken("fromcookie", TokenSource.COOKIE));
    }

    @Test
    void cookieAcrossSeveralHeadersQuotedAndFirstOfTwins() {
        TokenExtractor x = new TokenExtractor(config().set("jwt.cookie_name", "session").build());
        assertThat(x.extract(request(null, "Cookie", "a=1", "cookie", "session=\"abc\"")))
                .contains(new ExtractedToken("abc", TokenSource.COOKIE));
        assertThat(x.extract(request(null, "Cookie", "session=first; session=second")))
                .contains(new ExtractedToken("first", TokenSource.COOKIE));
        // a cookie whose name merely ends in the configured one is not it
        assertThat(x.extract(request(null, "Cookie", "xsession=nope"))).isEmpty();
    }

    @Test
    void bearerHeaderCaseInsensitiveScheme() {
        TokenExtractor x = new TokenExtractor(config().set("jwt.cookie_name", "session").build());
        assertThat(x.extract(request(null, "Authorization", "bearer   abc.def.ghi ")))
                .contains(new ExtractedToken("abc.def.ghi", TokenSource.HEADER));
        assertThat(x.extract(request(null, "authorization", "BEARER xyz")))
                .contains(new ExtractedToken("xyz", TokenSource.HEADER));
        // other schemes and a bare value are not tokens on Authorization
        assertThat(x.extract(request(null, "Authorization", "Basic dXNlcjpwYXNz"))).isEmpty();
        assertThat(x.extract(request(null, "Authorization", "abc.def.ghi"))).isEmpty();
        assertThat(x.extract(request(null, "Authorization", "Bearer "))).isEmpty();
        // an empty cookie falls through to the header
        assertThat(x.extract(request(null, "Cookie", "session=", "Authorization", "Bearer h")))
                .contains(new ExtractedToken("h", TokenSource.HEADER));
    }

    @Test
    void customHeaderTakesBareOrBearer() {
        TokenExtractor x = new TokenExtractor(config().set("jwt.header_name", "X-Auth-Token").build());
        assertThat(x.extract(request(null, "x-auth-token", "abc"))).contains(new ExtractedToken("abc", TokenSource.HEADER));
        assertThat(x.extract(request(null, "X-Auth-Token", "Bearer abc"))).contains(new ExtractedToken("abc", TokenSource.HEADER));
        // Authorization is not consulted when another header is configured
        assertThat(x.extract(request(null, "Authorization", "Bearer abc"))).isEmpty();
    }

    @Test
    void headerOffWhenEmpty() {
        TokenExtractor x = new TokenExtractor(config().set("jwt.header_name", "").build());
        assertThat(x.extract(request(null, "Authorization", "Bearer abc"))).isEmpty();
    }

    @Test
    void queryOnlyWithUrlLogin() {
        RequestView r = request("a=1&auth_token=abc%2Edef.ghi&b=2");
        assertThat(new TokenExtractor(config().build()).extract(r)).isEmpty();
        TokenExtractor x = new TokenExtractor(config().set("jwt.cookie_name", "s").set("jwt.url_login", "true").build());
        assertThat(x.extract(r)).contains(new ExtractedToken("abc.def.ghi", TokenSource.QUERY));
        assertThat(x.extract(request("xauth_token=abc"))).isEmpty();
        assertThat(x.extract(request(null))).isEmpty();
    }

    @Test
    void queryWithoutTokenKeepsTheRestByteForByte() {
        assertThat(TokenExtractor.queryWithoutToken("a=1&auth_token=x.y.z&b=%2F%20&c")).isEqualTo("a=1&b=%2F%20&c");
        assertThat(TokenExtractor.queryWithoutToken("auth_token=x")).isNull();
        assertThat(TokenExtractor.queryWithoutToken("auth_token=x&auth_token=y&from=now-6h")).isEqualTo("from=now-6h");
        assertThat(TokenExtractor.queryWithoutToken(null)).isNull();
    }

    @Test
    void toStringHidesTheToken() {
        assertThat(new ExtractedToken("secret.token.value", TokenSource.COOKIE).toString()).doesNotContain("secret");
    }
}
