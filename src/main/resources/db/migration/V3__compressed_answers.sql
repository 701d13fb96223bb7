-- VirusTotal's answers stored gzipped (see lookup/StoredAnswer): a new answer leaves raw_json empty.
-- Answers stored before are rewritten by the application in small transactions after start-up
-- (LookupRepository.compressStoredAnswers); until then raw_json is read. BYTEA: PostgreSQL's binary
-- type; SQLite accepts the name and stores the bytes as a BLOB.
ALTER TABLE files ADD COLUMN raw_gzip BYTEA;
