package dev.grafanaproxy.sample.app;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;

/**
 * The demo users. A real app has its own user store; all that matters to grafana-proxy is which
 * claims end up in the session JWT.
 */
public final class DemoUsers {

    /** Every demo user's password (it is a demo: the start-up banner and the login page show it). */
    public static final String PASSWORD = "demo";

    /** One Viewer, one Editor, one Admin, each with different claims. */
    public static final List<DemoUser> ALL = List.of(
            new DemoUser("alice", PASSWORD, "Alice Andersen", "alice@example.com",
                    List.of("viewer"), List.of("sales"), "Viewer"),
            new DemoUser("bob", PASSWORD, "Bob Brennan", "bob@example.com",
                    List.of("editor"), List.of("engineering", "on-call"), "Editor"),
            new DemoUser("carol", PASSWORD, "Carol Castillo", "carol@example.com",
                    List.of("admin", "editor"), List.of("platform", "engineering"), "Admin"));

    private DemoUsers() {
    }

    /** The user with this login and password, compared in constant time. */
    public static Optional<DemoUser> authenticate(String username, String password) {
        if (username == null || password == null) {
            return Optional.empty();
        }
        for (DemoUser u : ALL) {
            boolean nameMatches = MessageDigest.isEqual(bytes(u.username()), bytes(username.trim()));
            boolean passwordMatches = MessageDigest.isEqual(bytes(u.password()), bytes(password));
            if (nameMatches & passwordMatches) {
                return Optional.of(u);
            }
        }
        return Optional.empty();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
