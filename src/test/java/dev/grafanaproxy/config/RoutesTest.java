package dev.grafanaproxy.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** route.<name>.* keys: parsed, validated with the exact key named, secrets masked, loaded from every source. */
class RoutesTest {

    private static ProxyConfig.Builder base() {
        return ProxyConfig.custom().set("grafana.url", "http://127.0.0.1:3000").set("jwt.secret", "s3cret-s3cret-s3cret-s3cret-s3cret!");
    }

    @Test
    void aFullRouteParses() {
        ProxyConfig c = base()
                .set("route.render.path", "/_api/render/")
                .set("route.render.methods", "get, post")
                .set("route.render.url", "http://renderer:8081/base/")
                .set("route.render.require", "contains(roles, 'admin')")
                .set("route.render.headers.X-Api-Key", "k-123")
                .set("route.render.headers.X-User", "{login}")
                .set("route.render.params.api_key", "p-456")
                .set("route.sa.path", "/_api/grafana")
                .set("route.sa.token.token_url", "https://idp/token")
                .set("route.sa.token.client_id", "proxy")
                .set("route.sa.token.client_secret", "cs-789")
                .set("route.sa.token.scopes", "a b,c")
                .build();
        Routes.Route r = c.routes().match("/_api/render/x/y");
        assertThat(r.name()).isEqualTo("render");
        assertThat(r.path()).isEqualTo("/_api/render");
        assertThat(r.methods()).containsExactly("GET", "POST");
        assertThat(r.url()).hasToString("http://renderer:8081/base");
        assertThat(r.headers()).containsExactly(Map.entry("X-Api-Key", "k-123"), Map.entry("X-User", "{login}"));
        assertThat(r.params()).containsExactly(Map.entry("api_key", "p-456"));
        assertThat(r.identity()).isFalse();
        assertThat(c.routes().match("/_api/render")).isSameAs(r);
        assertThat(c.routes().match("/_api/renderx")).isNull();
        assertThat(c.routes().match("/_api")).isNull();
        Routes.Route sa = c.routes().match("/_api/grafana/api/search");
        assertThat(sa.url()).isNull();
        assertThat(sa.token().scopes()).containsExactly("a", "b", "c");
        assertThat(sa.token().tokenUrl()).hasToString("https://idp/token");
    }

    @Test
    void theLongestPathWins() {
        ProxyConfig c = base().set("route.a.path", "/_api").set("route.b.path", "/_api/special").build();
        assertThat(c.routes().match("/_api/special/x").name()).isEqualTo("b");
        assertThat(c.routes().match("/_api/other").name()).isEqualTo("a");
    }

    @Test
    void theSummaryMasksSecretsButShowsTheRest() {
        String summary = base().set("route.r.path", "/_api/r").set("route.r.headers.Authorization", "Bearer sa-token-1")
                .set("route.r.params.key", "param-secret-2").set("route.t.path", "/_api/t")
                .set("route.t.token.token_url", "https://idp/token").set("route.t.token.client_id", "id")
                .set("route.t.token.client_secret", "client-secret-3").build().summary();
        assertThat(summary).contains("route.r.path=/_api/r", "route.r.headers.Authorization=******",
                "route.t.token.client_secret=******", "route.t.token.client_id=id")
                .doesNotContain("sa-token-1", "param-secret-2", "client-secret-3");
    }

