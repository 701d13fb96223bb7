package com.vtbatchsearch.export;

import com.vtbatchsearch.batch.BatchItem;
import com.vtbatchsearch.batch.BatchRepository;
import com.vtbatchsearch.batch.BatchService;
import com.vtbatchsearch.batch.ItemQuery;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Walks the rows a report's query selects, in its order, and hands over each file VirusTotal knows once.
 * A file whose md5, sha1 and sha256 all appear in the batch is handed over at the first of its matching
 * rows in upload order, whatever the sort: the rows are read as every export reads them
 * ({@link BatchService#export}, a chunk of 2,000 per query), and for each 2,000 rows one more query (through
 * the index on the batch's hashes) finds the matching rows of their files. So memory holds one chunk, never a
 * set of every file seen, and a 100,000-row export costs what a chunked CSV export costs plus one indexed
 * query per chunk.
 */
final class FileWalk {
    /** Receives the files in order. */
    interface Sink {
        void file(ExportFile file) throws IOException;
    }

    /** What the walk saw: rows read, files handed over, rows of files already handed over, rows without an answer. */
    record Tally(int rows, int files, int repeats, int withoutAnswer) {
    }

    /** Rows looked at together: the repository's export chunk, so memory holds at most two chunks. */
    static final int CHUNK = 2000;

    private final BatchService batches;
    private final int chunkSize;

    FileWalk(BatchService batches, int chunkSize) {
        this.batches = batches;
        this.chunkSize = chunkSize;
    }

    Tally walk(String batchId, ItemQuery query, Sink sink) throws IOException {
        int[] tally = new int[4];
        List<BatchItem> chunk = new ArrayList<>(chunkSize);
        try {
            batches.export(batchId, query, item -> {
                chunk.add(item);
                if (chunk.size() == chunkSize) {
                    handOver(batchId, query, chunk, sink, tally);
                    chunk.clear();
                }
            });
            handOver(batchId, query, chunk, sink, tally);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return new Tally(tally[0], tally[1], tally[2], tally[3]);
    }

    /** Hands over the files of one chunk of rows, each at its first matching row in upload order. */
    private void handOver(String batchId, ItemQuery query, List<BatchItem> chunk, Sink sink, int[] tally) {
        tally[0] += chunk.size();
        List<String> sha256s = new ArrayList<>();
        for (BatchItem item : chunk) {
            if (known(item)) {
                sha256s.add(item.getSha256());
            }
        }
        Map<String, BatchRepository.FileRows> files = sha256s.isEmpty() ? Map.of()
                : batches.matchingRowsOf(batchId, query, sha256s);
        for (BatchItem item : chunk) {
            if (!known(item)) {
                tally[3]++;
                continue;
            }
            BatchRepository.FileRows rows = files.get(item.getSha256());
            // No matching row found: the answer changed between the two reads; the row stands for itself.
            if (rows == null || rows.rows().isEmpty()) {
                rows = new BatchRepository.FileRows(item.getSha256(), null, null,
                        List.of(new BatchRepository.FileRow(item.getHash(), -1, item.getContext())));
            } else if (!rows.rows().get(0).hash().equals(item.getHash())) {
                tally[2]++;
                continue;
            }
            tally[1]++;
            try {
                sink.file(ExportFile.of(item, rows));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** VirusTotal knows the file: the row has an answer naming its SHA-256. */
    private static boolean known(BatchItem item) {
        return BatchItem.DONE.equals(item.getStatus()) && item.getMalicious() != null
                && ExportFile.hex(item.getSha256(), ExportFile.SHA256) != null;
    }
}
