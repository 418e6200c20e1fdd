package dev.grafanaproxy.token;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The token package stays plain Java: no Servlet API, so it is tested without a container. */
class PackageRulesTest {

    @Test
    void noServletApi() throws IOException {
        Path dir = Path.of("src/main/java/dev/grafanaproxy/token");
        List<Path> offenders;
        try (Stream<Path> files = Files.list(dir)) {
            offenders = files.filter(p -> p.toString().endsWith(".java")).filter(p -> {
                try {
                    return Files.readString(p).contains("jakarta.servlet");
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).collect(Collectors.toList());
        }
        assertThat(offenders).isEmpty();
    }
}
