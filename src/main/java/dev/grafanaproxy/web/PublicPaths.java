package dev.grafanaproxy.web;

import dev.grafanaproxy.config.PathPatterns;

import java.util.List;

/**
 * The {@code public_paths} matcher: {@link PathPatterns}, the same matching {@code websocket.paths}
 * uses. An entry matches exactly that path; an entry ending in {@code /*} matches that segment and
 * everything below it.
 */
final class PublicPaths {
    private final PathPatterns patterns;

    PublicPaths(List<String> entries) {
        this.patterns = new PathPatterns(entries);
    }

    boolean matches(String path) {
        return patterns.matches(path);
    }
}
