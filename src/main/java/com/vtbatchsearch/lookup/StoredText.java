package com.vtbatchsearch.lookup;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Text from VirusTotal (or from an error) made fit to store and show. PostgreSQL refuses the NUL
 * character in {@code TEXT} and the {@code \u0000} escape in {@code JSONB}, so an answer holding one
 * could never be stored; other control characters only garble a page or a CSV. Tab, CR and LF become
 * a space, every other control character (U+0000–U+001F, U+007F–U+009F) is dropped.
 */
final class StoredText {
    private static final ObjectMapper JSON = new ObjectMapper();

    private StoredText() {
    }

    /** {@code text} without control characters; null stays null. */
    static String clean(String text) {
        if (text == null || !hasControl(text)) {
            return text;
        }
        StringBuilder cleaned = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\t' || c == '\n' || c == '\r') {
                cleaned.append(' ');
            } else if (!Character.isISOControl(c)) {
                cleaned.append(c);
            }
        }
        return cleaned.toString();
    }

    /**
     * A raw JSON answer whose strings (values and names) hold no control character: unchanged when
     * none does, otherwise written again from the cleaned tree. Text that is not JSON is cleaned as text.
     */
    static String json(String raw) {
        return json(raw, false);
    }

    /**
     * As {@link #json}, and always written again without the pretty-printing (VirusTotal indents its
     * answers: a third to a half of their bytes is white space). Text that is not JSON is cleaned as text.
     */
    static String compactJson(String raw) {
        return json(raw, true);
    }

    private static String json(String raw, boolean compact) {
        if (raw == null) {
            return null;
        }
        JsonNode tree;
        try {
            tree = JSON.readTree(raw);
        } catch (JsonProcessingException e) {
            return clean(raw);
        }
        if (tree == null) {
            return compact ? clean(raw) : raw;
        }
        if (!cleanStrings(tree) && !compact) {
            return raw;
        }
        try {
            return JSON.writeValueAsString(tree);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a parsed JSON tree cannot be written", e);
        }
    }

    /** Cleans every string in {@code node} in place; true when one had to change. */
    private static boolean cleanStrings(JsonNode node) {
        boolean changed = false;
        if (node instanceof ObjectNode object) {
            List<Map.Entry<String, JsonNode>> fields = new ArrayList<>();
            object.fields().forEachRemaining(fields::add);
            for (Map.Entry<String, JsonNode> field : fields) {
                JsonNode value = field.getValue();
                if (value.isTextual() && hasControl(value.asText())) {
                    value = TextNode.valueOf(clean(value.asText()));
                    changed = true;
                } else {
                    changed |= cleanStrings(value);
                }
                if (hasControl(field.getKey())) {
                    object.remove(field.getKey());
                    changed = true;
                }
                object.set(clean(field.getKey()), value);
            }
        } else if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                JsonNode value = array.get(i);
                if (value.isTextual() && hasControl(value.asText())) {
                    array.set(i, TextNode.valueOf(clean(value.asText())));
                    changed = true;
                } else {
                    changed |= cleanStrings(value);
                }
            }
        }
        return changed;
    }

    private static boolean hasControl(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (Character.isISOControl(text.charAt(i))) {
                return true;
            }
        }
        return false;
    }
}
