package dev.grafanaproxy.identity;

import dev.grafanaproxy.config.ProxyConfig;

/** A valid minimal configuration plus the keys a test sets. */
final class TestConfigs {
    private TestConfigs() {
    }

    static ProxyConfig config(String... keyValues) {
        ProxyConfig.Builder b = ProxyConfig.custom()
                .set("grafana.url", "http://127.0.0.1:3000")
                .set("jwt.secret", "unit-test-secret");
        for (int i = 0; i < keyValues.length; i += 2) {
            b.set(keyValues[i], keyValues[i + 1]);
        }
        return b.build();
    }
}
