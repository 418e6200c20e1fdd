package dev.grafanaproxy.web;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PublicPathsTest {
    private final PublicPaths paths = new PublicPaths(List.of("/api/health", "/public/*"));

    @Test
    void exactEntriesMatchOnlyThatPath() {
        assertThat(paths.matches("/api/health")).isTrue();
        assertThat(paths.matches("/api/healthx")).isFalse();
        assertThat(paths.matches("/api/health/")).isFalse();
        assertThat(paths.matches("/api/health/x")).isFalse();
        assertThat(paths.matches("/api")).isFalse();
    }

    @Test
    void wildcardEntriesMatchTheSegmentAndBelow() {
        assertThat(paths.matches("/public")).isTrue();
        assertThat(paths.matches("/public/")).isTrue();
        assertThat(paths.matches("/public/build/app.js")).isTrue();
        assertThat(paths.matches("/publicity")).isFalse();
    }

    @Test
    void slashStarCoversEverything() {
        assertThat(new PublicPaths(List.of("/*")).matches("/anything/at/all")).isTrue();
        assertThat(new PublicPaths(List.of()).matches("/")).isFalse();
    }
}
