package dev.grafanaproxy.token;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.grafanaproxy.config.ProxyConfig;
import dev.grafanaproxy.token.TokenRejectedException.Reason;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.assertj.core.api.AbstractThrowableAssert;

/** Shared bits of the token tests. */
final class Fixtures {
    private Fixtures() {
    }

    static ProxyConfig.Builder config() {
        return ProxyConfig.custom().set("grafana.url", "http://127.0.0.1:3000");
    }

    static Path write(Path dir, String name, String content) {
        try {
            return Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Clock fixedNow() {
        return Clock.fixed(Instant.now(), ZoneOffset.UTC);
    }

    /** Asserts the token is rejected for exactly this reason and the message does not leak it. */
    static AbstractThrowableAssert<?, ? extends Throwable> assertRejected(TokenVerifier v, String token, Reason reason) {
        return assertThatThrownBy(() -> v.verify(token))
                .isInstanceOf(TokenRejectedException.class)
                .satisfies(e -> {
                    TokenRejectedException t = (TokenRejectedException) e;
                    org.assertj.core.api.Assertions.assertThat(t.reason()).as("reason").isEqualTo(reason);
                    if (token != null && token.length() > 8) {
                        org.assertj.core.api.Assertions.assertThat(String.valueOf(t.getMessage())).doesNotContain(token);
                        org.assertj.core.api.Assertions.assertThat(String.valueOf(t)).doesNotContain(token);
                    }
                });
    }
}
