/**
 * The one-command demo: {@link dev.grafanaproxy.sample.launcher.SampleLauncher} runs the sample app
 * at {@code /} and the real {@code grafana.war} at {@code /grafana} on one embedded Jetty 12 (ee10),
 * the WAR configured by the shipped {@code conf/jetty/grafana.xml} plus context parameters, as a
 * user deploys it. Without {@code GRAFANA_URL} it also starts
 * {@link dev.grafanaproxy.sample.launcher.DemoGrafana}, a clearly labelled stand-in for Grafana that
 * shows what the proxy forwarded. Needs Jetty on the class path, so it is not part of the sample's
 * WAR.
 */
package dev.grafanaproxy.sample.launcher;
