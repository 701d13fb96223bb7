package com.vtbatchsearch.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real, plain Tomcat 10.1 in a process of its own, with the built WAR as its ROOT application: the
 * Tomcat zip from Maven Central (unpacked by the build into {@code vtbatch.tomcat.home}), a fresh
 * CATALINA_BASE under the build directory with a free HTTP port and no shutdown port, and the app's
 * settings as environment variables, as a server or App Service would pass them. Its console goes to
 * {@code vtbatch.tomcat.logs/<name>.log}. {@link #close} stops it and waits for the process to end.
 */
public final class TomcatProcess implements AutoCloseable {
    /** Settings of the parent environment that must not leak into the app under test. */
    private static final List<String> APP_SETTINGS = List.of("VT_API_KEY", "VT_BASE_URL", "VT_REQUESTS_PER_MINUTE",
            "VT_REQUESTS_PER_DAY", "VT_TIMEOUT_SECONDS", "VT_MAX_ATTEMPTS", "VT_RETRY_BASE_MS", "REDIS_URL",
            "DATA_DIR", "DB_URL", "DB_USER", "DB_PASSWORD", "MAX_UPLOAD_MB", "MAX_HASHES_PER_BATCH",
            "WEBSITE_SITE_NAME", "WEBSITE_INSTANCE_ID", "SQLITE_JOURNAL_MODE", "CATALINA_OPTS", "JAVA_OPTS");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private final String name;
    private final Process process;
    private final int port;
    private final Path log;

    private TomcatProcess(String name, Process process, int port, Path log) {
        this.name = name;
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** Starts Tomcat with the WAR and waits until the app answers {@code /health} (any status). */
    public static TomcatProcess start(String name, Map<String, String> settings) {
        TomcatProcess tomcat = launch(name, settings);
        tomcat.awaitHealthAnswer();
        return tomcat;
    }

    /** Starts Tomcat and waits only until Tomcat itself is up, whether or not the app started. */
    public static TomcatProcess startExpectingAppFailure(String name, Map<String, String> settings) {
        TomcatProcess tomcat = launch(name, settings);
        tomcat.awaitLog("Server startup in");
        return tomcat;
    }

    private static TomcatProcess launch(String name, Map<String, String> settings) {
        try {
            Path home = Path.of(required("vtbatch.tomcat.home")).toAbsolutePath();
            Path war = Path.of(required("vtbatch.war")).toAbsolutePath();
            Path logs = Files.createDirectories(Path.of(required("vtbatch.tomcat.logs")).toAbsolutePath());
            Path base = Files.createTempDirectory(logs, name + "-base-");
            Files.createDirectories(base.resolve("conf"));
            for (String file : List.of("web.xml", "context.xml", "catalina.properties", "logging.properties")) {
                Files.copy(home.resolve("conf").resolve(file), base.resolve("conf").resolve(file));
            }
            int port = freePort();
            Files.writeString(base.resolve("conf/server.xml"), serverXml(port));
            for (String dir : List.of("webapps", "logs", "temp", "work")) {
                Files.createDirectories(base.resolve(dir));
            }
            Files.copy(war, base.resolve("webapps/ROOT.war"));

            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> command = new ArrayList<>(List.of(java,
                    "-Dcatalina.home=" + home, "-Dcatalina.base=" + base, "-Djava.io.tmpdir=" + base.resolve("temp"),
                    "-Djava.util.logging.manager=org.apache.juli.ClassLoaderLogManager",
                    "-Djava.util.logging.config.file=" + base.resolve("conf/logging.properties"),
                    "-Djdk.tls.ephemeralDHKeySize=2048", "-Xmx384m", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                    // what catalina.sh passes on Java 17
                    "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
                    "--add-opens=java.base/java.util=ALL-UNNAMED",
                    "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
                    "--add-opens=java.rmi/sun.rmi.transport=ALL-UNNAMED",
                    "-classpath", home.resolve("bin/bootstrap.jar") + ":" + home.resolve("bin/tomcat-juli.jar"),
                    "org.apache.catalina.startup.Bootstrap", "start"));
            Path log = logs.resolve(name + ".log");
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(base.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
            APP_SETTINGS.forEach(builder.environment()::remove);
            builder.environment().putAll(settings);
            return new TomcatProcess(name, builder.start(), port, log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start Tomcat " + name, e);
        }
    }

    public URI baseUri() {
        return URI.create("http://127.0.0.1:" + port + "/");
    }

    public int port() {
        return port;
    }

    public Path logFile() {
        return log;
    }

    /** The console output so far. */
    public String log() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The app's own log lines (its loggers are named com.vtbatchsearch...). */
    public List<String> appLogLines() {
        try (Stream<String> lines = Files.lines(log, StandardCharsets.UTF_8)) {
            return lines.filter(l -> l.contains("com.vtbatchsearch")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void awaitHealthAnswer() {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        Instant deadline = Instant.now().plus(START_TIMEOUT);
        while (Instant.now().isBefore(deadline)) {
            assertAlive();
            try {
                HttpResponse<Void> answer = client.send(HttpRequest.newBuilder(baseUri().resolve("/health"))
                        .timeout(Duration.ofSeconds(20)).GET().build(), HttpResponse.BodyHandlers.discarding());
                if (answer.statusCode() == 200 || answer.statusCode() == 503) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            pause();
        }
        throw new IllegalStateException("Tomcat " + name + " did not answer /health within " + START_TIMEOUT
                + "; its log:\n" + tail());
    }

    private void awaitLog(String text) {
        Instant deadline = Instant.now().plus(START_TIMEOUT);
        while (Instant.now().isBefore(deadline)) {
            assertAlive();
            if (log().contains(text)) {
                return;
            }
            pause();
        }
        throw new IllegalStateException("Tomcat " + name + " never logged '" + text + "'; its log:\n" + tail());
    }

    private void assertAlive() {
        if (!process.isAlive()) {
            throw new IllegalStateException("Tomcat " + name + " exited with " + process.exitValue() + "; its log:\n"
                    + tail());
        }
    }

    private String tail() {
        String all = log();
        return all.length() > 6_000 ? all.substring(all.length() - 6_000) : all;
    }

    private static void pause() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Stops Tomcat as a service manager would (SIGTERM: Tomcat's shutdown hook stops the app) and waits. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static String serverXml(int port) {
        return """
                <?xml version="1.0" encoding="UTF-8"?>
                <Server port="-1" shutdown="SHUTDOWN">
                  <Listener className="org.apache.catalina.startup.VersionLoggerListener" />
                  <Service name="Catalina">
                    <Connector port="%d" address="127.0.0.1" protocol="HTTP/1.1" connectionTimeout="20000" />
                    <Engine name="Catalina" defaultHost="localhost">
                      <Host name="localhost" appBase="webapps" unpackWARs="true" autoDeploy="false">
                        <!-- as the README asks: errors Tomcat answers before the app (an encoded slash) name no server -->
                        <Valve className="org.apache.catalina.valves.ErrorReportValve" showReport="false" showServerInfo="false" />
                      </Host>
                    </Engine>
                  </Service>
                </Server>
                """.formatted(port);
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static String required(String property) {
        String value = System.getProperty(property);
        if (value == null) {
            throw new IllegalStateException("system property " + property + " is not set; run the *IT tests through"
                    + " `mvn verify`");
        }
        return value;
    }
}
