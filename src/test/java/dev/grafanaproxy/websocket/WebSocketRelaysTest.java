package dev.grafanaproxy.websocket;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class WebSocketRelaysTest {

    @Test
    void upstreamUriKeepsRawPathAndQuery() {
        assertThat(WebSocketRelays.webSocketUri(URI.create("http://127.0.0.1:3000/grafana/api/live/ws?a=%20b")))
                .hasToString("ws://127.0.0.1:3000/grafana/api/live/ws?a=%20b");
        assertThat(WebSocketRelays.webSocketUri(URI.create("https://grafana.internal/api/live/ws")))
                .hasToString("wss://grafana.internal/api/live/ws");
    }

    @Test
    void subProtocolTokensInOrderWithoutDuplicates() {
        assertThat(WebSocketRelays.tokens(Collections.enumeration(List.of("a, b", " c ,a", "")))).containsExactly("a", "b", "c");
        assertThat(WebSocketRelays.tokens(null)).isEmpty();
    }

    @Test
    void handshakeKeyIsSixteenBytesOfBase64() {
        assertThat(WebSocketRelays.validKey("dGhlIHNhbXBsZSBub25jZQ==")).isTrue();
        assertThat(WebSocketRelays.validKey(null)).isFalse();
        assertThat(WebSocketRelays.validKey("short")).isFalse();
        assertThat(WebSocketRelays.validKey("!!!!!!!!!!!!!!!!!!!!!!==")).isFalse();
    }

    @Test
    void upgradeHeaderTokensAreCaseInsensitive() {
        assertThat(WebSocketRelayFactory.hasToken(Collections.enumeration(List.of("keep-alive, Upgrade")), "upgrade")).isTrue();
        assertThat(WebSocketRelayFactory.hasToken(Collections.enumeration(List.of("WebSocket")), "websocket")).isTrue();
        assertThat(WebSocketRelayFactory.hasToken(Collections.enumeration(List.of("h2c")), "websocket")).isFalse();
    }

    @Test
    void closeReasonsAreCutTo123BytesOnACharacterBoundary() {
        assertThat(Relay.truncate(null)).isEmpty();
        assertThat(Relay.truncate("bye")).isEqualTo("bye");
        String cut = Relay.truncate("\u00fc".repeat(100));
        assertThat(cut.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(123);
        assertThat(cut).isEqualTo("\u00fc".repeat(61));
        String emoji = Relay.truncate("\uD83D\uDE00".repeat(40));
        assertThat(emoji.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(123);
        assertThat(Character.isHighSurrogate(emoji.charAt(emoji.length() - 1))).isFalse();
    }
}
