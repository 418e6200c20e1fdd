package dev.grafanaproxy.distros;

import dev.grafanaproxy.testsupport.ConfFiles;
import dev.grafanaproxy.testsupport.Distribution;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code conf/} holds exactly the files the distribution tests configure the servers with, and the
 * README's deployment sections quote them as they are, so what users copy is what was tested.
 * (A unit test: it runs with {@code mvn test}, no server needed.)
 */
class ConfAndReadmeTest {

    /** Every file in conf/ and the test that uses it. */
    private static final Set<String> USED = Set.of(
            ConfFiles.TOMCAT_CONTEXT,   // DistributionIT (Tomcat), TomcatRedeployIT, ScaleOutIT
            ConfFiles.JETTY_CONTEXT,    // DistributionIT (Jetty)
            ConfFiles.PROPERTIES,       // DistributionIT.thePropertiesFileFromConfNamedByTheEnvironment
            ConfFiles.PROPERTIES_HS256, // DistributionIT.theHs256PropertiesFileWithTheSecretFromTheEnvironment
            ConfFiles.NGINX,            // ScaleOutIT
            ConfFiles.GRAFANA_INI,      // Smoke.assertIdentity: the headers Grafana is told to read
            ConfFiles.GRAFANA_JWT_MINT_INI,     // JwtModeIT, JwtKeyRotationIT: the [auth.jwt] the stand-in plays
            ConfFiles.GRAFANA_JWT_FORWARD_INI); // JwtForwardIT: likewise

    @Test
    void confHoldsExactlyTheFilesTheTestsUse() throws IOException {
        Path conf = Distribution.confDir();
        List<String> files;
        try (Stream<Path> s = Files.walk(conf)) {
            files = s.filter(Files::isRegularFile).map(p -> conf.relativize(p).toString().replace('\\', '/'))
                    .sorted().collect(Collectors.toList());
        }
        assertThat(files).containsExactlyInAnyOrderElementsOf(USED);
    }

    @Test
    void theReadmeQuotesTheContextFilesAndTheNginxSiteAsTheyAre() throws IOException {
        String readme = Files.readString(Distribution.confDir().toAbsolutePath().getParent().resolve("README.md"),
                StandardCharsets.UTF_8);
        for (String file : List.of(ConfFiles.TOMCAT_CONTEXT, ConfFiles.JETTY_CONTEXT, ConfFiles.NGINX)) {
            assertThat(readme).as("README.md quotes conf/%s verbatim", file).contains(ConfFiles.read(file));
        }
    }

    @Test
    void theReadmeShowsTheLoadBalancerSettingsTheTestsApply() {
        assertThat(DistributionIT.Readme.withRemoteIpValve("<Server><Host name=\"localhost\" appBase=\"webapps\"></Host></Server>"))
                .contains("protocolHeader=\"X-Forwarded-Proto\"");
        assertThat(DistributionIT.Readme.jettyForwardedModule()).isEqualTo("forwarded");
    }
}
