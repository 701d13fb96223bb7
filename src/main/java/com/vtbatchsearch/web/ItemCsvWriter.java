package com.vtbatchsearch.web;

import com.vtbatchsearch.batch.BatchItem;
import com.vtbatchsearch.batch.BatchService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * Writes report items as CSV that opens cleanly in Excel: a UTF-8 byte-order mark, CRLF line ends, one
 * row per item with the JSON API's field names as the header. Text that a spreadsheet would take for a
 * formula (starting with {@code = + - @}, a tab or a carriage return) is prefixed with a single quote.
 */
final class ItemCsvWriter implements AutoCloseable {
    private static final char BYTE_ORDER_MARK = '\uFEFF';
    private static final String FORMULA_STARTS = "=+-@\t\r";

    private record Column(String name, Function<BatchItem, Object> value) {
    }

    private static final List<Column> COLUMNS = List.of(
            new Column("hash", BatchItem::getHash),
            new Column("type", BatchItem::getType),
            new Column("status", BatchItem::getStatus),
            new Column("verdict", BatchItem::getVerdict),
            new Column("malicious", BatchItem::getMalicious),
            new Column("suspicious", BatchItem::getSuspicious),
            new Column("undetected", BatchItem::getUndetected),
            new Column("harmless", BatchItem::getHarmless),
            new Column("total", BatchItem::getTotal),
            new Column("label", BatchItem::getLabel),
            new Column("name", BatchItem::getName),
            new Column("fileType", BatchItem::getFileType),
            new Column("sha256", BatchItem::getSha256),
            new Column("firstSeen", BatchItem::getFirstSeen),
            new Column("lastAnalysis", BatchItem::getLastAnalysis),
            new Column("vtUrl", BatchItem::getVtUrl),
            new Column("error", BatchItem::getError),
            new Column("context", BatchItem::getContext),
            new Column("md5", BatchItem::getMd5),
            new Column("sha1", BatchItem::getSha1),
            new Column("size", BatchItem::getSize),
            new Column("timesSubmitted", BatchItem::getTimesSubmitted),
            new Column("family", BatchItem::getFamily),
            new Column("category", BatchItem::getCategory),
            new Column("signer", BatchItem::getSigner),
            new Column("signerVerified", BatchItem::getSignerVerified),
            new Column("yaraRules", i -> joined(i.getYaraRules())),
            new Column("sigma", i -> i.getSigma() == null ? null : i.getSigma().entrySet().stream()
                    .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining("; "))),
            new Column("sandboxVerdicts", i -> i.getSandboxVerdicts() == null ? null : joined(i.getSandboxVerdicts()
                    .stream().map(v -> v.sandbox() + ": " + v.category()
                            + (v.malwareNames().isEmpty() ? "" : " (" + String.join(", ", v.malwareNames()) + ")"))
                    .toList())),
            new Column("tags", i -> joined(i.getTags())),
            new Column("gap", BatchItem::getGap),

            new Column("change", BatchItem::getChangeText),
            new Column("previousVerdict", BatchItem::getPreviousVerdict),
            new Column("previousMalicious", i -> i.getPrevious() == null ? null : i.getPrevious().malicious()),
            new Column("previousLabel", i -> i.getPrevious() == null ? null : i.getPrevious().label()),
            new Column("previousFamily", i -> i.getPrevious() == null ? null : i.getPrevious().family()),
            new Column("previousAnsweredAt", i -> i.getPrevious() == null ? null : i.getPrevious().answeredAt()));

    /** The header without engine columns. */
    static final String[] HEADER = COLUMNS.stream().map(Column::name).toArray(String[]::new);

    private final CSVPrinter printer;
    private final List<String> engines;
    private final Object[] row;

    ItemCsvWriter(Writer out) throws IOException {
        this(out, List.of());
    }

    /** With one column per chosen engine, {@code engine:<name>}, holding its result (empty when it did not flag). */
    ItemCsvWriter(Writer out, List<BatchService.EngineColumn> engines) throws IOException {
        out.write(BYTE_ORDER_MARK);
        this.engines = engines.stream().map(BatchService.EngineColumn::name).toList();
        List<String> header = new java.util.ArrayList<>(List.of(HEADER));
        this.engines.forEach(e -> header.add("engine:" + e));
        this.row = new Object[header.size()];
        this.printer = new CSVPrinter(out, CSVFormat.EXCEL.builder().setHeader(header.toArray(String[]::new)).get());
    }

    private static String joined(List<String> values) {
        return values == null ? null : String.join("; ", values);
    }

    void write(BatchItem item) {
        Arrays.setAll(row, n -> neutralise(n < COLUMNS.size() ? COLUMNS.get(n).value().apply(item)
                : engineResult(item, n - COLUMNS.size())));
        try {
            printer.printRecord(row);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The chosen engine's result for the item; the item's map is keyed as the query named the engines. */
    private Object engineResult(BatchItem item, int engine) {
        java.util.Map<String, String> results = item.getEngines();
        if (results == null) {
            return null;
        }
        String name = engines.get(engine);
        for (java.util.Map.Entry<String, String> e : results.entrySet()) {
            if (e.getKey().equalsIgnoreCase(name)) {
                return e.getValue();
            }
        }
        return null;
    }

    /** Text a spreadsheet would evaluate gets a leading single quote; numbers and nulls pass as they are. */
    static Object neutralise(Object value) {
        if (value instanceof String text && !text.isEmpty() && FORMULA_STARTS.indexOf(text.charAt(0)) >= 0) {
            return "'" + text;
        }
        return value;
    }

    @Override
    public void close() throws IOException {
        printer.close(true);
    }
}
