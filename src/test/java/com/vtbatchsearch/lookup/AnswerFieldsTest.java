package com.vtbatchsearch.lookup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every real answer of {@code src/test/resources/vt-real/} mapped to every field the report shows beyond the
 * verdict: each against a table written from reading the answer, and against its JSON read here directly.
 */
class AnswerFieldsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static String real(String name) throws IOException {
        try (InputStream in = AnswerFieldsTest.class.getResourceAsStream("/vt-real/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static Map<String, Integer> sigma(int critical, int high, int medium, int low) {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("critical", critical);
        m.put("high", high);
        m.put("medium", medium);
        m.put("low", low);
        return m;
    }

    private static AnswerFields.SandboxVerdict sandbox(String name, String category, String... malware) {
        return new AnswerFields.SandboxVerdict(name, category, List.of(malware));
    }

    /** file, size, timesSubmitted, family, category, yaraRules, sigma, sandboxVerdicts, firstSeenYear, flagged. */
    static Stream<Arguments> realAnswers() {
        return Stream.of(
                Arguments.of("file-clean-doscom-virusshare.json", 2996L, 1L, null, null, List.of(), null, List.of(),
                        2020, 0),
                Arguments.of("file-clean-elf-haiku.json", 5093L, 1L, null, null, List.of(), null, List.of(), 2023, 0),
                Arguments.of("file-clean-empty-file-ui-endpoint-2018.json", 0L, 918852L, null, null, List.of(), null,
                        List.of(), 2006, 0),
                Arguments.of("file-clean-macho-doom.json", 565248L, 1L, null, null, List.of(), null, List.of(), 2020, 0),
                Arguments.of("file-clean-win32exe-aclock.json", 55296L, 1L, null, null, List.of(), null, List.of(),
                        2012, 0),
                Arguments.of("file-eicar-2026.json", 68L, 1164054L, "eicar", "virus",
                        List.of("malw_eicar", "Multi_EICAR_ac8f42d6", "SUSP_Just_EICAR"), sigma(0, 0, 0, 1),
                        List.of(sandbox("Zenbox", "malicious", "EICAR"), sandbox("Lastline", "malicious"),
                                sandbox("OS X Sandbox", "malicious", "EICAR"), sandbox("Yomi Hunter", "harmless")),
                        2006, 62),
                // popular_threat_category but no popular_threat_name; signature_info without signers
                Arguments.of("file-lowdetect-dotnet-exe-label-trojan-dot.json", 3072L, 1L, null, "trojan", List.of(),
                        sigma(0, 0, 1, 0), List.of(sandbox("Zenbox", "harmless")), 2023, 7),
                Arguments.of("file-malicious-doc-w97m-hill.json", 64000L, 19L, "hill", "virus", List.of(), null,
                        List.of(), 2007, 53),
                // only the data member
                Arguments.of("file-malicious-pe-msil-tasker.data-only.json", 44032L, 1L, "msil", "trojan", List.of(),
                        sigma(0, 10, 1, 5), List.of(sandbox("C2AE", "malicious", "NetMiner")), 2021, 40),
                Arguments.of("file-malicious-rtf-cve-2017-11882.json", 67745L, 5L, "malformed", "trojan", List.of(),
                        null, List.of(), 2019, 36),
                // older shape: popular_threat_name as [name, count] pairs, no category, results removed
                Arguments.of("file-partial-xsoar-context-2021-eicar-variant.json", 103L, 1L, "eicar", null,
                        List.of("malw_eicar"), null, List.of(), 2021, 0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("realAnswers")
    void eachRealAnswerGivesEveryField(String file, Long size, Long submitted, String family, String category,
            List<String> rules, Map<String, Integer> sigma, List<AnswerFields.SandboxVerdict> sandboxes, Integer year,
            int flagged) throws IOException {
        String raw = real(file);
        AnswerFields fields = AnswerFields.parse(raw);
        assertEquals(size, fields.size(), "size");
        assertEquals(submitted, fields.timesSubmitted(), "timesSubmitted");
        assertEquals(family, fields.family(), "family");
        assertEquals(category, fields.category(), "category");
        assertNull(fields.signer(), "no real answer names a signer");
        assertNull(fields.signerVerified(), "signerVerified");
        assertEquals(rules, fields.yaraRules(), "yaraRules");
        assertEquals(sigma, fields.sigma(), "sigma");
        assertEquals(sandboxes, fields.sandboxVerdicts(), "sandboxVerdicts");
        assertEquals(year, fields.firstSeenYear(), "firstSeenYear");
        assertEquals(flagged, fields.flagged().size(), "engines that flagged it");

        // The same fields read from the JSON here, the plain way.
        JsonNode root = JSON.readTree(raw);
        JsonNode a = (root.has("data") ? root.path("data") : root).path("attributes");
        assertEquals(a.path("size").asLong(), fields.size());
        assertEquals(a.path("times_submitted").asLong(), fields.timesSubmitted());
        assertEquals(Instant.ofEpochSecond(a.path("first_submission_date").asLong()).atZone(ZoneOffset.UTC).getYear(),
                fields.firstSeenYear());
        List<String> ruleNames = new ArrayList<>();
        a.path("crowdsourced_yara_results").forEach(r -> ruleNames.add(r.path("rule_name").asText()));
        assertEquals(ruleNames, fields.yaraRules());
        assertEquals(a.path("sandbox_verdicts").size(), fields.sandboxVerdicts().size());
        assertEquals(a.path("sigma_analysis_stats").isMissingNode(), fields.sigma() == null);
        a.path("last_analysis_results").fields().forEachRemaining(e -> {
            String c = e.getValue().path("category").asText();
            boolean flags = c.equals("malicious") || c.equals("suspicious");
            assertEquals(flags, fields.flagged().containsKey(e.getKey()), e.getKey());
            if (flags) {
                assertEquals(e.getValue().path("result").asText(null), fields.flagged().get(e.getKey()).result());
            }
            assertTrue(fields.engines().contains(e.getKey()));
        });
        assertEquals(a.path("last_analysis_results").size(), fields.engines().size());
        if (family != null) {
            assertFalse(fields.family().equals("null"));
        }
    }

    @Test
    void eicarIsFlaggedByMicrosoftAndNotByCrowdStrike() throws IOException {
        AnswerFields fields = AnswerFields.parse(real("file-eicar-2026.json"));
        assertEquals(new AnswerFields.Flag("malicious", "Virus:DOS/EICAR_Test_File"), fields.flagged().get("Microsoft"));
        assertFalse(fields.flagged().containsKey("CrowdStrike"));
        assertTrue(fields.engines().contains("CrowdStrike"));
    }

    @Test
    void signerIsTheFirstOfTheSignersAndVerifiedOnlyWhenSigned() {
        String signed = """
                {"data": {"attributes": {"signature_info": {"signers": "Microsoft Windows; Microsoft Windows Production PCA 2011; Microsoft Root Certificate Authority 2010",
                  "verified": "Signed"}}}}""";
        AnswerFields fields = AnswerFields.parse(signed);
        assertEquals("Microsoft Windows", fields.signer());
        assertEquals(Boolean.TRUE, fields.signerVerified());
        AnswerFields revoked = AnswerFields.parse("""
                {"data": {"attributes": {"signature_info": {"signers": "Evil Corp",
                  "verified": "A certificate was explicitly revoked by its issuer."}}}}""");
        assertEquals("Evil Corp", revoked.signer());
        assertEquals(Boolean.FALSE, revoked.signerVerified());
    }

    @Test
    void missingOrOddValuesStayEmpty() {
        AnswerFields fields = AnswerFields.parse("""
                {"data": {"attributes": {"size": "12", "times_submitted": -1,
                  "popular_threat_classification": {"popular_threat_name": [{"value": null, "count": 3}, ["", 2]],
                    "popular_threat_category": []},
                  "signature_info": {"signers": "  "}, "sigma_analysis_stats": null,
                  "crowdsourced_yara_results": [{"rule_name": null}], "sandbox_verdicts": {}}}}""");
        assertEquals(AnswerFields.EMPTY, fields);
        assertEquals(AnswerFields.EMPTY, AnswerFields.parse("not json"));
        assertEquals(AnswerFields.EMPTY, AnswerFields.parse(null));
    }

    @Test
    void theTopNameIsTheOneWithTheHighestCountInEitherShape() {
        assertEquals("emotet", AnswerFields.parse("""
                {"data": {"attributes": {"popular_threat_classification": {"popular_threat_name":
                  [{"value": "generic", "count": 2}, {"value": "emotet", "count": 9}]}}}}""").family());
        assertEquals("qakbot", AnswerFields.parse("""
                {"data": {"attributes": {"popular_threat_classification": {"popular_threat_name":
                  [["generic", 2], ["qakbot", 5], ["other", 5]]}}}}""").family());
    }
}
