package com.vtbatchsearch.lookup;

import static com.vtbatchsearch.testing.Instances.await;
import static com.vtbatchsearch.testing.Instances.hashes;
import static com.vtbatchsearch.testing.Instances.settings;
import static com.vtbatchsearch.testing.Instances.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.app.Application;
import com.vtbatchsearch.testing.FakeVirusTotal;
import com.vtbatchsearch.testing.ForwardProxy;
import com.vtbatchsearch.testing.Instances;
import com.vtbatchsearch.testing.LogCapture;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole app instances whose lookups go through a forward proxy on loopback ({@code NO_PROXY} empty, so
 * loopback is not exempt), named by the environment as curl reads it or by the JVM's properties.
 */
class ProxyIT {
    private static final String USER = "analyst";
    private static final String PASSWORD = "pr0xy-S3cret";

    @TempDir
    Path dataDir;

    private FakeVirusTotal vt;
    private Application app;
    private LogCapture logs;

    @BeforeEach
    void startFake() throws Exception {
        vt = new FakeVirusTotal();
        logs = new LogCapture("org.apache.hc", "com.vtbatchsearch");
    }

    @AfterEach
    void stop() {
        if (app != null) {
            app.close();
        }
        vt.close();
        logs.close();
        String basic = Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
        logs.assertAbsent(PASSWORD, basic, FakeVirusTotal.API_KEY);
    }

    private String submit(int count) {
        List<String> hashes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            hashes.add(sha256("proxy", i));
        }
        return app.batches().submit(hashes(hashes)).id();
    }

    @Test
    void everyLookupPassesThroughAProxyThatWantsCredentials() throws Exception {
        try (ForwardProxy proxy = new ForwardProxy(USER, PASSWORD)) {
            app = Instances.start(settings(vt, dataDir, "VT_REQUESTS_PER_MINUTE", "1000",
                    "HTTP_PROXY", "http://" + USER + ":" + PASSWORD + "@127.0.0.1:" + proxy.port(), "NO_PROXY", ""));
            String id = submit(10);

            await("all answered", Duration.ofSeconds(20), () -> Instances.counts(app.batches(), id).getPending() == 0);

            assertEquals(10, Instances.counts(app.batches(), id).getDone());
            List<URI> files = proxy.forwarded().stream().filter(u -> u.getPath().contains("/files/")).toList();
            assertEquals(10, files.size());
            assertEquals(vt.calls(), files.size(), "a lookup went around the proxy");
            assertTrue(proxy.forwarded().stream().anyMatch(u -> u.getPath().endsWith("/overall_quotas")),
                    "the quota was read around the proxy");
            assertEquals(vt.calls() + vt.quotaCalls(), proxy.forwarded().size());
            assertEquals(0, proxy.challenged(), "the credentials go with the first request, not after a 407");
            System.out.println("through the proxy: " + proxy.forwarded().size() + " requests passed on, "
                    + proxy.challenged() + " answered 407 first; meter: " + app.status().getQuotaMeter().getSummary());
        }
    }

    @Test
    void aProxyThatRefusesIsALookupFailureNamedOnHealth() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = socket.getLocalPort();
        }
        app = Instances.start(settings(vt, dataDir, "http_proxy", "127.0.0.1:" + closed, "NO_PROXY", "",
                "VT_RETRY_BASE_MS", "60000"));
        submit(1);

        await("a failure", Duration.ofSeconds(20), () -> app.status().getLastFailure() != null);

        assertEquals("proxy 127.0.0.1:" + closed + " refused the connection", app.status().getLastFailure());
        assertEquals(0, vt.calls());
    }

    @Test
    void wrongProxyCredentialsAreALookupFailureThatSaysSo() throws Exception {
        try (ForwardProxy proxy = new ForwardProxy(USER, PASSWORD)) {
            app = Instances.start(settings(vt, dataDir, "HTTP_PROXY", "http://" + USER + ":wrong@127.0.0.1:"
                    + proxy.port(), "NO_PROXY", "", "VT_RETRY_BASE_MS", "60000"));
            submit(1);

            await("a failure", Duration.ofSeconds(20), () -> app.status().getLastFailure() != null);

            assertEquals("proxy 127.0.0.1:" + proxy.port()
                    + " refused the credentials (HTTP 407 Proxy Authentication Required)", app.status().getLastFailure());
            assertEquals(0, vt.calls());
        }
    }

    @Test
    void theJvmsProxyPropertiesAreFollowedWithoutAnEnvironmentProxy() throws Exception {
        try (ForwardProxy proxy = new ForwardProxy(null, null)) {
            System.setProperty("http.proxyHost", "127.0.0.1");
            System.setProperty("http.proxyPort", String.valueOf(proxy.port()));
            System.setProperty("http.nonProxyHosts", "");
            try {
                app = Instances.start(settings(vt, dataDir, "VT_REQUESTS_PER_MINUTE", "1000"));
                String id = submit(3);

                await("all answered", Duration.ofSeconds(20), () -> Instances.counts(app.batches(), id).getPending() == 0);

                assertEquals(3, proxy.forwarded().stream().filter(u -> u.getPath().contains("/files/")).count());
                assertEquals(3, vt.calls());
            } finally {
                System.clearProperty("http.proxyHost");
                System.clearProperty("http.proxyPort");
                System.clearProperty("http.nonProxyHosts");
            }
        }
    }
}
