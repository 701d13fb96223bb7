package com.vtbatchsearch.batch;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.vtbatchsearch.lookup.AnswerFields;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One distinct hash of a batch with the state of its lookup and, once answered, VirusTotal's verdict.
 * Getter-style accessors so JSP EL and the JSON API see the same names.
 */
@JsonPropertyOrder({"hash", "type", "status", "verdict", "malicious", "suspicious", "undetected", "harmless", "total",
        "label", "name", "fileType", "sha256", "firstSeen", "lastAnalysis", "vtUrl", "error", "stale", "refreshing",
        "context", "md5", "sha1", "size", "timesSubmitted", "family", "category", "signer", "signerVerified",
        "yaraRules", "sigma", "sandboxVerdicts", "tags", "engines", "gap", "change", "previous"})
@JsonInclude(JsonInclude.Include.ALWAYS)
public final class BatchItem {
    public static final String PENDING = "pending";
    public static final String DONE = "done";
    public static final String NOT_FOUND = "not_found";
    public static final String ERROR = "error";

    private static final String VT_GUI_FILE = "https://www.virustotal.com/gui/file/";

    private final String hash;
    private final HashType type;
    private final String status;
    private final String error;
    private final Verdict verdict;
    private final boolean stale;
    private final boolean refreshing;
    private final String context;
    private final VerdictPolicy policy;
    private final Map<String, String> engines;
    private final Change change;

    /**
     * What the batch's last re-check changed in this item: the kinds of change (see {@link ChangeKind}) and
     * the answer before the re-check.
     */
    public record Change(java.util.List<String> kinds, Previous previous) {
    }

    /** The answer an item had before the last re-check; figures null when it was not found. */
    @JsonPropertyOrder({"status", "answeredAt", "malicious", "suspicious", "undetected", "harmless", "label", "family"})
    public record Previous(String status, String answeredAt, Integer malicious, Integer suspicious,
            Integer undetected, Integer harmless, String label, String family) {
        /** The earlier verdict category under VirusTotal's convention: malicious, suspicious, clean or not_found. */
        @JsonIgnore
        public String getVerdict() {
            return verdict(VerdictPolicy.DEFAULT);
        }

        /** The earlier verdict category under {@code policy}: malicious, suspicious, clean or not_found. */
        public String verdict(VerdictPolicy policy) {
            if (!DONE.equals(status) || malicious == null) {
                return NOT_FOUND;
            }
            return policy.categorise(malicious, suspicious == null ? 0 : suspicious).key();
        }
    }

    /**
     * The answer VirusTotal gave for a found file; null while pending, not found or failed.
     *
     * @param tags   VirusTotal's tags, empty when none
     * @param fields what the report shows beyond the verdict (see {@link AnswerFields}); never null
     */
    public record Verdict(int malicious, int suspicious, int undetected, int harmless, String label, String name,
            String fileType, String sha256, Instant firstSeen, Instant lastAnalysis, String md5, String sha1,
            List<String> tags, AnswerFields fields) {

        public Verdict {
            tags = tags == null ? List.of() : tags;
            fields = fields == null ? AnswerFields.EMPTY : fields;
        }

        public Verdict(int malicious, int suspicious, int undetected, int harmless, String label, String name,
                String fileType, String sha256, Instant firstSeen, Instant lastAnalysis) {
            this(malicious, suspicious, undetected, harmless, label, name, fileType, sha256, firstSeen, lastAnalysis,
                    null, null, List.of(), AnswerFields.EMPTY);
        }
    }

    public BatchItem(String hash, HashType type, String status, String error, Verdict verdict) {
        this(hash, type, status, error, verdict, false, false);
    }

    /**
     * @param stale      the answer is older than its time to live
     * @param refreshing a new lookup of a stale answer is queued
     */
    public BatchItem(String hash, HashType type, String status, String error, Verdict verdict, boolean stale,
            boolean refreshing) {
        this(hash, type, status, error, verdict, stale, refreshing, null);
    }

    /** @param context the line of the upload the hash first came from, the hash marked; null when not kept */
    public BatchItem(String hash, HashType type, String status, String error, Verdict verdict, boolean stale,
            boolean refreshing, String context) {
        this(hash, type, status, error, verdict, stale, refreshing, context, VerdictPolicy.DEFAULT, null, null);
    }

