package dev.grafanaproxy.proxy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

class RequestPathsTest {

    @ParameterizedTest
    @CsvSource({
            "/grafana/a/b, /grafana/a/b",
            "/grafana/a/./b, /grafana/a/b",
            "/grafana/a/../b, /grafana/b",
            "/grafana/a/%2e%2E/b, /grafana/b",
            "/grafana/a/%2E/b/, /grafana/a/b/",
            "/grafana/a/.., /grafana/",
            "/grafana/a%20b/c%2Fd, /grafana/a%20b/c%2Fd",
            "/grafana/../../etc, /etc",
            "/grafana/a..b/.c, /grafana/a..b/.c",
    })
    void dotSegmentsAreRemovedAndEverythingElseStaysRaw(String in, String out) {
        assertThat(RequestPaths.removeDotSegments(in)).isEqualTo(out);
    }
}
