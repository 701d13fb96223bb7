-- What a report shows, filters, sorts and counts by beyond the verdict, picked out of VirusTotal's answer
-- when it is stored (see lookup/AnswerFields), so a facet or a filter of a 100,000-hash batch never reads
-- the stored answers. Rows stored before are filled from their stored answer by the application in small
-- transactions after start-up (LookupRepository.fillAnswerFields); fields_version = 0 until then.
ALTER TABLE files ADD COLUMN file_size BIGINT;
ALTER TABLE files ADD COLUMN times_submitted BIGINT;
ALTER TABLE files ADD COLUMN threat_family TEXT;
ALTER TABLE files ADD COLUMN threat_category TEXT;
ALTER TABLE files ADD COLUMN signer TEXT;
ALTER TABLE files ADD COLUMN signer_verified INTEGER;
ALTER TABLE files ADD COLUMN first_seen_year INTEGER;
-- JSON text, read only for the rows shown: the matching YARA rules' names, the Sigma counts by severity,
-- the sandboxes' verdicts.
ALTER TABLE files ADD COLUMN yara_rules TEXT;
ALTER TABLE files ADD COLUMN sigma TEXT;
ALTER TABLE files ADD COLUMN sandbox_verdicts TEXT;
ALTER TABLE files ADD COLUMN fields_version INTEGER NOT NULL DEFAULT 0;

-- The crowdsourced YARA rules that matched each file: the yaraRule filter and facet.
CREATE TABLE file_yara_rules (
  sha256 TEXT NOT NULL,
  rule   TEXT NOT NULL,
  PRIMARY KEY (sha256, rule)
);

-- The engines that flagged each file (malicious or suspicious) and what they called it: the gap filter
-- and the per-engine columns (MY_ENGINES, engines=...).
CREATE TABLE file_engines (
  sha256   TEXT NOT NULL,
  engine   TEXT NOT NULL,
  category TEXT NOT NULL,
  result   TEXT,
  PRIMARY KEY (sha256, engine)
);

-- Every engine name seen in an answer, so a chosen engine that appears in none is told apart.
CREATE TABLE engine_names (
  engine TEXT PRIMARY KEY
);
