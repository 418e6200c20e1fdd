package dev.grafanaproxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

    @Test
    void grafanaStyleDurations() {
        assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parse("5s")).isEqualTo(Duration.ofSeconds(5));
        assertThat(Durations.parse("60m")).isEqualTo(Duration.ofMinutes(60));
        assertThat(Durations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(Durations.parse("2d")).isEqualTo(Duration.ofDays(2));
        assertThat(Durations.parse(" 5S ")).isEqualTo(Duration.ofSeconds(5));
        assertThat(Durations.parse("0")).isZero();
        assertThat(Durations.parse("0s")).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "5", "-5s", "+5s", "5 s", "1.5s", "5sec", "s", "5w", "soon", "00",
            "9999999999999999999s", "999999999999999d", "106751991167300d", "9223372036854775807ms1ms"})
    void rejects(String text) {
        assertThatThrownBy(() -> Durations.parse(text)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void formatsInTheSameSyntax() {
        assertThat(Durations.format(Duration.ZERO)).isEqualTo("0");
        assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
        assertThat(Durations.format(Duration.ofSeconds(5))).isEqualTo("5s");
        assertThat(Durations.format(Duration.ofMinutes(90))).isEqualTo("90m");
        assertThat(Durations.format(Duration.ofHours(2))).isEqualTo("2h");
    }
}
