package com.vtbatchsearch.lookup;

import java.util.logging.Logger;

/**
 * Fills the answer fields (family, rules, signer, ...; see {@link AnswerFields}) of the files a database
 * stored before they were kept (migration V5) from their stored answers, in small transactions so uploads
 * and workers are held up by one chunk at most; until a file is filled its fields read as empty. Runs with
 * the housekeeping after start-up; once a run has found nothing left, later runs do nothing. A failure (the
 * database away) is logged and the next run goes on where it stopped.
 */
public final class AnswerFieldsFiller implements Runnable {
    private static final Logger LOG = Logger.getLogger(AnswerFieldsFiller.class.getName());
    private static final int CHUNK = 200;

    private final LookupRepository lookups;
    private String after = "";
    private boolean finished;

    public AnswerFieldsFiller(LookupRepository lookups) {
        this.lookups = lookups;
    }

    @Override
    public void run() {
        if (finished) {
            return;
        }
        long filled = 0;
        try {
            String last;
            while ((last = lookups.fillAnswerFields(after, CHUNK)) != null) {
                after = last;
                filled += CHUNK;
                if (Thread.currentThread().isInterrupted()) {
                    return; // stopping: the next start goes on
                }
            }
            finished = true;
            if (filled > 0) {
                long count = filled;
                LOG.info(() -> "answer fields filled from stored answers (about " + count + " files)");
            }
        } catch (RuntimeException e) {
            LOG.warning(() -> "answer fields cannot be filled now (" + e.getMessage() + "); trying again later");
        }
    }
}
