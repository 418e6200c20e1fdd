package dev.grafanaproxy.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * The real server distributions the WAR is dropped into, as users download them: the Tomcat zips
 * and the Jetty home tarball, unpacked by the build (maven-dependency-plugin, root {@code pom.xml})
 * into {@code target/distros}. Their locations come from system properties set by failsafe's
 * {@code distros} execution; run anywhere else, the tests using them are skipped.
 */
public enum Distribution {
    /** Apache Tomcat 10.1 (Servlet 6.0). */
    TOMCAT_10_1("distro.tomcat10.home"),
    /** Apache Tomcat 11 (Servlet 6.1). */
    TOMCAT_11("distro.tomcat11.home"),
    /** Eclipse Jetty 12 with the ee10 environment (Servlet 6.0). */
    JETTY_12("distro.jetty12.home");

    private final String homeProperty;

    Distribution(String homeProperty) {
        this.homeProperty = homeProperty;
    }

    /** Whether this is one of the Tomcats. */
    public boolean isTomcat() {
        return this != JETTY_12;
    }

    /** The Tomcat distributions. */
    public static Set<Distribution> tomcats() {
        return EnumSet.of(TOMCAT_10_1, TOMCAT_11);
    }

    /**
     * Skips the calling test unless failsafe's {@code distros} execution set the distribution homes
     * (e.g. when {@code -Dit.test=...} makes another execution pick a distribution test up).
     */
    public static void assumeAvailable() {
        Assumptions.assumeTrue(System.getProperty(TOMCAT_10_1.homeProperty) != null,
                "distribution tests run in failsafe's 'distros' execution (mvn verify)");
    }

    /** {@code CATALINA_HOME} or {@code JETTY_HOME}: the unpacked distribution, never written to. */
    public Path home() {
        String dir = System.getProperty(homeProperty);
        if (dir == null) {
            throw new IllegalStateException("system property " + homeProperty + " is not set (run through mvn verify)");
        }
        Path home = Path.of(dir);
        if (!Files.isDirectory(home)) {
            throw new IllegalStateException(home + " does not exist: the build unpacks it in pre-integration-test");
        }
        if (isTomcat()) {
            makeScriptsExecutable(home.resolve("bin"));
        }
        return home;
    }

    /** The version as the distribution's directory name tells it, e.g. {@code 10.1.59}. */
    public String version() {
        String name = home().getFileName().toString();
        return name.substring(name.lastIndexOf('-') + 1);
    }

    /** Where fresh {@code CATALINA_BASE}/{@code JETTY_BASE} directories are made. */
    static Path basesDir() {
        return Path.of(System.getProperty("distro.bases", "target/distro-bases"));
    }

    /** The repository's {@code conf/} directory, whose files the tests use as users would. */
    public static Path confDir() {
        return Path.of(System.getProperty("grafana.conf.dir", "conf"));
    }

    @Override
    public String toString() {
        return switch (this) {
            case TOMCAT_10_1 -> "Tomcat 10.1";
            case TOMCAT_11 -> "Tomcat 11";
            case JETTY_12 -> "Jetty 12";
        };
    }

    // The Tomcat zip carries no Unix permissions: as its RUNNING.txt says, make the scripts executable.
    private static void makeScriptsExecutable(Path bin) {
        try (Stream<Path> files = Files.list(bin)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".sh"))::iterator) {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(f);
                if (perms.add(PosixFilePermission.OWNER_EXECUTE)) {
                    perms.add(PosixFilePermission.GROUP_EXECUTE);
                    perms.add(PosixFilePermission.OTHERS_EXECUTE);
                    Files.setPosixFilePermissions(f, perms);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
