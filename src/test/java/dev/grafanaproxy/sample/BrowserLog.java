package dev.grafanaproxy.sample;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.logging.LogEntry;

/**
 * What Chromium reported about the network and its console, read from ChromeDriver's
 * {@code performance} and {@code browser} logs (DevTools events, independent of the Chromium
 * version): every URL it requested or navigated to, every response status, every failed load,
 * WebSocket handshakes, and console errors. Reading drains the driver's buffers, so call
 * {@link #drain} before each look.
 */
final class BrowserLog {

    /** One HTTP exchange as the browser saw it. */
    record Exchange(String requestId, String method, String url, int status, String failure) {
        boolean failed() {
            return failure != null || status >= 400;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<String> urls = new ArrayList<>();
    private final Map<String, Exchange> exchanges = new LinkedHashMap<>();
    private final List<Exchange> redirects = new ArrayList<>();
    private final Map<String, String> webSocketUrls = new LinkedHashMap<>();
    private final List<String> webSocketEvents = new ArrayList<>();
    private final List<String> consoleErrors = new ArrayList<>();
    private final List<String> browserInternal = new ArrayList<>();

    /** Reads and parses whatever the driver has buffered since the last call. */
    void drain(WebDriver driver) {
        for (LogEntry e : driver.manage().logs().get("performance")) {
            event(e.getMessage());
        }
        for (LogEntry e : driver.manage().logs().get("browser")) {
            if (e.getLevel().intValue() >= Level.SEVERE.intValue()) {
                consoleErrors.add(e.getMessage());
            }
        }
    }

    private void event(String raw) {
        JsonNode message;
        try {
            message = JSON.readTree(raw).path("message");
        } catch (Exception ex) {
            throw new IllegalStateException("unreadable performance log entry: " + raw, ex);
        }
        String method = message.path("method").asText();
        JsonNode p = message.path("params");
        String id = p.path("requestId").asText();
        switch (method) {
            case "Network.requestWillBeSent" -> {
                String url = p.path("request").path("url").asText();
                urls.add(url);
                if (p.hasNonNull("documentURL")) {
                    urls.add(p.path("documentURL").asText());
                }
                if (p.has("redirectResponse")) {
                    Exchange before = exchanges.get(id);
                    redirects.add(new Exchange(id, before == null ? "?" : before.method(),
                            p.path("redirectResponse").path("url").asText(), p.path("redirectResponse").path("status").asInt(), null));
                }
                exchanges.put(id, new Exchange(id, p.path("request").path("method").asText(), url, 0, null));
            }
            case "Network.responseReceived" -> {
                Exchange x = exchanges.get(id);
                String url = p.path("response").path("url").asText();
                urls.add(url);
                exchanges.put(id, new Exchange(id, x == null ? "?" : x.method(), url, p.path("response").path("status").asInt(),
                        x == null ? null : x.failure()));
            }
            case "Network.loadingFailed" -> {
                Exchange x = exchanges.get(id);
                if (x == null) {
                    // no request event for it on the pages' targets: Chromium's own background work
                    // (new-tab page and the like), not a request of a page
                    browserInternal.add(p.path("errorText").asText() + " " + raw);
                    return;
                }
                exchanges.put(id, new Exchange(id, x == null ? "?" : x.method(), x == null ? "?" : x.url(),
                        x == null ? 0 : x.status(), p.path("errorText").asText() + (p.path("canceled").asBoolean() ? " (canceled)" : "")));
            }
            case "Network.webSocketCreated" -> {
                webSocketUrls.put(id, p.path("url").asText());
                urls.add(p.path("url").asText());
                webSocketEvents.add("created " + p.path("url").asText());
            }
            case "Network.webSocketHandshakeResponseReceived" ->
                    webSocketEvents.add("handshake " + p.path("response").path("status").asInt() + " " + webSocketUrls.get(id));
            case "Network.webSocketFrameError" ->
                    webSocketEvents.add("error " + p.path("errorMessage").asText() + " " + webSocketUrls.get(id));
            case "Network.webSocketClosed" -> webSocketEvents.add("closed " + webSocketUrls.get(id));
            case "Page.frameNavigated" -> urls.add(p.path("frame").path("url").asText());
            default -> {
            }
        }
    }

    /** Every URL the browser requested, was redirected through or navigated a frame to. */
    List<String> urls() {
        return List.copyOf(urls);
    }

    /**
     * Every HTTP(S) request a page made (the final hop of a redirect chain) with its outcome;
     * Chromium's own {@code chrome://} pages and {@code data:} URLs left out.
     */
    List<Exchange> exchanges() {
        return exchanges.values().stream().filter(x -> x.url().startsWith("http://") || x.url().startsWith("https://")).toList();
    }

    /** Failed loads that belong to no page (for diagnostics only). */
    List<String> browserInternal() {
        return List.copyOf(browserInternal);
    }

    /** Redirect hops: status 3xx and the URL that answered with it. */
    List<Exchange> redirects() {
        return List.copyOf(redirects);
    }

    /** {@code created <url>}, {@code handshake <status> <url>}, {@code error ...}, {@code closed <url>}. */
    List<String> webSocketEvents() {
        return List.copyOf(webSocketEvents);
    }

    /** Console messages at SEVERE (failed loads and WebSockets are reported here too). */
    List<String> consoleErrors() {
        return List.copyOf(consoleErrors);
    }

    /** Forgets everything read so far. */
    void clear() {
        urls.clear();
        exchanges.clear();
        redirects.clear();
        webSocketUrls.clear();
        webSocketEvents.clear();
        consoleErrors.clear();
        browserInternal.clear();
    }
}
