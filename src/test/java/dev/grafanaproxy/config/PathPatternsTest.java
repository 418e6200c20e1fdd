package dev.grafanaproxy.config;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PathPatternsTest {

    @Test
    void exactEntriesAndSegmentPrefixes() {
        PathPatterns p = new PathPatterns(List.of("/api/live/ws", "/api/live/push/*"));
        assertThat(p.matches("/api/live/ws")).isTrue();
        assertThat(p.matches("/api/live/wsx")).isFalse();
        assertThat(p.matches("/api/live/ws/")).isFalse();
        assertThat(p.matches("/api/live/push")).isTrue();
        assertThat(p.matches("/api/live/push/abc")).isTrue();
        assertThat(p.matches("/api/live/pushx")).isFalse();
        assertThat(new PathPatterns(List.of("/*")).matches("/anything")).isTrue();
        assertThat(new PathPatterns(List.of()).isEmpty()).isTrue();
    }
}
