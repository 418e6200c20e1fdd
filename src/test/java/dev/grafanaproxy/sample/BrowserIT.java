package dev.grafanaproxy.sample;

import static org.assertj.core.api.Assertions.assertThat;

import dev.grafanaproxy.sample.app.DemoUser;
import dev.grafanaproxy.sample.app.DemoUsers;
import dev.grafanaproxy.sample.launcher.SampleLauncher;
import java.io.File;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The demo in a real headless Chromium (Debian's {@code chromium} and {@code chromium-driver}),
 * driven by Selenium: for each demo user, log in, open the dashboard page, look inside the Grafana
 * iframe, check what the browser loaded, log out in another tab and watch the iframe land on the
 * login page. Screenshots go to {@code target/browser-it/}.
 *
 * <p>Skipped, with a message saying so, only when no Chromium is installed ({@code .ci/run}
 * installs it). {@code CHROMIUM_BIN} and {@code CHROMEDRIVER} override where they are looked for.
 */
class BrowserIT {

    private static final List<DemoUser> USERS = DemoUsers.ALL;
    private static final Path SCREENSHOTS = Path.of("target", "browser-it");
    private static final Duration WAIT = Duration.ofSeconds(20);

    private static SampleLauncher demo;
    private static String base;
    private static final List<String> logLines = new ArrayList<>();
    private static final Handler LOG_CAPTURE = new Handler() {
        @Override
        public void publish(LogRecord r) {
            synchronized (logLines) {
                logLines.add(r.getLoggerName() + " " + r.getMessage() + " " + java.util.Arrays.toString(r.getParameters())
                        + (r.getThrown() == null ? "" : " " + r.getThrown()));
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeAll
    static void start() throws Exception {
        Path chromium = executable("CHROMIUM_BIN", "chromium", "chromium-browser");
        if (chromium == null) {
            String why = "BrowserIT skipped: no chromium on this machine (Debian: apt-get install chromium chromium-driver;"
                    + " .ci/run installs them)";
            System.err.println(why);
            Assumptions.abort(why);
        }
        assertThat(executable("CHROMEDRIVER", "chromedriver"))
                .as("chromium is installed but chromedriver is not: apt-get install chromium-driver").isNotNull();
        Files.createDirectories(SCREENSHOTS);
        Logger.getLogger("").addHandler(LOG_CAPTURE);
        demo = SampleTests.startDemo();
        base = "http://localhost:" + demo.port();
    }

    @AfterAll
    static void stop() {
        Logger.getLogger("").removeHandler(LOG_CAPTURE);
        if (demo != null) {
            demo.close();
        }
    }

    @ParameterizedTest
    @FieldSource("USERS")
    void eachDemoUserSeesTheirOwnIdentityInTheEmbeddedGrafana(DemoUser user) throws Exception {
        Path profile = Files.createTempDirectory("browser-it-profile-");
        WebDriver driver = chrome(profile);
        BrowserLog log = new BrowserLog();
        try {
            // 1. the app sends a visitor without session to its login page
            driver.get(base + "/dashboard");
            assertThat(driver.getCurrentUrl()).isEqualTo(base + "/login?next=%2Fdashboard");

            // 2. log in with the form
            driver.findElement(By.id("username")).sendKeys(user.username());
            driver.findElement(By.id("password")).sendKeys(user.password());
            driver.findElement(By.id("sign-in")).click();
            wait(driver).until(d -> d.getCurrentUrl().equals(base + "/dashboard"));
            assertThat(driver.findElement(By.id("current-user")).getText()).isEqualTo(user.name() + " (" + user.username() + ")");

            // 3. the session cookie: HttpOnly, SameSite=Lax, for the whole origin, invisible to scripts
            Cookie cookie = driver.manage().getCookieNamed("app_session");
            assertThat(cookie).as("session cookie").isNotNull();
            assertThat(cookie.isHttpOnly()).isTrue();
            assertThat(cookie.getSameSite()).isEqualTo("Lax");
            assertThat(cookie.getPath()).isEqualTo("/");
            String token = cookie.getValue();
            assertThat(token.split("\\.")).hasSize(3);
            assertThat(((JavascriptExecutor) driver).executeScript("return document.cookie")).isEqualTo("");

            // 4. inside the iframe: the stand-in shows this user's identity, and every check of its page passed
            WebElement frame = driver.findElement(By.id("grafana"));
            assertThat(frame.getAttribute("src")).isEqualTo(base + SampleTests.DASHBOARD);
            driver.switchTo().frame(frame);
            wait(driver).until(d -> Stream.of("check-img", "check-api", "check-query", "check-live")
                    .noneMatch(id -> "pending".equals(d.findElement(By.id(id)).getAttribute("data-status"))));
            assertThat(driver.findElement(By.id("standin-banner")).getText()).startsWith("DEMO GRAFANA STAND-IN");
            assertThat(text(driver, "user-login")).isEqualTo(user.username());
            assertThat(text(driver, "user-email")).isEqualTo(user.email());
            assertThat(text(driver, "user-name")).isEqualTo(user.name());
            assertThat(text(driver, "user-role")).isEqualTo(user.grafanaRole());
            assertThat(text(driver, "user-groups")).isEqualTo(String.join(", ", user.groups()));
            assertThat(text(driver, "request-line")).isEqualTo("GET " + SampleTests.DASHBOARD);
            assertThat(check(driver, "check-css")).isEqualTo("ok: applied");
            assertThat(check(driver, "check-js")).isEqualTo("ok: ran");
            assertThat(check(driver, "check-img")).isEqualTo("ok: loaded");
            assertThat(check(driver, "check-api")).isEqualTo("ok: 200, login " + user.username() + ", email " + user.email());
            assertThat(check(driver, "check-query")).isEqualTo("ok: 200, 24 points");
            if (SampleTests.WEBSOCKET_RELAY_LANDED) {
                assertThat(check(driver, "check-live"))
                        .isEqualTo("ok: connected as " + user.username() + " (" + user.grafanaRole() + "), echo received");
            } else {
                // TODO(issue 5): flip SampleTests.WEBSOCKET_RELAY_LANDED once the relay is merged
                assertThat(check(driver, "check-live")).startsWith(
                        "unavailable: not available: the WebSocket could not be opened through the proxy (close code 1006");
            }
            String headers = text(driver, "headers");
            assertThat(headers).contains("X-WEBAUTH-USER " + user.username(), "X-WEBAUTH-ROLE " + user.grafanaRole(),
                    "Host localhost:" + demo.port()).doesNotContain("app_session", token, "Authorization");
            driver.switchTo().defaultContent();
            screenshot(driver, user.username() + "-dashboard.png");

            // 5. what the browser loaded: the iframe's page, assets and API calls all succeeded, nothing failed
            log.drain(driver);
            assertSucceeded(log, "GET", base + SampleTests.DASHBOARD);
            assertSucceeded(log, "GET", base + "/grafana/public/build/standin.css");
            assertSucceeded(log, "GET", base + "/grafana/public/build/standin.js");
            assertSucceeded(log, "GET", base + "/grafana/public/img/standin.svg");
            assertSucceeded(log, "GET", base + "/grafana/api/user");
            assertSucceeded(log, "POST", base + "/grafana/api/ds/query");
            String live = "ws://localhost:" + demo.port() + "/grafana/api/live/ws";
            assertThat(log.webSocketEvents()).contains("created " + live);
            assertThat(log.exchanges()).as("every request of the pages stays on the app's origin")
                    .allSatisfy(x -> assertThat(x.url()).startsWith(base + "/"));
            assertThat(log.exchanges()).as("failed requests (Chromium's own: %s)", log.browserInternal())
                    .filteredOn(BrowserLog.Exchange::failed).isEmpty();
            if (SampleTests.WEBSOCKET_RELAY_LANDED) {
                assertThat(log.webSocketEvents()).contains("handshake 101 " + live);
                assertThat(log.consoleErrors()).isEmpty();
            } else {
                // TODO(issue 5): today the only error is Live's failed handshake (the stand-in's 400 for a plain GET)
                assertThat(log.consoleErrors()).isNotEmpty().allSatisfy(e -> assertThat(e).contains(live));
            }
            assertThat(log.redirects()).extracting(x -> x.status() + " " + x.url()).containsExactly(
                    "302 " + base + "/dashboard", "303 " + base + "/login");

            // 6. log out in another tab, as a user would, and reload the iframe in this one
            String dashboardTab = driver.getWindowHandle();
            driver.switchTo().newWindow(WindowType.TAB);
            driver.get(base + "/dashboard");
            driver.findElement(By.id("logout")).click();
            wait(driver).until(d -> d.getCurrentUrl().equals(base + "/login?logged_out"));
            assertThat(text(driver, "message")).isEqualTo("You have been signed out.");
            assertThat(driver.manage().getCookieNamed("app_session")).isNull();
            driver.close();
            driver.switchTo().window(dashboardTab);

            ((JavascriptExecutor) driver).executeScript("document.getElementById('grafana').contentWindow.location.reload()");
            driver.switchTo().frame(driver.findElement(By.id("grafana")));
            wait(driver).until(d -> !d.findElements(By.id("login-form")).isEmpty());
            String dashboardUrl = base + SampleTests.DASHBOARD;
            assertThat(((JavascriptExecutor) driver).executeScript("return location.href"))
                    .isEqualTo(base + "/login?next=" + URLEncoder.encode(dashboardUrl, StandardCharsets.UTF_8));
            assertThat(driver.findElement(By.id("next")).getAttribute("value")).isEqualTo(dashboardUrl);
            driver.switchTo().defaultContent();
            screenshot(driver, user.username() + "-after-logout.png");

            // 7. logging in again inside the iframe leads back to the dashboard
            driver.switchTo().frame(driver.findElement(By.id("grafana")));
            driver.findElement(By.id("username")).sendKeys(user.username());
            driver.findElement(By.id("password")).sendKeys(user.password());
            driver.findElement(By.id("sign-in")).click();
            wait(driver).until(d -> !d.findElements(By.id("user-login")).isEmpty());
            assertThat(text(driver, "user-login")).isEqualTo(user.username());
            assertThat(driver.manage().getCookieNamed("app_session").isHttpOnly()).isTrue();
            String secondToken = driver.manage().getCookieNamed("app_session").getValue();
            driver.switchTo().defaultContent();

            // 8. no token in any URL the browser visited, in no log line
            log.drain(driver);
            assertThat(log.urls()).isNotEmpty().allSatisfy(url -> assertThat(url)
                    .doesNotContain(token, signature(token), secondToken, signature(secondToken), "eyJ", "auth_token"));
            synchronized (logLines) {
                assertThat(logLines).allSatisfy(line -> assertThat(line)
                        .doesNotContain(signature(token), signature(secondToken)));
            }
        } finally {
            driver.quit();
            deleteTree(profile);
        }
    }

    private static WebDriver chrome(Path profile) {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(executable("CHROMIUM_BIN", "chromium", "chromium-browser").toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + profile.toAbsolutePath(), "--window-size=1200,820");
        options.setCapability("goog:loggingPrefs", Map.of("performance", "ALL", "browser", "ALL"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(executable("CHROMEDRIVER", "chromedriver").toFile())
                .usingAnyFreePort()
                .withLogFile(SCREENSHOTS.resolve("chromedriver.log").toFile())
                .build();
        return new ChromeDriver(service, options);
    }

    private static void assertSucceeded(BrowserLog log, String method, String url) {
        assertThat(log.exchanges()).as("browser requests").anySatisfy(x -> {
            assertThat(x.method()).isEqualTo(method);
            assertThat(x.url()).isEqualTo(url);
            assertThat(x.status()).isEqualTo(200);
            assertThat(x.failure()).isNull();
        });
    }

    private static WebDriverWait wait(WebDriver driver) {
        return new WebDriverWait(driver, WAIT);
    }

    private static String text(WebDriver driver, String id) {
        return driver.findElement(By.id(id)).getText();
    }

    /** {@code <data-status>: <result text>} of one of the stand-in page's checks. */
    private static String check(WebDriver driver, String id) {
        WebElement li = driver.findElement(By.id(id));
        return li.getAttribute("data-status") + ": " + li.findElement(By.className("result")).getText();
    }

    private static String signature(String jwt) {
        return jwt.substring(jwt.lastIndexOf('.') + 1);
    }

    private static void screenshot(WebDriver driver, String name) throws IOException {
        Files.write(SCREENSHOTS.resolve(name), ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    }

    /** The environment variable's path, else the first of these names on the PATH. */
    private static Path executable(String envVar, String... names) {
        String configured = System.getenv(envVar);
        if (configured != null && !configured.isBlank()) {
            Path p = Path.of(configured);
            return Files.isExecutable(p) ? p : null;
        }
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            for (String name : names) {
                Path p = Path.of(dir, name);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        return null;
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
