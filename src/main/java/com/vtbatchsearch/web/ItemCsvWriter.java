package com.vtbatchsearch.web;

import com.vtbatchsearch.batch.BatchItem;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
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
            new Column("change", BatchItem::getChangeText),
            new Column("previousVerdict", i -> i.getPrevious() == null ? null : i.getPrevious().getVerdict()),
            new Column("previousMalicious", i -> i.getPrevious() == null ? null : i.getPrevious().malicious()),
            new Column("previousLabel", i -> i.getPrevious() == null ? null : i.getPrevious().label()),
            new Column("previousFamily", i -> i.getPrevious() == null ? null : i.getPrevious().family()),
            new Column("previousAnsweredAt", i -> i.getPrevious() == null ? null : i.getPrevious().answeredAt()));

    static final String[] HEADER = COLUMNS.stream().map(Column::name).toArray(String[]::new);

    private final CSVPrinter printer;
    private final Object[] row = new Object[COLUMNS.size()];

    ItemCsvWriter(Writer out) throws IOException {
        out.write(BYTE_ORDER_MARK);
        this.printer = new CSVPrinter(out, CSVFormat.EXCEL.builder().setHeader(HEADER).get());
    }

    void write(BatchItem item) {
        Arrays.setAll(row, n -> neutralise(COLUMNS.get(n).value().apply(item)));
        try {
            printer.printRecord(row);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
