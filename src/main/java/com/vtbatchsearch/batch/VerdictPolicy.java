package com.vtbatchsearch.batch;

import java.util.List;

/**
 * When a file counts as malicious, and whose verdicts the analyst checks: MALICIOUS_MIN_ENGINES engines saying
 * malicious make it malicious (VirusTotal's own convention is 1); a file fewer engines flag (malicious or
 * suspicious) counts as suspicious. MY_ENGINES are the engines the report shows a column for and the gap
 * filter asks about. One policy applies to counters, chart, filters and exports alike.
 *
 * @param maliciousMinEngines at least 1
 * @param myEngines           engine names, possibly empty
 */
public record VerdictPolicy(int maliciousMinEngines, List<String> myEngines) {
    public static final VerdictPolicy DEFAULT = new VerdictPolicy(1, List.of());

    public VerdictPolicy {
        if (maliciousMinEngines < 1) {
            throw new IllegalArgumentException("maliciousMinEngines must be at least 1");
        }
        myEngines = myEngines == null ? List.of() : List.copyOf(myEngines);
    }

    /** The category of a found file under this policy. */
    public ItemQuery.Verdict categorise(int malicious, int suspicious) {
        if (malicious >= maliciousMinEngines) {
            return ItemQuery.Verdict.MALICIOUS;
        }
        return malicious > 0 || suspicious > 0 ? ItemQuery.Verdict.SUSPICIOUS : ItemQuery.Verdict.CLEAN;
    }

    /** SQL true for a found file ({@code f}) that counts as malicious. */
    String maliciousSql() {
        return "f.malicious >= " + maliciousMinEngines;
    }

    /** SQL true for a found file that counts as suspicious. */
    String suspiciousSql() {
        return "f.malicious < " + maliciousMinEngines + " AND (f.malicious > 0 OR f.suspicious > 0)";
    }
}
