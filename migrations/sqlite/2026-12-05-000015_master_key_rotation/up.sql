-- Master key rotation (docs/operations.md "Master key rotation").
-- Keys whose output must outlive a master key (the HMAC of client secrets
-- and codes, the audit seals' MAC), sealed under the master key.
CREATE TABLE master_key_material (
    name TEXT PRIMARY KEY NOT NULL,
    sealed BLOB NOT NULL
);

-- Each rotation: the new key's id, the old one's, each sealed under the
-- other while it runs (so every server learns the key it lacks), and how far
-- the re-sealing got (field, last row id). `running` is 1 while it
-- runs and NULL after: at most one rotation runs at a time.
CREATE TABLE master_key_rotations (
    new_id TEXT PRIMARY KEY NOT NULL,
    old_id TEXT NOT NULL,
    new_under_old BLOB,
    old_under_new BLOB,
    running BIGINT UNIQUE,
    field TEXT NOT NULL,
    after_id TEXT NOT NULL,
    resealed BIGINT NOT NULL,
    actor TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT
);
