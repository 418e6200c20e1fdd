/**
 * Configuration: the one immutable {@link dev.grafanaproxy.config.ProxyConfig} the rest of the
 * proxy reads. {@link dev.grafanaproxy.config.ConfigLoader} merges the sources the contract names
 * (init-params, context-params, the {@code config_file} properties file, {@code GRAFANA_PROXY_*}
 * environment variables, lowest precedence first), expands {@code ${env:NAME}}, and hands the raw
 * strings to {@link dev.grafanaproxy.config.ProxyConfig.Builder}, which parses and validates every
 * key once. Anything wrong becomes a {@link dev.grafanaproxy.config.ConfigException} naming the key,
 * so a bad deployment stops at start-up with one line instead of failing on the first request.
 * This package uses the JDK only.
 */
package dev.grafanaproxy.config;
