package com.vtbatchsearch.web;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RequestPathTest {
    private static final String ID = "6f1c0d2e-1111-4222-8333-444455556666";

    @Test
    void aPathSpelledAsItIsMappedIsCanonical() {
        for (String path : new String[] {"/", "/api/batches", "/api/batches/", "/api/batches/" + ID + "/refresh",
            "/report/" + ID, "/static/app.css", "/API/batches", "/report/a+b(c)=d@e:f,g!h$i&j'k*l~m"}) {
            assertTrue(RequestPath.isCanonical(path, path), path);
            assertTrue(RequestPath.isCanonical("/ctx" + path, "/ctx" + path), path);
        }
    }

    @Test
    void charactersThatMustBeEncodedMayBeInEitherCase() {
        assertTrue(RequestPath.isCanonical("/report/%20" + ID, "/report/ " + ID));
        assertTrue(RequestPath.isCanonical("/report/%7B" + ID + "%7d", "/report/{" + ID + "}"));
        assertTrue(RequestPath.isCanonical("/report/caf%C3%A9", "/report/café"));
        assertTrue(RequestPath.isCanonical("/report/100%25", "/report/100%"));
        assertTrue(RequestPath.isCanonical("/report/a%5Cb", "/report/a\\b"));
    }

    @Test
    void everyOtherSpellingOfTheSamePathIsNot() {
        String api = "/api/batches";
        for (String raw : new String[] {"/static/../api/batches", "/static/%2e%2e/api/batches",
            "/static/%2E%2E/api/batches", "/static/.%2e/api/batches", "/static/./../api/batches",
            "/static/..;/api/batches", "/static;x=1/../api/batches", "/./api/batches", "//api/batches",
            "/api//batches", "/api/batches;jsessionid=x", "/api;a=b/batches", "/%61pi/batches", "/api/batche%73",
            "/api/batches%2f", "/api/batches/.", "/api/batches/x/.."}) {
            assertFalse(RequestPath.isCanonical(raw, api), raw);
            assertFalse(RequestPath.isCanonical("/ctx" + raw, "/ctx" + api), raw);
        }
        assertFalse(RequestPath.isCanonical("/report/%28x%29", "/report/(x)"), "a sub-delimiter is written as itself");
        assertFalse(RequestPath.isCanonical("/report/ x", "/report/ x"), "a space is encoded");
        assertFalse(RequestPath.isCanonical(null, "/"));
    }
}
