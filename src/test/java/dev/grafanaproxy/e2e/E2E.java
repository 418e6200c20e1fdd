package dev.grafanaproxy.e2e;

import dev.grafanaproxy.testsupport.Containers;
import dev.grafanaproxy.testsupport.GrafanaStandIn;
import dev.grafanaproxy.testsupport.ServletContainer;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Shared set-up of the end-to-end tests: one Grafana stand-in and, per container kind, one server
 * running the real WAR with a given configuration, started on first use and closed by
 * {@link #close()}.
 */
final class E2E implements AutoCloseable {
    static final String SECRET = "e2e-secret-0123456789abcdef0123456789abcdef";

    static {
        dev.grafanaproxy.testsupport.TestKeys.ISSUED.add(SECRET);
    }

    final GrafanaStandIn grafana;
    private final Consumer<Map<String, String>> params;
    private final Map<Containers, ServletContainer> servers = new EnumMap<>(Containers.class);

    E2E(Consumer<Map<String, String>> params) throws Exception {
        this(params, new GrafanaStandIn().start());
    }

    /** With a stand-in of the caller's (closed by {@link #close()} too). */
    E2E(Consumer<Map<String, String>> params, GrafanaStandIn grafana) {
        this.grafana = grafana;
        this.params = params;
    }

    /** grafana.url, a key source and the cookie name; tests add or override the rest. */
    Map<String, String> baseParams() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("grafana.url", grafana.baseUrl());
        p.put("jwt.secret", SECRET);
        p.put("jwt.cookie_name", "app_session");
        params.accept(p);
        return p;
    }

    synchronized ServletContainer server(Containers kind) throws Exception {
        ServletContainer s = servers.get(kind);
        if (s == null) {
            s = kind.builder().contextParams(baseParams()).start();
            if (!s.isWebappAvailable()) {
                String log = s.logText();
                s.close();
                throw new AssertionError("web app did not start on " + kind + ":\n" + log);
            }
            servers.put(kind, s);
        }
        return s;
    }

    @Override
    public void close() {
        servers.values().forEach(ServletContainer::close);
        servers.clear();
        grafana.close();
    }
}
