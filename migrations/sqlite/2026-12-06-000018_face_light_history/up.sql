-- The colour sequences of the screen-light challenges each person
-- answered (the server's own draws, nothing captured): a new challenge is
-- drawn unlike each of them, so a recording of an earlier answer cannot
-- follow it. The newest few per person are kept.
CREATE TABLE face_light_history (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    colours TEXT NOT NULL,
    answered_at BIGINT NOT NULL
);
CREATE INDEX face_light_history_user ON face_light_history(user_id, answered_at);
