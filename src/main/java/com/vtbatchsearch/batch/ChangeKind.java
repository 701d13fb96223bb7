package com.vtbatchsearch.batch;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * How an item's answer after a re-check differs from its answer before: the kinds of change a report
 * counts and filters by. {@link #between} is the one place that decides them.
 */
public enum ChangeKind {
    /** Flagged malicious now (see {@link #isMalicious}), not before. */
    NEWLY_MALICIOUS,
    /** Suspicious now (not malicious, at least one engine suspicious), neither malicious nor suspicious before. */
    NEWLY_SUSPICIOUS,
    /** At least {@code CHANGE_MIN_DELTA} more engines flag it malicious than before. */
    DETECTIONS_UP,
    /** At least {@code CHANGE_MIN_DELTA} fewer engines flag it malicious than before. */
    DETECTIONS_DOWN,
    /** Known to VirusTotal now, not found before. */
    NEWLY_KNOWN,
    /** The threat label changed. */
    LABEL_CHANGED,
    /** The threat family changed. */
    FAMILY_CHANGED;

    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<ChangeKind> parse(String value) {
        for (ChangeKind kind : values()) {
            if (kind.key().equals(value)) {
                return Optional.of(kind);
            }
        }
        return Optional.empty();
    }

    /** An answer's verdict figures; {@code found} false for "not on VirusTotal" (figures then unused). */
    public record Answer(boolean found, int malicious, int suspicious, String label, String family) {
        public static Answer notFound() {
            return new Answer(false, 0, 0, null, null);
        }
    }

    /**
     * Whether a file with {@code malicious} engines flagging it counts as malicious under VirusTotal's own
     * convention (at least one); {@link #between(Answer, Answer, int, VerdictPolicy)} follows the deployment's
     * MALICIOUS_MIN_ENGINES instead.
     */
    public static boolean isMalicious(int malicious) {
        return isMalicious(malicious, VerdictPolicy.DEFAULT);
    }

    /** Whether a file with {@code malicious} engines flagging it counts as malicious under {@code policy}. */
    public static boolean isMalicious(int malicious, VerdictPolicy policy) {
        return malicious >= policy.maliciousMinEngines();
    }

    private static boolean isSuspicious(Answer a, VerdictPolicy policy) {
        return a.found() && policy.categorise(a.malicious(), a.suspicious()) == ItemQuery.Verdict.SUSPICIOUS;
    }

    /** The kinds of change from {@code before} to {@code after}, in declaration order; empty when none. */
    public static List<ChangeKind> between(Answer before, Answer after, int minDelta) {
        return between(before, after, minDelta, VerdictPolicy.DEFAULT);
    }

    /** The kinds of change from {@code before} to {@code after} under {@code policy}, in declaration order. */
    public static List<ChangeKind> between(Answer before, Answer after, int minDelta, VerdictPolicy policy) {
        List<ChangeKind> kinds = new ArrayList<>();
        if (!after.found()) {
            return kinds;
        }
        boolean wasMalicious = before.found() && isMalicious(before.malicious(), policy);
        if (isMalicious(after.malicious(), policy) && !wasMalicious) {
            kinds.add(NEWLY_MALICIOUS);
        }
        if (isSuspicious(after, policy) && !wasMalicious && !isSuspicious(before, policy)) {
            kinds.add(NEWLY_SUSPICIOUS);
        }
        if (before.found()) {
            int delta = after.malicious() - before.malicious();
            if (delta >= minDelta) {
                kinds.add(DETECTIONS_UP);
            } else if (-delta >= minDelta) {
                kinds.add(DETECTIONS_DOWN);
            }
        } else {
            kinds.add(NEWLY_KNOWN);
        }
        if (before.found() && !Objects.equals(blankToNull(before.label()), blankToNull(after.label()))) {
            kinds.add(LABEL_CHANGED);
        }
        if (before.found() && !Objects.equals(blankToNull(before.family()), blankToNull(after.family()))) {
            kinds.add(FAMILY_CHANGED);
        }
        return kinds;
    }

    private static String blankToNull(String text) {
        return text == null || text.isBlank() ? null : text;
    }

    /** The stored form: each kind's key between commas, so ',kind,' finds it. */
    static String store(List<ChangeKind> kinds) {
        StringBuilder stored = new StringBuilder(",");
        kinds.forEach(k -> stored.append(k.key()).append(','));
        return stored.toString();
    }

    /** The kinds of a stored form; empty for null. */
    static List<String> read(String stored) {
        List<String> keys = new ArrayList<>();
        if (stored != null) {
            for (String key : stored.split(",")) {
                if (!key.isEmpty()) {
                    keys.add(key);
                }
            }
        }
        return keys;
    }
}
