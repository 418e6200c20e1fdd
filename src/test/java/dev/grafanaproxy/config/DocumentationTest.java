package dev.grafanaproxy.config;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's configuration table documents every key the code knows, with its default. */
class DocumentationTest {

    @Test
    void everyKeyIsInTheReadmeTableWithItsDefault() throws Exception {
        String readme = Files.readString(Path.of("README.md"), StandardCharsets.UTF_8);
        for (ConfigKey k : ConfigKey.values()) {
            String row = "| `" + k.key() + "` | ";
            assertThat(readme).as("README row for " + k.key()).contains(row);
            if (k.defaultValue() != null && !k.defaultValue().isEmpty() && k != ConfigKey.GRAFANA_URL) {
                int at = readme.indexOf(row) + row.length();
                assertThat(readme.substring(at, Math.min(readme.length(), at + k.defaultValue().length() + 2)))
                        .as("README default of " + k.key()).isEqualTo("`" + k.defaultValue() + "`");
            }
        }
    }
}
