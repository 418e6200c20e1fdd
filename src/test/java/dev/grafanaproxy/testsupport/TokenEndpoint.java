package dev.grafanaproxy.testsupport;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small OAuth2 token endpoint on loopback (RFC 6749 section 4.4, client credentials) for tests:
 * {@code POST /token} with a form of {@code grant_type=client_credentials}, {@code client_id},
 * {@code client_secret} (and optional {@code scope}, {@code audience}) answers
 * {@code {"access_token":"...","token_type":"Bearer","expires_in":N}} for a registered client, or
 * {@code 401 {"error":"invalid_client"}}. Every access token it issues is registered in
 * {@link TestKeys#ISSUED} (so {@link LogLeakGuard} fails a test that logs one) and stays valid
 * ({@link #isValid(String)}) until {@link #revokeAll()}. Counts fetches per client, records the
 * forms, and can answer slowly. Thread-safe.
 */
public final class TokenEndpoint implements AutoCloseable {
    private final Map<String, String> secrets = new ConcurrentHashMap<>();
    private final Map<String, Integer> lifetimes = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> fetches = new ConcurrentHashMap<>();
    private final Set<String> valid = ConcurrentHashMap.newKeySet();
    private final List<Map<String, String>> forms = new CopyOnWriteArrayList<>();
    private final AtomicInteger counter = new AtomicInteger();
    private volatile Duration delay = Duration.ZERO;
    private final HttpServer server;
    private final ExecutorService executor;

    private TokenEndpoint() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "token-endpoint");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/token", this::handle);
        server.start();
    }

    public static TokenEndpoint start() {
        return new TokenEndpoint();
    }

    /** Registers a client whose tokens live {@code expiresInSeconds}; the secret is registered as issued. */
    public TokenEndpoint client(String clientId, String secret, int expiresInSeconds) {
        TestKeys.ISSUED.add(secret);
        secrets.put(clientId, secret);
        lifetimes.put(clientId, expiresInSeconds);
        return this;
    }

    /** Answers every token request only after this delay (to make concurrent waiters overlap). */
    public TokenEndpoint delay(Duration delay) {
        this.delay = delay;
        return this;
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
    }

    /** Token requests for this client so far (successful or not). */
    public int fetches(String clientId) {
        AtomicInteger n = fetches.get(clientId);
        return n == null ? 0 : n.get();
    }

    /** The decoded forms received, in order. */
    public List<Map<String, String>> forms() {
        return List.copyOf(forms);
    }

    /** Whether a resource server should accept this access token. */
    public boolean isValid(String accessToken) {
        return valid.contains(accessToken);
    }

    /** Every token issued so far becomes invalid (as after a key rotation at the IdP). */
    public void revokeAll() {
        valid.clear();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            Map<String, String> form = new LinkedHashMap<>();
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            for (String pair : body.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    form.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
            forms.add(form);
            String clientId = form.getOrDefault("client_id", "");
            fetches.computeIfAbsent(clientId, k -> new AtomicInteger()).incrementAndGet();
            if (!delay.isZero()) {
                Thread.sleep(delay.toMillis());
            }
            boolean ok = "POST".equals(ex.getRequestMethod())
                    && String.valueOf(ex.getRequestHeaders().getFirst("Content-Type")).startsWith("application/x-www-form-urlencoded")
                    && "client_credentials".equals(form.get("grant_type"))
                    && secrets.containsKey(clientId) && secrets.get(clientId).equals(form.get("client_secret"));
            String json;
            int status;
            if (ok) {
                String token = "at-" + clientId + "-" + counter.incrementAndGet() + "-" + TestKeys.secret(24).replaceAll("[^A-Za-z0-9]", "x");
                TestKeys.ISSUED.add(token);
                valid.add(token);
                json = "{\"access_token\":\"" + token + "\",\"token_type\":\"Bearer\",\"expires_in\":" + lifetimes.get(clientId) + "}";
                status = 200;
            } else {
                json = "{\"error\":\"invalid_client\"}";
                status = 401;
            }
            byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.getResponseHeaders().set("Cache-Control", "no-store");
            ex.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
