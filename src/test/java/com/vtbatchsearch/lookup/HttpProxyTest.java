package com.vtbatchsearch.lookup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.app.AppConfig;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class HttpProxyTest {
    private static final URI VT = URI.create("https://www.virustotal.com/api/v3");

    private static Optional<HttpProxy> proxy(URI target, String... variables) {
        Map<String, String> environment = new HashMap<>();
        for (int i = 0; i + 1 < variables.length; i += 2) {
            environment.put(variables[i], variables[i + 1]);
        }
        return HttpProxy.forTarget(target, environment::get);
    }

    @Test
    void anHttpsTargetTakesHttpsProxyLowerCaseFirst() {
        HttpProxy proxy = proxy(VT, "HTTPS_PROXY", "http://upper:3128", "https_proxy", "http://lower:8080",
                "HTTP_PROXY", "http://plain:80").orElseThrow();

        assertEquals("lower:8080", proxy.toString());
        assertEquals("https_proxy", proxy.variable());
        assertEquals("upper:3128", proxy(VT, "HTTPS_PROXY", "http://upper:3128").orElseThrow().toString());
        assertTrue(proxy(VT, "HTTP_PROXY", "http://plain:80").isEmpty(), "HTTP_PROXY is for http URLs only");
    }

    @Test
    void anHttpTargetTakesHttpProxy() {
        assertEquals("10.0.0.5:3128", proxy(URI.create("http://127.0.0.1:9/api/v3"), "HTTP_PROXY", "10.0.0.5:3128")
                .orElseThrow().toString());
    }

    @Test
    void aUrlWithoutSchemeOrPortIsReadAsCurlReadsIt() {
        HttpProxy proxy = proxy(VT, "HTTPS_PROXY", "proxy.corp.example").orElseThrow();

        assertEquals("proxy.corp.example", proxy.host());
        assertEquals(1080, proxy.port());
        assertFalse(proxy.hasCredentials());
    }

    @Test
    void credentialsAreDecodedAndNeverPrinted() {
        HttpProxy proxy = proxy(VT, "HTTPS_PROXY", "http://dom%5Cana:p%40ss:w0rd@10.0.0.5:3128/").orElseThrow();

        assertEquals("dom\\ana", proxy.user());
        assertEquals("p@ss:w0rd", proxy.password());
        assertEquals("10.0.0.5:3128", proxy.toString());
    }

    @Test
    void noProxyExemptsHostsDomainsAndEverythingWithAStar() {
        assertTrue(proxy(VT, "HTTPS_PROXY", "p:1", "NO_PROXY", "localhost, .virustotal.com").isEmpty());
        assertTrue(proxy(VT, "HTTPS_PROXY", "p:1", "no_proxy", "virustotal.com").isEmpty());
        assertTrue(proxy(VT, "HTTPS_PROXY", "p:1", "NO_PROXY", "*").isEmpty());
        assertTrue(proxy(VT, "HTTPS_PROXY", "p:1", "NO_PROXY", "www.virustotal.com:443").isEmpty());
        assertTrue(proxy(VT, "HTTPS_PROXY", "p:1", "NO_PROXY", "total.com").isPresent(), "a suffix that is no domain");
        assertTrue(proxy(URI.create("http://127.0.0.1:9/"), "HTTP_PROXY", "p:1", "NO_PROXY", "").isPresent(),
                "loopback is not exempt by itself");
    }

    @Test
    void aMalformedProxyUrlStopsTheStartNamingTheVariableButNotThePassword() {
        for (String bad : new String[] {"http://user:secretpw@[bad:3128", "socks5://user:secretpw@10.0.0.5:1080",
                "http://user:secretpw@10.0.0.5:3128/some/path", "http://user:secretpw@:3128"}) {
            AppConfig.InvalidConfigException e = assertThrows(AppConfig.InvalidConfigException.class,
                    () -> AppConfig.from(Map.of("HTTPS_PROXY", bad)), bad);
            assertTrue(e.getMessage().contains("HTTPS_PROXY must be a proxy URL"), e.getMessage());
            assertFalse(e.getMessage().contains("secretpw"), e.getMessage());
        }
    }

    @Test
    void theConfigurationNamesTheProxyWithoutItsPassword() {
        AppConfig config = AppConfig.from(Map.of("HTTPS_PROXY", "http://ana:secretpw@10.0.0.5:3128"));

        assertEquals("10.0.0.5:3128", config.vtProxy().orElseThrow().toString());
        assertTrue(config.toString().contains("vtProxy=HTTPS_PROXY 10.0.0.5:3128 (with credentials)"), config.toString());
        assertFalse(config.toString().contains("secretpw"));
    }
}
