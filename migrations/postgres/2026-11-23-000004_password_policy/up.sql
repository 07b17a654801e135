-- Per-client password fallback: default (the deployment's [login] settings),
-- email_code (password then a code sent by email), off (passkey only).
ALTER TABLE clients ADD COLUMN password_policy TEXT NOT NULL DEFAULT 'default';
