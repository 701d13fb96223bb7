package com.vtbatchsearch.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import java.io.IOException;

/**
 * With {@code ACCESS_TOKEN} set, only those who know it get in: a browser signs in once at
 * {@code /login} and its session remembers it; the API takes {@code Authorization: Bearer <token>} (or
 * the signed-in session). {@code /health}, the login page and the static files stay open. Registered
 * only when a token is configured; without one the app is open.
 */
public final class AccessControlFilter extends HttpFilter {
    static final String SIGNED_IN = AccessControlFilter.class.getName() + ".signedIn";
    static final String API_MESSAGE = "This instance needs an access token: send the header "
            + "'Authorization: Bearer <token>'.";

    private final AccessToken token;

    public AccessControlFilter(AccessToken token) {
        this.token = token;
    }

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        String path = Rejections.pathOf(request);
        if (isOpen(path) || isSignedIn(request) || Rejections.isApi(request) && hasBearer(request)) {
            chain.doFilter(request, response);
            return;
        }
        // the body, possibly a large upload, is not read: close rather than swallow it
        response.setHeader("Connection", "close");
        if (Rejections.isApi(request)) {
            response.setHeader("WWW-Authenticate", "Bearer realm=\"VT Batch Search\"");
            Rejections.send(request, response, HttpServletResponse.SC_UNAUTHORIZED, API_MESSAGE);
            return;
        }
        request.setAttribute("next", LoginServlet.safeNext(path));
        Views.render(request, response, HttpServletResponse.SC_UNAUTHORIZED, "login");
    }

    private static boolean isOpen(String path) {
        return path.equals("/health") || path.equals("/login") || path.startsWith("/static/");
    }

    static boolean isSignedIn(HttpServletRequest request) {
        HttpSession session = request.getSession(false);
        return session != null && Boolean.TRUE.equals(session.getAttribute(SIGNED_IN));
    }

    private boolean hasBearer(HttpServletRequest request) {
        String authorization = request.getHeader("Authorization");
        return authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                && token.matches(authorization.substring(7).trim());
    }
}
