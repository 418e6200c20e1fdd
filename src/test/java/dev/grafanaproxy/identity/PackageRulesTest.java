package dev.grafanaproxy.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The identity package stays plain Java: no Servlet API, so it is tested without a container. */
class PackageRulesTest {

    @Test
    void noServletApi() throws IOException {
        List<Path> offenders;
        try (Stream<Path> files = Files.list(Path.of("src/main/java/dev/grafanaproxy/identity"))) {
            offenders = files.filter(p -> p.toString().endsWith(".java")).filter(p -> {
                try {
                    return Files.readString(p).contains("jakarta.servlet");
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).toList();
        }
        assertThat(offenders).isEmpty();
    }
}
