package com.vtbatchsearch.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.vtbatchsearch.batch.BatchItem;
import com.vtbatchsearch.batch.HashType;
import java.io.StringReader;
import java.io.StringWriter;
import java.time.Instant;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;

class ItemCsvWriterTest {
    @Test
    void textThatASpreadsheetWouldEvaluateGetsAQuote() {
        for (String formula : new String[] {"=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"}) {
            assertEquals("'" + formula, ItemCsvWriter.neutralise(formula), formula);
        }
        for (String text : new String[] {"trojan.x", "1+1", "", " =x"}) {
            assertEquals(text, ItemCsvWriter.neutralise(text));
        }
        assertEquals(-3, ItemCsvWriter.neutralise(-3), "numbers are numbers");
        assertNull(ItemCsvWriter.neutralise(null));
    }

    @Test
    void writesABomCrlfRowsAndParsesBack() throws Exception {
        StringWriter out = new StringWriter();
        BatchItem found = new BatchItem("a".repeat(32), HashType.MD5, BatchItem.DONE, null,
                new BatchItem.Verdict(5, 0, 60, 1, "=cmd|' /C calc'!A0", "naïve, \"quoted\"\nname.exe", "Win32 EXE",
                        "b".repeat(64), Instant.parse("2020-01-02T03:04:05Z"), null));
        BatchItem pending = new BatchItem("c".repeat(40), HashType.SHA1, BatchItem.PENDING, null, null, false, false,
                "=HYPERLINK(\"http://x\");\u00ab" + "c".repeat(40) + "\u00bb");
        try (ItemCsvWriter csv = new ItemCsvWriter(out)) {
            csv.write(found);
            csv.write(pending);
        }
        String text = out.toString();
        assertEquals('\uFEFF', text.charAt(0));
        assertTrue(text.startsWith("\uFEFFhash,type,status,verdict,malicious,"), text);
        assertTrue(text.endsWith("\r\n"));
        List<CSVRecord> records = CSVFormat.EXCEL.builder().setHeader().setSkipHeaderRecord(true).get()
                .parse(new StringReader(text.substring(1))).getRecords();
        assertEquals(2, records.size());
        assertEquals("'=cmd|' /C calc'!A0", records.get(0).get("label"));
        assertEquals("naïve, \"quoted\"\nname.exe", records.get(0).get("name"));
        assertEquals("malicious", records.get(0).get("verdict"));
        assertEquals("66", records.get(0).get("total"));
        assertEquals("2020-01-02T03:04:05Z", records.get(0).get("firstSeen"));
        assertEquals("", records.get(0).get("lastAnalysis"));
        assertEquals("pending", records.get(1).get("verdict"));
        assertEquals("", records.get(1).get("malicious"));
        assertEquals("https://www.virustotal.com/gui/file/" + "c".repeat(40), records.get(1).get("vtUrl"));
        assertEquals(ItemCsvWriter.HEADER.length, records.get(1).size());
        assertEquals("context", ItemCsvWriter.HEADER[17]);
        assertEquals("", records.get(1).get("family"), "no answer: an empty cell, never null or 0");
        assertEquals("", records.get(1).get("size"));
        assertEquals("c".repeat(40), records.get(1).get("sha1"), "the hash itself while unanswered");
        assertEquals(List.of("change", "previousVerdict", "previousMalicious", "previousLabel",
                "previousFamily", "previousAnsweredAt"), List.of(ItemCsvWriter.HEADER)
                .subList(ItemCsvWriter.HEADER.length - 6, ItemCsvWriter.HEADER.length));
        assertEquals("", records.get(0).get("change"), "unchanged: empty change columns");
        assertEquals("", records.get(0).get("previousVerdict"));
        assertEquals("", records.get(0).get("context"), "no line known: an empty cell");
        assertEquals("'=HYPERLINK(\"http://x\");\u00ab" + "c".repeat(40) + "\u00bb", records.get(1).get("context"),
                "the uploader's line cannot become a formula");
    }

    @Test
    void aChangedItemCarriesItsKindsAndEarlierAnswerFormulaSafe() throws Exception {
        StringWriter out = new StringWriter();
        BatchItem changed = new BatchItem("d".repeat(64), HashType.SHA256, BatchItem.DONE, null,
                new BatchItem.Verdict(9, 0, 60, 1, "trojan.x", "x.exe", "Win32 EXE", "d".repeat(64), null, null),
                false, false, null, new BatchItem.Change(List.of("newly_malicious", "detections_up"),
                        new BatchItem.Previous("done", "2026-12-01T00:00:00Z", 0, 1, 69, 0, "=evil()", "+fam")));
        try (ItemCsvWriter csv = new ItemCsvWriter(out)) {
            csv.write(changed);
        }
        CSVRecord record = CSVFormat.EXCEL.builder().setHeader().setSkipHeaderRecord(true).get()
                .parse(new StringReader(out.toString().substring(1))).getRecords().get(0);
        assertEquals("newly_malicious detections_up", record.get("change"));
        assertEquals("suspicious", record.get("previousVerdict"));
        assertEquals("0", record.get("previousMalicious"));
        assertEquals("'=evil()", record.get("previousLabel"));
        assertEquals("'+fam", record.get("previousFamily"));
        assertEquals("2026-12-01T00:00:00Z", record.get("previousAnsweredAt"));
    }
}
