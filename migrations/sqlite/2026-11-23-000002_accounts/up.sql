-- Per-client branding shown on the hosted pages (JSON: logo_uri, policy_uri, tos_uri, colours).
ALTER TABLE clients ADD COLUMN branding TEXT;

-- WebAuthn passkeys; `credential` is a versioned StoredPasskey JSON document.
CREATE TABLE passkeys (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    credential TEXT NOT NULL,
    backup_eligible BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX passkeys_user ON passkeys(user_id);

-- Server-side WebAuthn ceremony state: single use, short-lived, bound to its owner.
CREATE TABLE ceremonies (
    id_hash TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    owner TEXT NOT NULL,
    state TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Codes sent by email: sign-up verification and account recovery.
CREATE TABLE email_challenges (
    id_hash TEXT PRIMARY KEY NOT NULL,
    purpose TEXT NOT NULL,
    user_id TEXT NOT NULL,
    email TEXT NOT NULL,
    name TEXT,
    code_hash TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    verified_at BIGINT,
    tx TEXT,
    locale TEXT,
    invitation TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX email_challenges_email ON email_challenges(email);

CREATE TABLE recovery_codes (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE invitations (
    id_hash TEXT PRIMARY KEY NOT NULL,
    email TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

-- Failure counters and temporary blocks shared by every instance.
CREATE TABLE lockouts (
    key TEXT PRIMARY KEY NOT NULL,
    failures BIGINT NOT NULL,
    window_start BIGINT NOT NULL,
    blocked_until BIGINT
);
