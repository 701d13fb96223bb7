package com.vtbatchsearch.lookup;

import java.util.logging.Logger;

/**
 * Rewrites the answers a database stored before answers were compressed (migration V4), in small
 * transactions so uploads and workers are held up by one chunk at most; until a row is rewritten it is
 * read as it was. Runs with the housekeeping after start-up; once a run has found nothing left, later
 * runs do nothing. A failure (the database away) is logged and the next run goes on where it stopped.
 */
public final class AnswerCompactor implements Runnable {
    private static final Logger LOG = Logger.getLogger(AnswerCompactor.class.getName());
    private static final int CHUNK = 200;

    private final LookupRepository lookups;
    private String after = "";
    private boolean finished;

    public AnswerCompactor(LookupRepository lookups) {
        this.lookups = lookups;
    }

    @Override
    public void run() {
        if (finished) {
            return;
        }
        long rewritten = 0;
        try {
            String last;
            while ((last = lookups.compressStoredAnswers(after, CHUNK)) != null) {
                after = last;
                rewritten += CHUNK;
                if (Thread.currentThread().isInterrupted()) {
                    return; // stopping: the next start goes on
                }
            }
            finished = true;
            if (rewritten > 0) {
                long count = rewritten;
                LOG.info(() -> "stored answers compressed (about " + count + " rows rewritten)");
            }
        } catch (RuntimeException e) {
            LOG.warning(() -> "stored answers cannot be compressed now (" + e.getMessage() + "); trying again later");
        }
    }
}
