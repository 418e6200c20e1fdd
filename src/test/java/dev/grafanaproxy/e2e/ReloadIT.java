package dev.grafanaproxy.e2e;

import com.nimbusds.jose.jwk.RSAKey;
import dev.grafanaproxy.testsupport.Containers;
import dev.grafanaproxy.testsupport.GrafanaStandIn;
import dev.grafanaproxy.testsupport.RawHttp;
import dev.grafanaproxy.testsupport.ServletContainer;
import dev.grafanaproxy.testsupport.TestKeys;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Reconfiguration without a restart: a changed config file switches Grafana under load with no
 * failed request, a bad file changes nothing and is reported once, and a replaced key file rotates
 * the verification key.
 */
class ReloadIT {

    private static void write(Path file, String text) throws Exception {
        // replace atomically, as editors and config management tools do
        Path tmp = Files.createTempFile(file.getParent(), "cfg", ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static String properties(String grafanaUrl) {
        return "grafana.url=" + grafanaUrl + "\njwt.secret=" + E2E.SECRET + "\npublic_paths=/*\n";
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void aChangedConfigFileSwitchesGrafanaUnderLoadWithoutAFailedRequest(Containers kind, @TempDir Path dir) throws Exception {
        Path file = dir.resolve("grafana-proxy.properties");
        try (GrafanaStandIn a = new GrafanaStandIn().start(); GrafanaStandIn b = new GrafanaStandIn().start()) {
            write(file, properties(a.baseUrl()));
            try (ServletContainer c = kind.builder()
                    .contextParam("config_file", file.toString())
                    .contextParam("reload_interval", "200ms")
                    .start()) {
                assertThat(c.isWebappAvailable()).as(c.logText()).isTrue();
                assertThat(RawHttp.exchange(c.port(), RawHttp.get("/grafana/echo/first")).status()).isEqualTo(200);
                long ioThreads = ioThreads();
                assertThat(ioThreads).isPositive();
                ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
                AtomicInteger ok = new AtomicInteger();
                AtomicBoolean running = new AtomicBoolean(true);
                List<Thread> load = List.of(loadThread(c.port(), running, ok, failures), loadThread(c.port(), running, ok, failures));
                load.forEach(Thread::start);
                Thread.sleep(500);
                write(file, properties(b.baseUrl()));
                b.awaitReceived(r -> r.routePath().startsWith("/echo/"), Duration.ofSeconds(10));
                Thread.sleep(300);
                int aBefore = a.received().size();
                Thread.sleep(300);
                running.set(false);
                for (Thread t : load) {
                    t.join(10_000);
                }
                assertThat(failures).as("no request failed during the switch").isEmpty();
                assertThat(ok.get()).isGreaterThan(20);
                assertThat(a.received().size()).as("after the switch nothing goes to the old Grafana").isEqualTo(aBefore);
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (ioThreads() > ioThreads && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                assertThat(ioThreads()).as("the retired HTTP client closed once its exchanges finished").isEqualTo(ioThreads);

                // a bad file changes nothing and is reported once
                write(file, properties(a.baseUrl()) + "grafana.urll=typo\n");
                Thread.sleep(1200);
                b.clearReceived();
                assertThat(RawHttp.exchange(c.port(), RawHttp.get("/grafana/echo/after-bad")).status()).isEqualTo(200);
                assertThat(b.received("/echo/after-bad")).hasSize(1);
                assertThat(c.logLines()).filteredOn(l -> l.contains("configuration change rejected")).hasSize(1)
                        .allMatch(l -> l.contains("grafana.urll") && l.contains("unknown key"));
            }
            assertThat(Thread.getAllStackTraces().keySet()).filteredOn(Thread::isAlive)
                    .extracting(Thread::getName).as("watcher and retired clients stopped on undeploy")
                    .noneMatch(n -> n.startsWith("grafana-proxy"));
        }
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void aReplacedKeyFileRotatesTheVerificationKey(Containers kind, @TempDir Path dir) throws Exception {
        RSAKey first = TestKeys.rsa("k1");
        RSAKey second = TestKeys.rsa("k2");
        Path pem = dir.resolve("app-key.pem");
        write(pem, TestKeys.pkixPem(first));
        try (GrafanaStandIn grafana = new GrafanaStandIn().start();
             ServletContainer c = kind.builder()
                     .contextParam("grafana.url", grafana.baseUrl())
                     .contextParam("jwt.key_file", pem.toString())
                     .contextParam("reload_interval", "200ms")
                     .start()) {
            assertThat(c.isWebappAvailable()).as(c.logText()).isTrue();
            String oldToken = TestKeys.jwt().subject("alice").expiresIn(Duration.ofMinutes(5)).sign(first);
            String newToken = TestKeys.jwt().subject("bob").expiresIn(Duration.ofMinutes(5)).sign(second);
            assertThat(status(c, oldToken)).isEqualTo(200);
            assertThat(status(c, newToken)).isEqualTo(401);

            write(pem, TestKeys.pkixPem(second));
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (status(c, newToken) != 200 && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(status(c, newToken)).isEqualTo(200);
            assertThat(grafana.lastReceived().headers("X-WEBAUTH-USER")).containsExactly("bob");
            assertThat(status(c, oldToken)).as("the replaced key no longer verifies").isEqualTo(401);
        }
    }

    private static long ioThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("grafana-proxy-io")).count();
    }

    private static int status(ServletContainer c, String token) throws Exception {
        return RawHttp.exchange(c.port(), RawHttp.get("/grafana/echo/k", "Authorization: Bearer " + token)).status();
    }

    private static Thread loadThread(int port, AtomicBoolean running, AtomicInteger ok, ConcurrentLinkedQueue<String> failures) {
        Thread t = new Thread(() -> {
            byte[] body = "{\"q\":1}".getBytes(StandardCharsets.US_ASCII);
            while (running.get()) {
                try {
                    RawHttp.Response r = RawHttp.exchange(port,
                            RawHttp.request("POST", "/grafana/echo/load", "Content-Length: " + body.length), body);
                    if (r.status() == 200 && r.complete()) {
                        ok.incrementAndGet();
                    } else {
                        failures.add("status " + r.status());
                    }
                } catch (Exception e) {
                    failures.add(e.toString());
                }
            }
        }, "reload-load");
        t.setDaemon(true);
        return t;
    }
}
