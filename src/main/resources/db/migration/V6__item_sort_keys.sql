-- Each batch item carries its sort and filter keys (see lookup/ItemKeys), copied from its lookup and answer
-- and rewritten with them in the same transaction, so a report sorted or filtered by any column reads its
-- first page through an index of batch_items alone instead of joining and sorting the whole batch.
-- verdict: 0 malicious, 1 suspicious, 2 clean, 3 not found, 4 error, 5 pending (the report's order).
-- Text keys are lower case and at most 200 characters; answer_text is what the text filter searches in
-- the answer (sha256, label, name, file type, one per line).
ALTER TABLE batch_items ADD COLUMN verdict INTEGER NOT NULL DEFAULT 5;
ALTER TABLE batch_items ADD COLUMN detections INTEGER;
ALTER TABLE batch_items ADD COLUMN label_key TEXT;
ALTER TABLE batch_items ADD COLUMN name_key TEXT;
ALTER TABLE batch_items ADD COLUMN file_type_key TEXT;
ALTER TABLE batch_items ADD COLUMN first_seen BIGINT;
ALTER TABLE batch_items ADD COLUMN answer_text TEXT;

-- The items already stored get their keys from their lookups (a pending one keeps the defaults). The line
-- breaks inside the quotes are the separators of answer_text.
UPDATE batch_items SET verdict = k.verdict, detections = k.detections, label_key = k.label_key,
    name_key = k.name_key, file_type_key = k.file_type_key, first_seen = k.first_seen, answer_text = k.answer_text
FROM (SELECT l.hash AS hash,
        CASE WHEN l.status = 'done' AND f.malicious > 0 THEN 0
             WHEN l.status = 'done' AND f.suspicious > 0 THEN 1
             WHEN l.status = 'done' THEN 2
             WHEN l.status = 'not_found' THEN 3
             WHEN l.status = 'error' THEN 4
             ELSE 5 END AS verdict,
        f.malicious AS detections,
        SUBSTR(LOWER(f.label), 1, 200) AS label_key,
        SUBSTR(LOWER(f.name), 1, 200) AS name_key,
        SUBSTR(LOWER(f.file_type), 1, 200) AS file_type_key,
        f.first_seen AS first_seen,
        LOWER(f.sha256 || '
' || COALESCE(f.label, '') || '
' || COALESCE(f.name, '') || '
' || COALESCE(f.file_type, '')) AS answer_text
      FROM lookups l LEFT JOIN files f ON l.status = 'done' AND f.sha256 = l.sha256
      WHERE l.status <> 'pending') AS k
WHERE batch_items.hash = k.hash;

-- One index per sort: (batch, key, position) gives a page in the sort's order, ties in upload order. Keys
-- that stay empty until an answer arrives are indexed only once they have a value (partial indexes), so an
-- upload of new hashes does not pay for them; a page of the empty ones walks the primary key.
CREATE INDEX batch_items_verdict ON batch_items(batch_id, verdict, position);
CREATE INDEX batch_items_type ON batch_items(batch_id, hash_type, position);
CREATE INDEX batch_items_detections ON batch_items(batch_id, detections, position) WHERE detections IS NOT NULL;
CREATE INDEX batch_items_label ON batch_items(batch_id, label_key, position) WHERE label_key IS NOT NULL;
CREATE INDEX batch_items_name ON batch_items(batch_id, name_key, position) WHERE name_key IS NOT NULL;
CREATE INDEX batch_items_file_type ON batch_items(batch_id, file_type_key, position) WHERE file_type_key IS NOT NULL;
CREATE INDEX batch_items_first_seen ON batch_items(batch_id, first_seen, position) WHERE first_seen IS NOT NULL;
-- The items of failed lookups, which an upload that opens them again turns back to pending.
CREATE INDEX batch_items_error ON batch_items(hash) WHERE verdict = 4;
