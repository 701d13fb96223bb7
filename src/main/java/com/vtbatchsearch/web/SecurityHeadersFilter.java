package com.vtbatchsearch.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * Puts the security headers on every answer of the app, error pages included: a Content-Security-Policy
 * that allows only the app's own script and style files (no inline script or style anywhere), no
 * framing, no MIME sniffing, and no Referer, because a report's address is its only key and must not
 * leak to virustotal.com when an analyst follows a link. Everything but the static files is
 * {@code no-store}: reports and API answers are private to whoever holds the address.
 */
public final class SecurityHeadersFilter extends HttpFilter {
    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; "
            + "img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        response.setHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("X-Frame-Options", "DENY");
        response.setHeader("Referrer-Policy", "no-referrer");
        response.setHeader("Cross-Origin-Opener-Policy", "same-origin");
        if (!RequestPath.of(request).startsWith("/static/")) {
            response.setHeader("Cache-Control", "no-store");
        }
        chain.doFilter(request, response);
    }
}