    @Test
    void errorsNameTheExactKey() {
        assertKey(base().set("route.r.methods", "GET"), "route.r.path", "required");
        assertKey(base().set("route.r.path", "api"), "route.r.path", "expected a path prefix");
        assertKey(base().set("route.r.path", "/a/../b"), "route.r.path", "expected a path prefix");
        assertKey(base().set("route.r.path", "/a").set("route.s.path", "/a/"), "route.s.path", "already the path of route r");
        assertKey(base().set("route.r.path", "/a").set("route.r.url", "ftp://x"), "route.r.url", "http or https");
        assertKey(base().set("route.r.path", "/a").set("route.r.url", "http://x/?a=1"), "route.r.url", "params");
        assertKey(base().set("route.r.path", "/a").set("route.r.methods", "GET CONNECT"), "route.r.methods", "HTTP methods");
        assertKey(base().set("route.r.path", "/a").set("route.r.identity", "yes"), "route.r.identity", "true or false");
        assertKey(base().set("route.r.path", "/a").set("route.r.header.X", "1"), "route.r.header.X", "unknown route attribute");
        assertKey(base().set("route.r.path", "/a").set("route.r.headers.Bad Name", "1"), "route.r.headers.Bad Name", "not an HTTP header name");
        assertKey(base().set("route.r.path", "/a").set("route.r.headers.Host", "x"), "route.r.headers.Host", "set by the proxy");
        assertKey(base().set("route.r.path", "/a").set("route.r.headers.X-U", "{user}"), "route.r.headers.X-U", "unknown placeholder {user}");
        assertKey(base().set("route.r.path", "/a").set("route.r.token.client_id", "x"), "route.r.token.token_url", "required");
        assertKey(base().set("route.r.path", "/a").set("route.r.token.token_url", "https://idp/t").set("route.r.token.client_id", "x"),
                "route.r.token.client_secret", "required");
        assertKey(base().set("route.r.path", "/a").set("route.r.token.token_url", "https://idp/t").set("route.r.token.client_id", "x")
                .set("route.r.token.client_secret", "y").set("route.r.headers.authorization", "z"), "route.r.headers.authorization", "cannot be set");
        assertKey(base().set("route.bad!name.path", "/a"), "route.bad!name.path", "route.<name>.<attribute>");
        assertKey(base().set("route.r", "/a"), "route.r", "route.<name>.<attribute>");
    }

    @Test
    void aSecretIsNeverInAnError() {
        assertThatThrownBy(() -> base().set("route.r.path", "/a").set("route.r.headers.X-K", "top\u0001secret").build())
                .isInstanceOf(ConfigException.class).hasMessageNotContaining("secret");
    }

    private static void assertKey(ProxyConfig.Builder b, String key, String text) {
        assertThatThrownBy(b::build).isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo(key))
                .hasMessageContaining(text);
    }

    @Test
    void routesComeFromContextParamsAndTheConfigFileWithEnvExpansion(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("p.properties");
        Files.writeString(file, "route.f.path=/_api/f\nroute.f.headers.X-Key=${env:ROUTE_KEY}\n");
        Map<String, String> ctx = Map.of("grafana.url", "http://g:3000", "jwt.secret", "s3cret-s3cret-s3cret-s3cret-s3cret!",
                "config_file", file.toString(), "route.c.path", "/_api/c", "unrelated.app.param", "x");
        ProxyConfig c = new ConfigLoader(null, ctx::get, ctx::keySet, Map.of("ROUTE_KEY", "from-env")).load();
        assertThat(c.routes().all()).extracting(Routes.Route::name).containsExactlyInAnyOrder("c", "f");
        assertThat(c.routes().match("/_api/f").headers()).containsEntry("X-Key", "from-env");

        Files.writeString(file, "route.f.path=/_api/f\nroute.f.headers.X-Key=${env:MISSING}\n");
        assertThatThrownBy(() -> new ConfigLoader(null, ctx::get, ctx::keySet, Map.of()).load())
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("route.f.headers.X-Key: refers to ${env:MISSING}");

        Files.writeString(file, "route.f.path=/_api/f\ngrafana.urll=x\n");
        assertThatThrownBy(() -> new ConfigLoader(null, ctx::get, ctx::keySet, Map.of()).load())
                .isInstanceOf(ConfigException.class).hasMessageContaining("grafana.urll").hasMessageContaining("unknown key");
        assertThat(List.of()).isEmpty();
    }
}