    /** @param change what the batch's last re-check changed in the item; null when nothing */
    public BatchItem(String hash, HashType type, String status, String error, Verdict verdict, boolean stale,
            boolean refreshing, String context, Change change) {
        this(hash, type, status, error, verdict, stale, refreshing, context, VerdictPolicy.DEFAULT, null, change);
    }

    /**
     * @param policy  when a file counts as malicious
     * @param engines the chosen engines' results (see {@link #getEngines()}); null when none were chosen
     */
    public BatchItem(String hash, HashType type, String status, String error, Verdict verdict, boolean stale,
            boolean refreshing, String context, VerdictPolicy policy, Map<String, String> engines) {
        this(hash, type, status, error, verdict, stale, refreshing, context, policy, engines, null);
    }

    /**
     * @param policy  when a file counts as malicious
     * @param engines the chosen engines' results (see {@link #getEngines()}); null when none were chosen
     * @param change  what the batch's last re-check changed in the item; null when nothing
     */
    public BatchItem(String hash, HashType type, String status, String error, Verdict verdict, boolean stale,
            boolean refreshing, String context, VerdictPolicy policy, Map<String, String> engines, Change change) {
        this.policy = policy == null ? VerdictPolicy.DEFAULT : policy;
        this.engines = engines;
        this.change = change;
        this.hash = hash;
        this.type = type;
        this.status = status;
        this.error = error;
        this.verdict = verdict;
        this.stale = stale;
        this.refreshing = refreshing;
        this.context = context;
    }

    public String getHash() {
        return hash;
    }

    /** md5, sha1 or sha256. */
    public String getType() {
        return type.name().toLowerCase(java.util.Locale.ROOT);
    }

    @JsonIgnore
    public String getTypeLabel() {
        return type.label();
    }

    public String getStatus() {
        return status;
    }

    /** The item's category: malicious, suspicious, clean, not_found, error or pending. */
    public String getVerdict() {
        return category().key();
    }

    @JsonIgnore
    public ItemQuery.Verdict category() {
        if (verdict == null) {
            return switch (status) {
                case NOT_FOUND -> ItemQuery.Verdict.NOT_FOUND;
                case ERROR -> ItemQuery.Verdict.ERROR;
                default -> ItemQuery.Verdict.PENDING;
            };
        }
        return policy.categorise(verdict.malicious(), verdict.suspicious());
    }

    /**
     * Each chosen engine's result (MY_ENGINES or {@code engines=...}), in the order chosen: what it called the
     * file when it flagged it (or "malicious"/"suspicious" when it gave no name), null when it did not flag
     * it. Null when no engine was chosen or the file has no answer.
     */
    public Map<String, String> getEngines() {
        return verdict == null ? null : engines;
    }

    /**
     * True when the file counts as malicious and none of the chosen engines flags it: what "my" products
     * would miss. Null when no engine was chosen or the file has no answer.
     */
    public Boolean getGap() {
        Map<String, String> results = getEngines();
        if (results == null) {
            return null;
        }
        return category() == ItemQuery.Verdict.MALICIOUS && results.values().stream().allMatch(r -> r == null);
    }

    public String getError() {
        return error;
    }

    public Integer getMalicious() {
        return verdict == null ? null : verdict.malicious();
    }

    public Integer getSuspicious() {
        return verdict == null ? null : verdict.suspicious();
    }

    public Integer getUndetected() {
        return verdict == null ? null : verdict.undetected();
    }

    public Integer getHarmless() {
        return verdict == null ? null : verdict.harmless();
    }

    /** Engines that gave a verdict: malicious + suspicious + undetected + harmless. */
    public Integer getTotal() {
        return verdict == null ? null
                : verdict.malicious() + verdict.suspicious() + verdict.undetected() + verdict.harmless();
    }

    public String getLabel() {
        return verdict == null ? null : verdict.label();
    }

    public String getName() {
        return verdict == null ? null : verdict.name();
    }

    public String getFileType() {
        return verdict == null ? null : verdict.fileType();
    }

    public String getSha256() {
        return verdict == null ? (type == HashType.SHA256 ? hash : null) : verdict.sha256();
    }

    /** First submission to VirusTotal, ISO-8601 UTC. */
    public String getFirstSeen() {
        return verdict == null || verdict.firstSeen() == null ? null : verdict.firstSeen().toString();
    }

    /** Date of the last analysis, ISO-8601 UTC. */
    public String getLastAnalysis() {
        return verdict == null || verdict.lastAnalysis() == null ? null : verdict.lastAnalysis().toString();
    }

