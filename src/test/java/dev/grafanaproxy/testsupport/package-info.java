/**
 * Test support shared by every end-to-end test; reuse it, never copy it.
 *
 * <ul>
 *   <li>{@link dev.grafanaproxy.testsupport.GrafanaStandIn}: the upstream, a Grafana look-alike on
 *       Jetty core that records raw requests ({@link dev.grafanaproxy.testsupport.ReceivedRequest})
 *       and counts connections; custom routes cover anything else (a JWKS endpoint, say). Opt-in, it
 *       plays Grafana's {@code [auth.jwt]} ({@link dev.grafanaproxy.testsupport.GrafanaJwtAuth}):
 *       verifies the JWT header against a JWKS fetched over HTTP and shows the signed-in user at
 *       {@code /api/user}.</li>
 *   <li>{@link dev.grafanaproxy.testsupport.ServletContainer}: Jetty 12 or Tomcat 11 running the
 *       real WAR, picked with {@link dev.grafanaproxy.testsupport.Containers} in an
 *       {@code @EnumSource} parameterised test; captures the JVM's log records.</li>
 *   <li>{@link dev.grafanaproxy.testsupport.RawHttp}: exact bytes on the wire, body framing and
 *       premature-close detection.</li>
 *   <li>{@link dev.grafanaproxy.testsupport.TestKeys} and {@link dev.grafanaproxy.testsupport.JwksServer}:
 *       keys, tokens, PEM forms and a JWKS endpoint; {@link dev.grafanaproxy.testsupport.MutableClock}
 *       for time-dependent unit tests.</li>
 *   <li>{@link dev.grafanaproxy.testsupport.TestData}: deterministic bodies of any size with their
 *       SHA-256, generated at memory speed.</li>
 * </ul>
 *
 * <pre>{@code
 * @ParameterizedTest
 * @EnumSource(Containers.class)
 * void forwardsTheRawPath(Containers kind) throws Exception {
 *     try (GrafanaStandIn grafana = new GrafanaStandIn().start();
 *          ServletContainer c = kind.builder()
 *                  .contextParam("grafana.url", grafana.baseUrl())
 *                  .contextParam("jwt.secret", SECRET)
 *                  .start()) {
 *         assertThat(c.isWebappAvailable()).as(c.logText()).isTrue();
 *         RawHttp.Response r = RawHttp.exchange(c.port(),
 *                 RawHttp.get("/grafana/echo/a%2Fb?x=%41", "Authorization: Bearer " + jwt));
 *         assertThat(r.status()).isEqualTo(200);
 *         assertThat(grafana.lastReceived().rawTarget()).isEqualTo("/grafana/echo/a%2Fb?x=%41");
 *         assertThat(c.logText()).doesNotContain(jwt);
 *     }
 * }
 * }</pre>
 */
package dev.grafanaproxy.testsupport;
