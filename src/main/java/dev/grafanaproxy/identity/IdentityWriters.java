package dev.grafanaproxy.identity;

import dev.grafanaproxy.config.AuthMode;
import dev.grafanaproxy.config.ConfigKey;
import dev.grafanaproxy.config.Durations;
import dev.grafanaproxy.config.JwtSource;
import dev.grafanaproxy.config.ProxyConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one place that picks how Grafana learns the identity, from {@code grafana.auth_mode} and {@code grafana.jwt_source}. */
public final class IdentityWriters {
    private static final Logger LOG = LoggerFactory.getLogger(IdentityWriters.class);

    private IdentityWriters() {
    }

    /** @throws dev.grafanaproxy.config.ConfigException when the chosen writer's settings are unusable */
    public static IdentityWriter create(ProxyConfig config) {
        return create(config, null);
    }

    /**
     * The writer for {@code config}, taking over from {@code previous} (the writer of the configuration
     * being replaced, or {@code null}) what must survive a reload: a minting writer hands on its
     * signing keys, so a reload neither changes the key nor cuts a rotation short.
     *
     * @throws dev.grafanaproxy.config.ConfigException when the chosen writer's settings are unusable
     */
    public static IdentityWriter create(ProxyConfig config, IdentityWriter previous) {
        if (config.authMode() == AuthMode.PROXY) {
            unused(config, "grafana.auth_mode=proxy");
            return new ProxyHeadersWriter(config);
        }
        if (config.jwtSource() == JwtSource.FORWARD) {
            unused(config, "grafana.jwt_source=forward");
            LOG.info("grafana.auth_mode=jwt: the verified app token goes to Grafana unchanged in {}", config.grafanaJwtHeader());
            return new ForwardedJwtWriter(config);
        }
        if (previous instanceof GrafanaJwtWriter minting) {
            return minting.successor(config);
        }
        GrafanaJwtWriter writer = new GrafanaJwtWriter(config);
        LOG.info("grafana.auth_mode=jwt: Grafana gets a token minted by the proxy in {}, valid for {}",
                config.grafanaJwtHeader(), Durations.format(config.jwtTtl()));
        return writer;
    }

    private static void unused(ProxyConfig config, String because) {
        if (config.jwtSigningKeyFile() != null) {
            LOG.warn("{} is set but not used with {}", ConfigKey.GRAFANA_JWT_SIGNING_KEY_FILE.key(), because);
        }
    }
}
