package com.vtbatchsearch.notify;

import com.vtbatchsearch.batch.BatchCounts;
import com.vtbatchsearch.batch.BatchService;
import com.vtbatchsearch.batch.ChangeKind;
import com.vtbatchsearch.batch.RecheckRepository;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Watches batches for what is worth telling: a batch whose lookups are all answered (announced once, the
 * claim taken in the database, so several instances announce it once between them), and a re-check that
 * is done (finished here: what changed is written, and announced when anything did). Messages go to the
 * {@link Webhook} when {@code WEBHOOK_URL} is set; they carry the batch's id, report address and counts,
 * never the API key. Runs every few seconds on a thread of its own; each run catches its own failures.
 */
public final class BatchEvents implements Runnable {
    private static final Logger LOG = Logger.getLogger(BatchEvents.class.getName());
    /** Batches looked at per run and kind of event. */
    static final int PER_RUN = 100;
    /** Changed hashes a message names. */
    public static final int FIRST_HASHES = 10;

    private final BatchService batches;
    private final RecheckRepository rechecks;
    private final Webhook webhook;
    private final String reportBase;
    private boolean failing;

    /**
     * @param webhook    null when no {@code WEBHOOK_URL} is set: completions are claimed and re-checks
     *                   finished all the same, nothing is sent
     * @param reportBase what a report's path is appended to: {@code PUBLIC_BASE_URL}, or empty for the path alone
     */
    public BatchEvents(BatchService batches, Webhook webhook, String reportBase) {
        this.batches = batches;
        this.rechecks = batches.rechecks();
        this.webhook = webhook;
        this.reportBase = reportBase == null ? "" : reportBase.replaceAll("/+$", "");
    }

    @Override
    public void run() {
        try {
            runOnce();
            if (failing) {
                failing = false;
                LOG.info("batch events are read again");
            }
        } catch (RuntimeException e) {
            if (!failing) {
                failing = true;
                LOG.warning(() -> "batch events cannot be read now (" + e + "); trying again on the next run");
            }
        }
    }

    /** One pass: completions, then re-checks that are done. */
    public void runOnce() {
        for (String id : rechecks.unannounced(PER_RUN)) {
            if (rechecks.claimCompletion(id)) {
                LOG.info(() -> "batch " + id + " complete");
                if (webhook != null) {
                    batches.freshCounts(id).ifPresent(counts -> webhook.post(completed(id, counts)));
                }
            }
        }
        for (String id : rechecks.runningRechecks(PER_RUN)) {
            Optional<RecheckRepository.Finished> finished = batches.finishRecheck(id);
            if (finished.isPresent() && !finished.get().changes().isEmpty() && webhook != null) {
                batches.freshCounts(id).ifPresent(counts -> webhook.post(changed(finished.get(), counts)));
            }
        }
    }

    String reportUrl(String id) {
        return reportBase + "/report/" + id;
    }

    Map<String, Object> completed(String id, BatchCounts c) {
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("text", "VT Batch Search: batch " + id + " is done. " + c.getUnique() + " hashes: "
                + c.getMalicious() + " malicious, " + c.getSuspicious() + " suspicious, " + c.getClean() + " clean, "
                + c.getNotFound() + " not on VirusTotal, " + c.getErrors() + " errors. " + reportUrl(id));
        message.put("event", "completed");
        message.put("batchId", id);
        message.put("reportUrl", reportUrl(id));
        message.put("counts", counts(c));
        message.put("changed", 0);
        message.put("changedHashes", List.of());
        return message;
    }

    Map<String, Object> changed(RecheckRepository.Finished finished, BatchCounts c) {
        String id = finished.batchId();
        Map<String, Integer> byKind = new LinkedHashMap<>();
        for (RecheckRepository.Change change : finished.changes()) {
            for (ChangeKind kind : change.kinds()) {
                byKind.merge(kind.key(), 1, Integer::sum);
            }
        }
        List<String> first = new ArrayList<>();
        List<String> firstText = new ArrayList<>();
        for (RecheckRepository.Change change : finished.changes()) {
            if (first.size() == FIRST_HASHES) {
                break;
            }
            first.add(change.hash());
            firstText.add(change.hash() + " (" + String.join(", ", change.kinds().stream()
                    .map(k -> k.key().replace('_', ' ')).toList()) + ")");
        }
        List<String> kinds = new ArrayList<>();
        byKind.forEach((kind, n) -> kinds.add(n + " " + kind.replace('_', ' ')));
        int changed = finished.changes().size();
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("text", "VT Batch Search: the re-check of batch " + id + " found " + changed
                + (changed == 1 ? " change" : " changes") + " (" + String.join(", ", kinds) + "). "
                + (changed > first.size() ? "First: " : "") + String.join("; ", firstText) + ". " + reportUrl(id)
                + "?changed=true");
        message.put("event", "changed");
        message.put("batchId", id);
        message.put("reportUrl", reportUrl(id));
        message.put("recheckStartedAt", finished.startedAt().toString());
        message.put("counts", counts(c));
        message.put("changed", changed);
        message.put("changes", byKind);
        message.put("changedHashes", first);
        return message;
    }

    private static Map<String, Object> counts(BatchCounts c) {
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("unique", c.getUnique());
        counts.put("malicious", c.getMalicious());
        counts.put("suspicious", c.getSuspicious());
        counts.put("clean", c.getClean());
        counts.put("notFound", c.getNotFound());
        counts.put("errors", c.getErrors());
        counts.put("pending", c.getPending());
        return counts;
    }
}