    /** First-seen day, for the page. */
    @JsonIgnore
    public String getFirstSeenDate() {
        String firstSeen = getFirstSeen();
        return firstSeen == null ? null : firstSeen.substring(0, 10);
    }

    /** VirusTotal's page for the file; before an answer, its page for the hash as uploaded. */
    public String getVtUrl() {
        String sha256 = getSha256();
        return VT_GUI_FILE + (sha256 != null ? sha256 : hash);
    }

    /** The answer shown is older than its time to live (CACHE_TTL_DAYS, NOT_FOUND_TTL_HOURS). */
    public boolean isStale() {
        return stale;
    }

    /** A new lookup of this stale answer is queued. */
    public boolean isRefreshing() {
        return refreshing;
    }

    /**
     * The line of the upload the hash first came from, at most 200 characters around it, the hash marked
     * {@code «like this»}; null for batches stored before lines were kept. Uploader's text: escape it.
     */
    public String getContext() {
        return context;
    }

    /** The file's MD5: from the answer, or the hash itself while unanswered when it is one. */
    public String getMd5() {
        return verdict == null ? (type == HashType.MD5 ? hash : null) : verdict.md5();
    }

    /** The file's SHA-1: from the answer, or the hash itself while unanswered when it is one. */
    public String getSha1() {
        return verdict == null ? (type == HashType.SHA1 ? hash : null) : verdict.sha1();
    }

    /** Size in bytes; null when unknown. */
    public Long getSize() {
        return verdict == null ? null : verdict.fields().size();
    }

    /** How often the file was submitted to VirusTotal; null when unknown. */
    public Long getTimesSubmitted() {
        return verdict == null ? null : verdict.fields().timesSubmitted();
    }

    /** The top popular threat name (e.g. {@code emotet}); null when VirusTotal names none. */
    public String getFamily() {
        return verdict == null ? null : verdict.fields().family();
    }

    /** The top popular threat category (e.g. {@code trojan}); null when VirusTotal names none. */
    public String getCategory() {
        return verdict == null ? null : verdict.fields().category();
    }

    /** The code-signing signer; null when unsigned or unknown. */
    public String getSigner() {
        return verdict == null ? null : verdict.fields().signer();
    }

    /** Whether the signature verified; null when the answer does not say. */
    public Boolean getSignerVerified() {
        return verdict == null ? null : verdict.fields().signerVerified();
    }

    /** Names of the crowdsourced YARA rules that matched; empty when none, null without an answer. */
    public List<String> getYaraRules() {
        return verdict == null ? null : verdict.fields().yaraRules();
    }

    /** Sigma rule matches by severity (critical, high, medium, low); null without Sigma analysis. */
    public Map<String, Integer> getSigma() {
        return verdict == null ? null : verdict.fields().sigma();
    }

    /** Each sandbox's verdict; empty when none, null without an answer. */
    public List<AnswerFields.SandboxVerdict> getSandboxVerdicts() {
        return verdict == null ? null : verdict.fields().sandboxVerdicts();
    }

    /** VirusTotal's tags; empty when none, null without an answer. */
    public List<String> getTags() {
        return verdict == null ? null : verdict.tags();
    }

    /** UTC year of the first submission; null when unknown. */
    @JsonIgnore
    public Integer getFirstSeenYear() {
        return verdict == null ? null : verdict.fields().firstSeenYear();
    }

    /** The YARA rules for the page, comma-separated; empty when none. */
    @JsonIgnore
    public String getYaraRulesText() {
        return getYaraRules() == null ? "" : String.join(", ", getYaraRules());
    }

    /** The tags for the page, comma-separated; empty when none. */
    @JsonIgnore
    public String getTagsText() {
        return getTags() == null ? "" : String.join(", ", getTags());
    }

    /** The kinds of change the batch's last re-check found in this item; empty when none. */
    public java.util.List<String> getChange() {
        return change == null ? java.util.List.of() : change.kinds();
    }

    /** The item's answer before the last re-check when it changed; null otherwise. */
    public Previous getPrevious() {
        return change == null ? null : change.previous();
    }

    /** The verdict before the last re-check, under this report's policy; null when it did not change. */
    @JsonIgnore
    public String getPreviousVerdict() {
        Previous previous = getPrevious();
        return previous == null ? null : previous.verdict(policy);
    }

    /** The kinds of change as text for the page and the CSV: space-separated; empty when none. */
    @JsonIgnore
    public String getChangeText() {
        return String.join(" ", getChange());
    }
}
