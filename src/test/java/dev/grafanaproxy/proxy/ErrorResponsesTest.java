package dev.grafanaproxy.proxy;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class ErrorResponsesTest {
    @Test
    void messagesAreJsonEscaped() {
        assertThat(new String(ErrorResponses.json("a \"b\" \\ c\n\u0001é"), StandardCharsets.UTF_8))
                .isEqualTo("{\"message\":\"a \\\"b\\\" \\\\ c\\n\\u0001é\"}");
    }
}
