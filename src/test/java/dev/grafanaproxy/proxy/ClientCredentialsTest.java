package dev.grafanaproxy.proxy;

import dev.grafanaproxy.config.Routes;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Client credentials: caching, single flight, renewal before expiry, invalidation, failure back-off. */
class ClientCredentialsTest {
    private static final Routes.TokenSettings SETTINGS = new Routes.TokenSettings(URI.create("https://idp/token"), "proxy id",
            "s&cret", List.of("read", "write"), "https://api");

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final List<String> forms = new ArrayList<>();
    private final List<CompletableFuture<ClientCredentials.TokenHttpResponse>> pending = new ArrayList<>();
    private final ClientCredentials.Transport transport = (settings, form) -> {
        forms.add(form);
        CompletableFuture<ClientCredentials.TokenHttpResponse> f = new CompletableFuture<>();
        pending.add(f);
        return f;
    };
    private final ClientCredentials credentials = new ClientCredentials("r", SETTINGS, now::get);

    private void answer(int i, String token, int expiresIn) {
        pending.get(i).complete(new ClientCredentials.TokenHttpResponse(200,
                "{\"access_token\":\"" + token + "\",\"token_type\":\"Bearer\",\"expires_in\":" + expiresIn + "}"));
    }

    private void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    @Test
    void theFormIsAClientCredentialsGrant() {
        credentials.token(transport);
        assertThat(forms).containsExactly("grant_type=client_credentials&client_id=proxy+id&client_secret=s%26cret"
                + "&scope=read+write&audience=https%3A%2F%2Fapi");
    }

    @Test
    void manyWaitersShareOneFetchAndTheTokenIsReused() {
        List<CompletableFuture<String>> waiting = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            waiting.add(credentials.token(transport));
        }
        assertThat(credentials.fetches()).isEqualTo(1);
        answer(0, "t1", 3600);
        assertThat(waiting).allSatisfy(f -> assertThat(f.join()).isEqualTo("t1"));
        advance(Duration.ofMinutes(30));
        assertThat(credentials.token(transport).join()).isEqualTo("t1");
        assertThat(credentials.fetches()).isEqualTo(1);
    }

    @Test
    void renewalStartsBeforeExpiryOnceAndNobodyWaitsForIt() {
        credentials.token(transport);
        answer(0, "t1", 100); // renew 25 s before expiry, unusable 5 s before
        advance(Duration.ofSeconds(74));
        assertThat(credentials.token(transport).join()).isEqualTo("t1");
        assertThat(credentials.fetches()).isEqualTo(1);
        advance(Duration.ofSeconds(2));
        for (int i = 0; i < 20; i++) {
            assertThat(credentials.token(transport).getNow(null)).as("the valid token is used while renewing").isEqualTo("t1");
        }
        assertThat(credentials.fetches()).isEqualTo(1 + 1);
        answer(1, "t2", 100);
        assertThat(credentials.token(transport).join()).isEqualTo("t2");
        assertThat(credentials.fetches()).isEqualTo(2);
    }

    @Test
    void anExpiredTokenIsNotUsed() {
        credentials.token(transport);
        answer(0, "t1", 100);
        advance(Duration.ofSeconds(96));
        CompletableFuture<String> f = credentials.token(transport);
        assertThat(f).isNotDone();
        answer(1, "t2", 100);
        assertThat(f.join()).isEqualTo("t2");
    }

    @Test
    void invalidateDropsOnlyTheRefusedToken() {
        credentials.token(transport);
        answer(0, "t1", 3600);
        credentials.invalidate("t1");
        CompletableFuture<String> f = credentials.token(transport);
        credentials.invalidate("t1"); // a second 401 for the same old token: no second fetch
        CompletableFuture<String> g = credentials.token(transport);
        assertThat(credentials.fetches()).isEqualTo(2);
        answer(1, "t2", 3600);
        assertThat(f.join()).isEqualTo("t2");
        assertThat(g.join()).isEqualTo("t2");
        credentials.invalidate("t1");
        assertThat(credentials.token(transport).join()).isEqualTo("t2");
    }

    @Test
    void aFailureIsSharedAndReusedForTheBackOffThenRetried() {
        CompletableFuture<String> a = credentials.token(transport);
        CompletableFuture<String> b = credentials.token(transport);
        pending.get(0).complete(new ClientCredentials.TokenHttpResponse(401, "{\"error\":\"invalid_client\",\"error_description\":\"s&cret wrong\"}"));
        assertThatThrownBy(a::join).isInstanceOf(CompletionException.class)
                .hasCauseInstanceOf(ClientCredentials.TokenFailure.class)
                .hasMessageContaining("HTTP 401 invalid_client").hasMessageNotContaining("s&cret");
        assertThatThrownBy(b::join).hasMessageContaining("HTTP 401");
        assertThatThrownBy(() -> credentials.token(transport).join()).hasMessageContaining("HTTP 401");
        assertThat(credentials.fetches()).isEqualTo(1);
        advance(ClientCredentials.FAILURE_BACKOFF.plusMillis(1));
        CompletableFuture<String> c = credentials.token(transport);
        assertThat(credentials.fetches()).isEqualTo(2);
        answer(1, "t1", 60);
        assertThat(c.join()).isEqualTo("t1");
    }

    @Test
    void badAnswersAreFailures() {
        for (String body : List.of("not json", "{}", "{\"access_token\":\"a b\"}", "{\"access_token\":\"x\",\"token_type\":\"mac\"}")) {
            ClientCredentials c = new ClientCredentials("r", SETTINGS, now::get);
            pending.clear();
            CompletableFuture<String> f = c.token(transport);
            pending.get(0).complete(new ClientCredentials.TokenHttpResponse(200, body));
            assertThatThrownBy(f::join).as(body).hasCauseInstanceOf(ClientCredentials.TokenFailure.class);
        }
        ClientCredentials c = new ClientCredentials("r", SETTINGS, now::get);
        pending.clear();
        CompletableFuture<String> f = c.token(transport);
        pending.get(0).completeExceptionally(new java.net.ConnectException("refused"));
        assertThatThrownBy(f::join).hasMessageContaining("unreachable");
    }
}
