package dev.grafanaproxy.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Both {@link ServletContainer}s with a tiny WAR built here: a {@code web.xml} naming probe classes
 * of this test (loaded through the parent class loader) and a static file.
 */
public class ServletContainerTest {

    @TempDir
    static Path tmp;
    private static Path war;

    @BeforeAll
    static void buildWar() throws IOException {
        war = tmp.resolve("probe.war");
        String webXml = """
                <?xml version="1.0" encoding="UTF-8"?>
                <web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0" metadata-complete="true">
                  <context-param><param-name>from.webxml</param-name><param-value>yes</param-value></context-param>
                  <listener><listener-class>%1$s$FailingListener</listener-class></listener>
                  <servlet><servlet-name>params</servlet-name><servlet-class>%1$s$ParamsServlet</servlet-class></servlet>
                  <servlet-mapping><servlet-name>params</servlet-name><url-pattern>/params</url-pattern></servlet-mapping>
                  <servlet><servlet-name>block</servlet-name><servlet-class>%1$s$BlockServlet</servlet-class></servlet>
                  <servlet-mapping><servlet-name>block</servlet-name><url-pattern>/block</url-pattern></servlet-mapping>
                </web-app>
                """.formatted(ServletContainerTest.class.getName());
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(war))) {
            put(zip, "WEB-INF/web.xml", webXml);
            put(zip, "hello.txt", "hello from the war");
        }
    }

    private static void put(ZipOutputStream zip, String name, String content) throws IOException {
        zip.putNextEntry(new ZipEntry(name));
        zip.write(content.getBytes(StandardCharsets.UTF_8));
        zip.closeEntry();
    }

    private static ServletContainer.Builder builder(Containers kind) {
        return kind.builder().war(war);
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void deploysTheWarWithContextParamsNextToTheHostApp(Containers kind) throws Exception {
        try (ServletContainer c = builder(kind).contextParam("grafana.url", "http://127.0.0.1:1").contextParam("fail", "false").start()) {
            assertThat(c.kind()).isEqualTo(kind);
            assertThat(c.isWebappAvailable()).isTrue();
            assertThat(c.baseUrl()).isEqualTo("http://127.0.0.1:" + c.port());
            assertThat(c.webappUrl()).isEqualTo(c.baseUrl() + "/grafana");

            RawHttp.Response params = RawHttp.exchange(c.port(), RawHttp.get("/grafana/params"));
            assertThat(params.status()).isEqualTo(200);
            assertThat(params.bodyText().lines()).contains("grafana.url=http://127.0.0.1:1", "from.webxml=yes", "fail=false");

            RawHttp.Response file = RawHttp.exchange(c.port(), RawHttp.get("/grafana/hello.txt"));
            assertThat(file.bodyText()).isEqualTo("hello from the war");

            assertThat(RawHttp.exchange(c.port(), RawHttp.get("/ping")).bodyText()).isEqualTo("pong");
            assertThat(RawHttp.exchange(c.port(), RawHttp.get("/set-cookie?name=app_jwt&value=abc")).headers("Set-Cookie"))
                    .containsExactly("app_jwt=abc; Path=/; HttpOnly");
            assertThat(c.logLines()).isNotEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void aFailingWebappLeavesTheServerRunning(Containers kind) throws Exception {
        try (ServletContainer c = builder(kind).contextParam("fail", "true").start()) {
            assertThat(c.isWebappAvailable()).isFalse();
            assertThat(RawHttp.exchange(c.port(), RawHttp.get("/grafana/params")).status()).isIn(404, 503);
            assertThat(RawHttp.exchange(c.port(), RawHttp.get("/ping")).bodyText()).isEqualTo("pong");
            assertThat(c.logText()).contains("probe listener refused to start: fail=true");
            assertThat(c.awaitLogLine(l -> l.contains("refused to start"), Duration.ofSeconds(1))).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(Containers.class)
    void maxThreadsBoundsTheRequestThreads(Containers kind) throws Exception {
        int threads = 3;
        BlockServlet.release = new CountDownLatch(1);
        BlockServlet.entered.set(0);
        ExecutorService clients = Executors.newFixedThreadPool(threads);
        try (ServletContainer c = builder(kind).maxThreads(threads).start()) {
            List<Future<RawHttp.Response>> blocked = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                blocked.add(clients.submit(() -> RawHttp.exchange(c.port(), RawHttp.get("/grafana/block"))));
            }
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (BlockServlet.entered.get() < threads && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            assertThat(BlockServlet.entered.get()).isEqualTo(threads);
            // Every request thread is taken: the host app cannot answer until one is free.
            try (RawHttp ping = RawHttp.connect("127.0.0.1", c.port(), Duration.ofMillis(800))) {
                ping.send(RawHttp.get("/ping"));
                assertThatThrownBy(ping::readResponse).isInstanceOf(SocketTimeoutException.class);
                BlockServlet.release.countDown();
                assertThat(ping.timeout(Duration.ofSeconds(10)).readResponse().bodyText()).isEqualTo("pong");
            }
            for (Future<RawHttp.Response> f : blocked) {
                assertThat(f.get(10, TimeUnit.SECONDS).bodyText()).isEqualTo("released");
            }
        } finally {
            BlockServlet.release.countDown();
            clients.shutdownNow();
        }
    }

    @Test
    void aMissingWarIsReportedAtBuild() {
        assertThatThrownBy(() -> Containers.TOMCAT.builder().war(tmp.resolve("nope.war")).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("nope.war");
    }

    @Test
    void defaultsComeFromTheSystemProperty() {
        String old = System.getProperty("grafana.war");
        System.setProperty("grafana.war", war.toString());
        try {
            ServletContainer.Settings s = Containers.JETTY.builder().settings();
            assertThat(s.war()).isEqualTo(war);
            assertThat(s.contextPath()).isEqualTo("/grafana");
            assertThat(s.maxThreads()).isEqualTo(10);
            assertThat(s.hostApp()).isTrue();
        } finally {
            if (old == null) {
                System.clearProperty("grafana.war");
            } else {
                System.setProperty("grafana.war", old);
            }
        }
    }

    // --- probe components named by the WAR's web.xml -------------------------------------------

    /** Refuses to start when the context parameter {@code fail} is {@code true}. */
    public static class FailingListener implements ServletContextListener {
        @Override
        public void contextInitialized(ServletContextEvent sce) {
            if ("true".equals(sce.getServletContext().getInitParameter("fail"))) {
                throw new IllegalStateException("probe listener refused to start: fail=true");
            }
        }
    }

    /** Lists the context parameters, {@code name=value} per line. */
    public static class ParamsServlet extends HttpServlet {
        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            resp.setContentType("text/plain;charset=UTF-8");
            StringBuilder sb = new StringBuilder();
            for (String name : Collections.list(getServletContext().getInitParameterNames())) {
                sb.append(name).append('=').append(getServletContext().getInitParameter(name)).append('\n');
            }
            try (OutputStream out = resp.getOutputStream()) {
                out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    /** Holds its request thread until {@link #release} opens. */
    public static class BlockServlet extends HttpServlet {
        static volatile CountDownLatch release = new CountDownLatch(0);
        static final AtomicInteger entered = new AtomicInteger();

        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            entered.incrementAndGet();
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            resp.getWriter().write("released");
        }
    }
}
