-- The lowest sign-in level a client accepts (an acr level name), whatever
-- the request asks; NULL = the request decides.
ALTER TABLE clients ADD COLUMN required_acr TEXT;

-- Face policy changes made in the console or the admin API; the newest row
-- is in force (over visage.toml), the others are its history.
CREATE TABLE face_policy_changes (
    id TEXT PRIMARY KEY NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    policy TEXT NOT NULL
);
CREATE INDEX face_policy_changes_at ON face_policy_changes(at);
