package com.vtbatchsearch.bench;

import com.vtbatchsearch.batch.ExtractedHashes;
import com.vtbatchsearch.batch.HashType;
import com.vtbatchsearch.batch.UploadReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.commons.io.ByteOrderMark;
import org.apache.commons.io.input.BOMInputStream;

/**
 * Prints, per file of an IOC corpus directory, the distinct hashes the extractor finds by type next to
 * what the plain rule finds (every maximal run of exactly 32, 40 or 64 hex digits, the rule before
 * Ethereum addresses, percent escapes and invisible characters were told apart), and the time an
 * extraction takes. Usage: {@code bench/extraction <directory>}.
 */
public final class ExtractionBenchmark {
    private static final ByteOrderMark[] MARKS = {ByteOrderMark.UTF_8, ByteOrderMark.UTF_32LE,
        ByteOrderMark.UTF_32BE, ByteOrderMark.UTF_16LE, ByteOrderMark.UTF_16BE};

    private ExtractionBenchmark() {
    }

    public static void main(String[] args) throws IOException {
        Path directory = Path.of(args.length > 0 ? args[0] : "../shared/corpus/third-party");
        List<Path> files;
        try (Stream<Path> listing = Files.list(directory)) {
            files = listing.filter(Files::isRegularFile).sorted().toList();
        }
        System.out.printf("%-90s %22s %22s %8s %9s%n", "file", "plain rule md5/sha1/256", "extractor md5/sha1/256",
                "change", "ms");
        long[] totals = new long[2];
        for (Path file : files) {
            Map<String, HashType> plain = plainRule(text(file));
            long start = System.nanoTime();
            UploadReader reader = new UploadReader(Long.MAX_VALUE / 4, Integer.MAX_VALUE);
            try (InputStream in = Files.newInputStream(file)) {
                reader.read(in);
            }
            ExtractedHashes extracted = finish(reader);
            long millis = (System.nanoTime() - start) / 1_000_000;
            long added = extracted.distinct().keySet().stream().filter(h -> !plain.containsKey(h)).count();
            long dropped = plain.keySet().stream().filter(h -> !extracted.distinct().containsKey(h)).count();
            String change = (added > 0 ? "+" + added : "") + (dropped > 0 ? "-" + dropped : "");
            totals[0] += plain.size();
            totals[1] += extracted.unique();
            System.out.printf("%-90s %22s %22s %8s %9d%n", file.getFileName(), byType(plain),
                    byType(extracted.distinct()), change, millis);
        }
        System.out.printf("%-90s %22d %22d %+8d%n", "all", totals[0], totals[1], totals[1] - totals[0]);
    }

    private static ExtractedHashes finish(UploadReader reader) {
        try {
            return reader.finish();
        } catch (RuntimeException noHashes) {
            return new ExtractedHashes(Map.of(), 0);
        }
    }

    private static String byType(Map<String, HashType> hashes) {
        long[] n = new long[3];
        hashes.values().forEach(type -> n[type.ordinal()]++);
        return n[0] + "/" + n[1] + "/" + n[2];
    }

    private static String text(Path file) throws IOException {
        try (BOMInputStream in = BOMInputStream.builder().setInputStream(Files.newInputStream(file))
                .setByteOrderMarks(MARKS).get()) {
            String bom = in.getBOMCharsetName();
            Charset charset = bom == null ? StandardCharsets.UTF_8 : Charset.forName(bom);
            return new String(in.readAllBytes(), charset);
        }
    }

    /** Every maximal run of ASCII hex digits of a hash's length. */
    private static Map<String, HashType> plainRule(String text) {
        Map<String, HashType> distinct = new LinkedHashMap<>();
        int i = 0;
        while (i < text.length()) {
            int start = i;
            while (i < text.length() && text.charAt(i) < 128 && Character.digit(text.charAt(i), 16) >= 0) {
                i++;
            }
            if (i == start) {
                i++;
                continue;
            }
            String run = text.substring(start, i).toLowerCase(Locale.ROOT);
            HashType.ofLength(run.length()).ifPresent(type -> distinct.putIfAbsent(run, type));
        }
        return distinct;
    }
}
