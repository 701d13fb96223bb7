package com.vtbatchsearch.web;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CsrfFilterTest {
    @Test
    void curlAndScriptsSendNeitherHeaderAndAreNotCrossSite() {
        assertFalse(CsrfFilter.isCrossSite(null, null, "localhost:8080", null));
    }

    @Test
    void theBrowsersFetchSiteVerdictDecides() {
        assertTrue(CsrfFilter.isCrossSite("cross-site", null, "localhost:8080", null));
        assertTrue(CsrfFilter.isCrossSite("same-site", null, "app.example.com", null), "a sibling subdomain is another origin");
        assertFalse(CsrfFilter.isCrossSite("same-origin", "http://localhost:8080", "localhost:8080", null));
        assertFalse(CsrfFilter.isCrossSite("none", null, "localhost:8080", null));
    }

    @Test
    void withoutFetchSiteTheOriginMustBeThisHost() {
        assertFalse(CsrfFilter.isCrossSite(null, "http://localhost:8080", "localhost:8080", null));
        assertFalse(CsrfFilter.isCrossSite(null, "https://App.Example.com", "app.example.com", null));
        assertFalse(CsrfFilter.isCrossSite(null, "https://app.example.com", "app.example.com:443", null));
        assertFalse(CsrfFilter.isCrossSite(null, "http://[::1]:8080", "[::1]:8080", null));
        assertTrue(CsrfFilter.isCrossSite(null, "https://evil.example", "app.example.com", null));
        assertTrue(CsrfFilter.isCrossSite(null, "http://localhost:9999", "localhost:8080", null));
        assertTrue(CsrfFilter.isCrossSite(null, "https://app.example.com", "app.example.com:8443", null));
        assertTrue(CsrfFilter.isCrossSite(null, "null", "app.example.com", null), "a sandboxed page");
        assertTrue(CsrfFilter.isCrossSite(null, "https://app.example.com.evil.example", "app.example.com", null));
        assertTrue(CsrfFilter.isCrossSite(null, "https://app.example.com", null, null));
        assertTrue(CsrfFilter.isCrossSite(null, "https://app.example.com", "app.example.com/x", null));
    }

    @Test
    void behindAProxyTheForwardedHostCounts() {
        assertFalse(CsrfFilter.isCrossSite(null, "https://app.example.com", "10.0.0.5:8080", "app.example.com"));
        assertFalse(CsrfFilter.isCrossSite(null, "https://app.example.com", "10.0.0.5:8080", "app.example.com, proxy"));
        assertTrue(CsrfFilter.isCrossSite(null, "https://evil.example", "10.0.0.5:8080", "app.example.com"));
    }
}
