-- Earlier answers of a hash, kept when a newer answer replaces them (the newest 10 per hash; see
-- lookup/LookupRepository). status: done (the figures are VirusTotal's) or not_found (figures empty).
-- answered_at: when the earlier answer was stored; replaced_at: when the newer one replaced it.
CREATE TABLE verdict_history (
  hash        TEXT NOT NULL,
  replaced_at BIGINT NOT NULL,
  answered_at BIGINT NOT NULL,
  status      TEXT NOT NULL,
  malicious   INTEGER,
  suspicious  INTEGER,
  undetected  INTEGER,
  harmless    INTEGER,
  label       TEXT,
  family      TEXT,
  PRIMARY KEY (hash, replaced_at)
);

-- Re-checks of a batch: when the last one started and when it was done (null while it runs, and for a
-- batch never re-checked), and the schedule it is watched on (daily, weekly or null).
ALTER TABLE batches ADD COLUMN watch TEXT;
ALTER TABLE batches ADD COLUMN recheck_started_at BIGINT;
ALTER TABLE batches ADD COLUMN recheck_done_at BIGINT;

-- 1 once the batch's completion was announced (claimed by one instance). Batches stored before are
-- not announced.
ALTER TABLE batches ADD COLUMN done_notified INTEGER NOT NULL DEFAULT 0;
UPDATE batches SET done_notified = 1;
CREATE INDEX batches_done_notified ON batches(done_notified);

-- What the batch's last re-check found, per item that changed: the kinds of change (comma-separated,
-- with a comma before and after, so a filter matches ',kind,') and the answer before the re-check.
CREATE TABLE batch_changes (
  batch_id         TEXT NOT NULL,
  hash             TEXT NOT NULL,
  kinds            TEXT NOT NULL,
  prev_status      TEXT NOT NULL,
  prev_answered_at BIGINT,
  prev_malicious   INTEGER,
  prev_suspicious  INTEGER,
  prev_undetected  INTEGER,
  prev_harmless    INTEGER,
  prev_label       TEXT,
  prev_family      TEXT,
  PRIMARY KEY (batch_id, hash)
);
