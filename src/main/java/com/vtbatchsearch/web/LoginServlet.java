package com.vtbatchsearch.web;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * {@code /login}, present when {@code ACCESS_TOKEN} is set: a form that asks for the token once; a
 * right token marks the session as signed in (under a new session id) and goes on to the page asked for.
 */
public final class LoginServlet extends HttpServlet {
    private final AccessToken token;

    public LoginServlet(AccessToken token) {
        this.token = token;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response)
            throws ServletException, IOException {
        request.setAttribute("next", safeNext(request.getParameter("next")));
        Views.render(request, response, HttpServletResponse.SC_OK, "login");
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response)
            throws ServletException, IOException {
        String next = safeNext(request.getParameter("next"));
        if (!token.matches(request.getParameter("token"))) {
            request.setAttribute("next", next);
            request.setAttribute("error", "That is not this instance's access token.");
            Views.render(request, response, HttpServletResponse.SC_UNAUTHORIZED, "login");
            return;
        }
        request.getSession(true);
        request.changeSessionId(); // a session id planted before sign-in is worth nothing after it
        request.getSession().setAttribute(AccessControlFilter.SIGNED_IN, Boolean.TRUE);
        response.setStatus(HttpServletResponse.SC_SEE_OTHER);
        response.setHeader("Location", request.getContextPath() + next);
    }

    /** A path inside this app to go on to; anything else (another host, odd characters) becomes "/". */
    static String safeNext(String next) {
        if (next == null || next.length() > 200 || !next.matches("/[A-Za-z0-9/_.-]*") || next.contains("//")
                || next.equals("/login")) {
            return "/";
        }
        return next;
    }
}
