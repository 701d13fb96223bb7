-- The schema of the releases before versioned migrations, statement for statement. A database those
-- releases created is baselined at version 1 instead (see store/Database), so this never runs on it.
-- Portable SQL: the same file runs on SQLite and PostgreSQL. Times are epoch milliseconds (UTC).

CREATE TABLE IF NOT EXISTS batches (
  id           TEXT PRIMARY KEY,
  created_at   BIGINT NOT NULL,
  found        BIGINT NOT NULL,
  unique_count INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS batch_items (
  batch_id  TEXT NOT NULL REFERENCES batches(id),
  position  INTEGER NOT NULL,
  hash      TEXT NOT NULL,
  hash_type TEXT NOT NULL,
  PRIMARY KEY (batch_id, position)
);

CREATE INDEX IF NOT EXISTS batch_items_hash ON batch_items(hash);

-- One row per hash ever asked for: the state of its lookup, and where its answer is.
-- refresh = 1: a stale answer (done or not_found) is being looked up again.
CREATE TABLE IF NOT EXISTS lookups (
  hash        TEXT PRIMARY KEY,
  status      TEXT NOT NULL,
  attempts    INTEGER NOT NULL DEFAULT 0,
  refresh     INTEGER NOT NULL DEFAULT 0,
  error       TEXT,
  sha256      TEXT,
  updated_at  BIGINT NOT NULL
);

CREATE INDEX IF NOT EXISTS lookups_status ON lookups(status);

-- VirusTotal's answer for one file, shared by its md5, sha1 and sha256.
CREATE TABLE IF NOT EXISTS files (
  sha256        TEXT PRIMARY KEY,
  md5           TEXT,
  sha1          TEXT,
  malicious     INTEGER NOT NULL,
  suspicious    INTEGER NOT NULL,
  undetected    INTEGER NOT NULL,
  harmless      INTEGER NOT NULL,
  label         TEXT,
  name          TEXT,
  file_type     TEXT,
  first_seen    BIGINT,
  last_analysis BIGINT,
  reputation    INTEGER,
  tags          TEXT,
  raw_json      TEXT NOT NULL,
  fetched_at    BIGINT NOT NULL
);

-- Every request sent to VirusTotal, so the quota survives a restart.
CREATE TABLE IF NOT EXISTS api_calls (called_at BIGINT NOT NULL);

CREATE INDEX IF NOT EXISTS api_calls_time ON api_calls(called_at);
