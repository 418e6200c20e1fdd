/**
 * Tests of {@code webapp-sample} (whose sources join the test class path through build-helper):
 * {@link dev.grafanaproxy.sample.SampleAppIT} drives the demo over HTTP,
 * {@link dev.grafanaproxy.sample.BrowserIT} in a real headless Chromium,
 * {@link dev.grafanaproxy.sample.SampleInTomcatIT} deploys what docker-compose deploys in an embedded
 * Tomcat 11, and {@link dev.grafanaproxy.sample.ComposeFileTest} keeps
 * {@code webapp-sample/docker-compose.yml} in step with {@code conf/}. The first two start the demo in-process with
 * {@link dev.grafanaproxy.sample.launcher.SampleLauncher}, exactly as the README's first command
 * does, on a free port.
 */
package dev.grafanaproxy.sample;
