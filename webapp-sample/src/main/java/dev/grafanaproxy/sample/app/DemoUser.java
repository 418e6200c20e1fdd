package dev.grafanaproxy.sample.app;

import java.util.List;

/**
 * One demo login and the claims its session JWT carries.
 *
 * @param username    the login, also the token's {@code sub}
 * @param password    the demo password
 * @param name        {@code name} claim
 * @param email       {@code email} claim
 * @param roles       {@code roles} claim (the app's own role names)
 * @param groups      {@code groups} claim
 * @param grafanaRole the Grafana role the proxy's {@code jwt.role_attribute_path} (as in
 *                    {@code conf/}) maps these roles to; shown on the login page and asserted by the
 *                    browser test
 */
public record DemoUser(String username, String password, String name, String email, List<String> roles,
                       List<String> groups, String grafanaRole) {

    public DemoUser {
        roles = List.copyOf(roles);
        groups = List.copyOf(groups);
    }
}
