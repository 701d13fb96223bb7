package com.vtbatchsearch.lookup;

import java.util.logging.Logger;

/**
 * Brings the files a database stored under an older schema up to date, walking them in order of SHA-256 in
 * small transactions so uploads and workers are held up by one chunk at most; until a row is done it is read
 * as it was. Runs with the housekeeping after start-up; once a run has found nothing left, later runs do
 * nothing. A failure (the database away) is logged and the next run goes on where it stopped.
 */
public final class StoredAnswerBackfill implements Runnable {
    private static final Logger LOG = Logger.getLogger(StoredAnswerBackfill.class.getName());
    private static final int CHUNK = 200;

    /** One chunk of the walk: the files after {@code after}; the last one looked at, or null when none was left. */
    @FunctionalInterface
    interface Step {
        LookupRepository.Walked next(String after, int limit);
    }

    private final Step step;
    private final String done;
    private final String failed;
    private String after = "";
    private boolean finished;

    private StoredAnswerBackfill(Step step, String done, String failed) {
        this.step = step;
        this.done = done;
        this.failed = failed;
    }

    /**
     * Rewrites the answers not stored as {@link StoredAnswer} packs them now: text stored before answers were
     * compressed (migration V4), gzip stored before they were packed with a dictionary. Looks at every file
     * once per start (its first bytes), 200 per transaction.
     */
    public static StoredAnswerBackfill compressing(LookupRepository lookups) {
        return new StoredAnswerBackfill(lookups::compressStoredAnswers, "stored answers compressed",
                "stored answers cannot be compressed now");
    }

    /**
     * Fills the answer fields (family, rules, signer, ...; see {@link AnswerFields}) of the files stored before
     * they were kept (migration V5) from their stored answers; until then their fields read as empty.
     */
    public static StoredAnswerBackfill answerFields(LookupRepository lookups) {
        return new StoredAnswerBackfill((after, limit) -> {
            String last = lookups.fillAnswerFields(after, limit);
            return last == null ? null : new LookupRepository.Walked(last, limit);
        }, "answer fields filled from stored answers",
                "answer fields cannot be filled now");
    }

    @Override
    public void run() {
        if (finished) {
            return;
        }
        long rows = 0;
        try {
            LookupRepository.Walked chunk;
            while ((chunk = step.next(after, CHUNK)) != null) {
                after = chunk.last();
                rows += chunk.changed();
                if (Thread.currentThread().isInterrupted()) {
                    return; // stopping: the next start goes on
                }
            }
            finished = true;
            if (rows > 0) {
                long count = rows;
                LOG.info(() -> done + " (about " + count + " files)");
            }
        } catch (RuntimeException e) {
            LOG.warning(() -> failed + " (" + e.getMessage() + "); trying again later");
        }
    }
}
