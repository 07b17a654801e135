-- Passkeys registered while an unresolved `passkey_registrations` alert
-- holds new registrations: each waits here for an administrator's
-- approval and cannot sign in until then. A new account made that way is
-- disabled until its first passkey is approved; rejecting it erases it.
CREATE TABLE registration_approvals (
    passkey_id TEXT PRIMARY KEY NOT NULL REFERENCES passkeys(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    new_account BOOLEAN NOT NULL,
    address TEXT,
    alert_id TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX registration_approvals_user ON registration_approvals(user_id);
