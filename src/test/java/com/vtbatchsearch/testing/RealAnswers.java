package com.vtbatchsearch.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.vtbatchsearch.lookup.FileReport;
import com.vtbatchsearch.lookup.VirusTotalClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** VirusTotal's real answers of {@code src/test/resources/vt-real/}, read as the client reads them. */
public final class RealAnswers {
    public static final ObjectMapper JSON = new ObjectMapper();

    private RealAnswers() {
    }

    /** The file's text as VirusTotal (or the source the README names) gave it. */
    public static String raw(String name) throws IOException {
        try (InputStream in = RealAnswers.class.getResourceAsStream("/vt-real/" + name)) {
            if (in == null) {
                throw new IOException("no real answer named " + name + " in src/test/resources/vt-real/");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** The answer as VirusTotal sends it: the data-only and partial ones wrapped in {@code {"data": ...}}. */
    public static String wrapped(String raw) throws IOException {
        JsonNode root = JSON.readTree(raw);
        return root.has("data") ? raw : "{\"data\": " + raw + "}";
    }

    /** The answer named {@code name}, read by the client's own parser. */
    public static FileReport report(String name) throws IOException {
        return parse(raw(name));
    }

    /** A real answer's text, read by the client's own parser. */
    public static FileReport parse(String raw) throws IOException {
        return VirusTotalClient.parseFile(wrapped(raw));
    }
}
