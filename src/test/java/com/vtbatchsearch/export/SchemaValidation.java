package com.vtbatchsearch.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.util.ArrayList;
import java.util.List;

/**
 * Validates documents against the published JSON Schemas of MISP events and STIX 2.1 bundles copied under
 * {@code src/test/resources/schemas/}, offline: the STIX schemas' {@code $id} prefix is mapped to the
 * copies on the class path, so no {@code $ref} is fetched from the network.
 */
final class SchemaValidation {
    static final String STIX_ID_PREFIX =
            "http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(
            SpecificationVersion.DRAFT_2020_12,
            builder -> builder.schemaIdResolvers(ids -> ids.mapPrefix(STIX_ID_PREFIX, "classpath:schemas/stix2.1/")));
    private static Schema stixBundle;
    private static final java.util.Map<String, Schema> STIX_OBJECTS = new java.util.HashMap<>();
    private static Schema misp;

    private SchemaValidation() {
    }

    /** What the STIX 2.1 schema of a bundle finds wrong, plus each object against its own type's schema. */
    static synchronized List<String> stix(String document) throws Exception {
        if (stixBundle == null) {
            stixBundle = REGISTRY.getSchema(SchemaLocation.of(STIX_ID_PREFIX + "common/bundle.json"));
            stixBundle.initializeValidators();
        }
        List<String> errors = messages(stixBundle.validate(document, InputFormat.JSON));
        for (JsonNode object : JSON.readTree(document).path("objects")) {
            String type = object.path("type").asText();
            String folder = type.equals("relationship") || type.equals("sighting") ? "sros" : "sdos";
            Schema schema = STIX_OBJECTS.computeIfAbsent(type, t -> {
                Schema s = REGISTRY.getSchema(SchemaLocation.of(STIX_ID_PREFIX + folder + "/" + t + ".json"));
                s.initializeValidators();
                return s;
            });
            for (String e : messages(schema.validate(JSON.writeValueAsString(object), InputFormat.JSON))) {
                errors.add(object.path("id").asText() + ": " + e);
            }
        }
        return errors;
    }

    /**
     * What MISP's lax event schema finds wrong. That schema does not describe objects, so each object's
     * attributes are also checked as the event's attributes are.
     */
    static synchronized List<String> misp(String document) throws Exception {
        if (misp == null) {
            misp = REGISTRY.getSchema(SchemaLocation.of("classpath:schemas/misp/schema-lax.json"));
            misp.initializeValidators();
        }
        List<String> errors = messages(misp.validate(document, InputFormat.JSON));
        JsonNode event = JSON.readTree(document).path("Event");
        for (JsonNode object : event.path("Object")) {
            ObjectNode asEvent = JSON.createObjectNode();
            ArrayNode attributes = asEvent.putObject("Event").putArray("Attribute");
            object.path("Attribute").forEach(attributes::add);
            for (String e : messages(misp.validate(JSON.writeValueAsString(asEvent), InputFormat.JSON))) {
                errors.add(object.path("uuid").asText() + ": " + e);
            }
        }
        return errors;
    }

    private static List<String> messages(List<Error> errors) {
        List<String> messages = new ArrayList<>();
        errors.forEach(e -> messages.add(e.toString()));
        return messages;
    }
}
