package com.vtbatchsearch.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The validation the export tests rely on accepts the formats' real documents and refuses broken ones, offline. */
class SchemaValidationTest {
    static String resource(String path) throws Exception {
        try (InputStream in = SchemaValidationTest.class.getResourceAsStream("/" + path)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void realStixBundlesValidateAndABundleWithoutSpecVersionDoesNot() throws Exception {
        for (String name : List.of("indicator-for-c2-ip-address.json", "indicator-to-campaign-relationship.json",
                "malicious-email-indicator-with-attachment.json")) {
            assertEquals(List.of(), SchemaValidation.stix(resource("schemas/stix2.1-examples/" + name)), name);
        }
        String broken = resource("schemas/stix2.1-examples/indicator-for-c2-ip-address.json")
                .replace("\"spec_version\": \"2.1\",", "");
        assertFalse(SchemaValidation.stix(broken).isEmpty());
        String badId = resource("schemas/stix2.1-examples/indicator-for-c2-ip-address.json")
                .replace("indicator--33fe3b22-0201-47cf-85d0-97c02164528d", "indicator--not-a-uuid");
        assertFalse(SchemaValidation.stix(badId).isEmpty());
    }

    @Test
    void realMispEventsValidateAndBrokenOnesDoNot() throws Exception {
        for (String name : List.of("event-xorist-ransomware.json", "event-with-objects.json")) {
            assertEquals(List.of(), SchemaValidation.misp(resource("schemas/misp/examples/" + name)), name);
        }
        String xorist = resource("schemas/misp/examples/event-xorist-ransomware.json");
        assertFalse(SchemaValidation.misp(xorist.replace("\"published\": true", "\"published\": \"yes\"")).isEmpty());
        assertFalse(SchemaValidation.misp("{}").isEmpty());
        // An object's attribute is checked too: to_ids must be a boolean.
        String objects = resource("schemas/misp/examples/event-with-objects.json");
        int inObject = objects.indexOf("\"Object\":");
        String brokenObject = objects.substring(0, inObject) + objects.substring(inObject)
                .replaceFirst("\"to_ids\": false", "\"to_ids\": \"0\"");
        assertFalse(SchemaValidation.misp(brokenObject).isEmpty());
    }
}
