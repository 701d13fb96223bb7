-- VirusTotal's answers stored gzipped (see lookup/StoredAnswer): a new answer leaves raw_json empty.
-- Answers stored before are rewritten by the application in small transactions after start-up
-- (LookupRepository.compressStoredAnswers); until then raw_json is read. BYTEA: PostgreSQL's binary
-- type; SQLite accepts the name and stores the bytes as a BLOB.
ALTER TABLE files ADD COLUMN raw_gzip BYTEA;

-- A report sorted by hash reads its first page from this index instead of sorting the whole batch
-- (and an export sorted so reads each chunk from it).
CREATE INDEX batch_items_batch_hash ON batch_items(batch_id, hash);
