package dev.grafanaproxy.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.grafanaproxy.config.Routes;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;
import org.apache.hc.client5.http.async.methods.SimpleHttpResponse;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.client5.http.async.methods.SimpleRequestProducer;
import org.apache.hc.client5.http.async.methods.SimpleResponseConsumer;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.ContentType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The OAuth2 client-credentials access token of one route (RFC 6749 section 4.4): fetched on first
 * use, cached, renewed before it expires, and fetched by at most one request at a time however many
 * wait (single flight).
 *
 * <ul>
 *   <li>A token is <em>fresh</em> until {@code expires_in - min(60s, expires_in/4)}; after that the
 *       next request starts one renewal and keeps using the still valid token meanwhile, so no
 *       request waits for a renewal. It is <em>usable</em> until {@code expires_in - min(5s,
 *       expires_in/10)}; a request that finds no usable token waits for the one fetch in flight.</li>
 *   <li>Without {@code expires_in} a token is kept for five minutes (a 401 renews it sooner).</li>
 *   <li>{@link #invalidate(String)} drops a token the target refused (401), unless a newer one
 *       already replaced it, so concurrent 401s cause one fetch.</li>
 *   <li>A failed fetch is logged once (one line, never the secret or a token) and its failure is
 *       reused for {@link #FAILURE_BACKOFF}, so a broken token endpoint is not hammered.</li>
 * </ul>
 * The request is an HTTP POST of {@code application/x-www-form-urlencoded} with {@code grant_type},
 * {@code client_id}, {@code client_secret}, and {@code scope} and {@code audience} when set. It runs on
 * the proxy's own HTTP client, so it starts no thread of its own. Thread-safe.
 */
final class ClientCredentials {
    private static final Logger LOG = LoggerFactory.getLogger(ClientCredentials.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final Duration FAILURE_BACKOFF = Duration.ofSeconds(5);
    private static final Duration DEFAULT_LIFETIME = Duration.ofMinutes(5);

    /** Posts the form to the token endpoint; completes with the status and body. */
    interface Transport {
        CompletableFuture<TokenHttpResponse> post(Routes.TokenSettings settings, String form);
    }

    record TokenHttpResponse(int status, String body) {
    }

    /** Why no token could be had; the message is safe for clients and logs. */
    static final class TokenFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TokenFailure(String message) {
            super(message, null, false, false);
        }
    }

    private record Token(String value, long usableUntil, long refreshAt) {
    }

    private final String routeName;
    private final Routes.TokenSettings settings;
    private final LongSupplier nanoClock;
    private final AtomicLong fetches = new AtomicLong();

    private Token current;
    private CompletableFuture<Token> inFlight;
    private CompletableFuture<Token> lastFailure;
    private long lastFailureAt;

    ClientCredentials(String routeName, Routes.TokenSettings settings, LongSupplier nanoClock) {
        this.routeName = routeName;
        this.settings = settings;
        this.nanoClock = nanoClock;
    }

    ClientCredentials(String routeName, Routes.TokenSettings settings) {
        this(routeName, settings, System::nanoTime);
    }

    Routes.TokenSettings settings() {
        return settings;
    }

    /** How many token requests were sent. */
    long fetches() {
        return fetches.get();
    }

    /**
     * A usable access token: at once when one is cached, else when the fetch in flight (started
     * here if none) completes. Fails with {@link TokenFailure}.
     */
    CompletableFuture<String> token(Transport transport) {
        CompletableFuture<Token> wait;
        synchronized (this) {
            long now = nanoClock.getAsLong();
            Token t = current;
            if (t != null && now - t.usableUntil < 0) {
                if (now - t.refreshAt >= 0 && inFlight == null) {
                    fetch(transport, now); // renew in the background; this request uses the valid token
                }
                return CompletableFuture.completedFuture(t.value);
            }
            if (inFlight != null) {
                wait = inFlight;
            } else if (lastFailure != null && now - lastFailureAt < FAILURE_BACKOFF.toNanos()) {
                wait = lastFailure;
            } else {
                wait = fetch(transport, now);
            }
        }
        return wait.thenApply(Token::value);
    }

    /** Forgets {@code token} after the target refused it, unless it was already replaced. */
    synchronized void invalidate(String token) {
        if (current != null && current.value.equals(token)) {
            current = null;
        }
    }

    /** Starts one fetch. Caller holds the lock. */
    private CompletableFuture<Token> fetch(Transport transport, long startedAt) {
        CompletableFuture<Token> result = new CompletableFuture<>();
        inFlight = result;
        fetches.incrementAndGet();
        CompletableFuture<TokenHttpResponse> sent;
        try {
            sent = transport.post(settings, form());
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        sent.whenComplete((response, error) -> {
            Token token = null;
            TokenFailure failure = null;
            if (error != null) {
                Throwable c = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                failure = new TokenFailure("the token endpoint is unreachable (" + c.getClass().getSimpleName() + ")");
            } else {
                try {
                    token = parse(response, startedAt);
                } catch (TokenFailure f) {
                    failure = f;
                }
            }
            synchronized (this) {
                inFlight = null;
                if (token != null) {
                    current = token;
                    lastFailure = null;
                } else {
                    lastFailure = result;
                    lastFailureAt = nanoClock.getAsLong();
                }
            }
            if (token != null) {
                LOG.debug("route {}: access token obtained from {}", routeName, settings.tokenUrl());
                result.complete(token);
            } else {
                LOG.warn("route {}: no access token from {}: {}", routeName, settings.tokenUrl(), failure.getMessage());
                result.completeExceptionally(failure);
            }
        });
        return result;
    }

    private Token parse(TokenHttpResponse response, long startedAt) {
        JsonNode json = null;
        try {
            json = response.body() == null || response.body().isEmpty() ? null : JSON.readTree(response.body());
        } catch (java.io.IOException e) {
            // reported below
        }
        if (response.status() / 100 != 2) {
            // the RFC 6749 error code is safe to show; the rest of the body might echo what we sent
            String code = json != null && json.path("error").isTextual() ? " " + json.path("error").textValue() : "";
            throw new TokenFailure("the token endpoint answered HTTP " + response.status() + code);
        }
        if (json == null || !json.path("access_token").isTextual() || json.path("access_token").textValue().isEmpty()) {
            throw new TokenFailure("the token endpoint's answer holds no access_token");
        }
        String value = json.path("access_token").textValue();
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x21 || c > 0x7E) {
                throw new TokenFailure("the token endpoint's access_token is not a valid bearer token");
            }
        }
        JsonNode type = json.path("token_type");
        if (type.isTextual() && !type.textValue().equalsIgnoreCase("bearer")) {
            throw new TokenFailure("the token endpoint issued a token of type \"" + type.textValue() + "\", not Bearer");
        }
        long lifetimeNanos = DEFAULT_LIFETIME.toNanos();
        JsonNode expires = json.path("expires_in");
        if (expires.isNumber() || (expires.isTextual() && expires.textValue().matches("\\d{1,9}"))) {
            long seconds = expires.isNumber() ? expires.asLong() : Long.parseLong(expires.textValue());
            if (seconds > 0) {
                lifetimeNanos = Duration.ofSeconds(seconds).toNanos();
            }
        }
        long renewMargin = Math.min(Duration.ofSeconds(60).toNanos(), lifetimeNanos / 4);
        long expiryMargin = Math.min(Duration.ofSeconds(5).toNanos(), lifetimeNanos / 10);
        return new Token(value, startedAt + lifetimeNanos - expiryMargin, startedAt + lifetimeNanos - renewMargin);
    }

    private String form() {
        StringBuilder f = new StringBuilder("grant_type=client_credentials");
        add(f, "client_id", settings.clientId());
        add(f, "client_secret", settings.clientSecret());
        if (!settings.scopes().isEmpty()) {
            add(f, "scope", String.join(" ", settings.scopes()));
        }
        if (settings.audience() != null) {
            add(f, "audience", settings.audience());
        }
        return f.toString();
    }

    private static void add(StringBuilder form, String name, String value) {
        form.append('&').append(name).append('=').append(URLEncoder.encode(value, StandardCharsets.UTF_8));
    }

    /** The transport over the proxy's HTTP client. */
    static Transport over(UpstreamClient client) {
        return (settings, form) -> {
            SimpleHttpRequest request = SimpleRequestBuilder.post(settings.tokenUrl())
                    .setHeader("Accept", "application/json")
                    .setBody(form, ContentType.APPLICATION_FORM_URLENCODED)
                    .build();
            CompletableFuture<TokenHttpResponse> result = new CompletableFuture<>();
            client.execute(SimpleRequestProducer.create(request), SimpleResponseConsumer.create(), new FutureCallback<>() {
                @Override
                public void completed(SimpleHttpResponse r) {
                    result.complete(new TokenHttpResponse(r.getCode(), r.getBodyText()));
                }

                @Override
                public void failed(Exception ex) {
                    result.completeExceptionally(ex);
                }

                @Override
                public void cancelled() {
                    result.completeExceptionally(new java.util.concurrent.CancellationException("token request cancelled"));
                }
            });
            return result;
        };
    }

    @Override
    public String toString() {
        return "ClientCredentials[" + routeName + ", " + settings.tokenUrl() + "]";
    }
}
