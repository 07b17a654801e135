-- Per-client face policy: default (people with a face template are asked),
-- require (the face level is essential), off (never asked).
ALTER TABLE clients ADD COLUMN face_policy TEXT NOT NULL DEFAULT 'default';

-- One face template per person, sealed with AES-256-GCM (AAD = user, template, model).
CREATE TABLE face_templates (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,
    model_id TEXT NOT NULL,
    sealed BYTEA NOT NULL,
    frames BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- The person's consent to face processing, with the text version they saw.
CREATE TABLE biometric_consents (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    text_version TEXT NOT NULL,
    granted_at BIGINT NOT NULL
);

-- Issued liveness challenges: single use, short-lived, bound to person and purpose.
CREATE TABLE face_challenges (
    id_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    challenge TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
