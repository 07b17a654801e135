-- Alerts raised by the alert rules (docs/operations.md "Alerts"): one row per
-- rule and subject while it is unresolved (a repeat only counts up), mailed
-- to `alerts.mail_to` and posted to `alerts.webhook_url` once
-- (`notified_at`), acknowledged and resolved in the console or the API.
CREATE TABLE alerts (
    id TEXT PRIMARY KEY NOT NULL,
    rule TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
    address TEXT,
    count BIGINT NOT NULL,
    window_seconds BIGINT NOT NULL,
    action TEXT NOT NULL,
    raised_at BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    repeats BIGINT NOT NULL,
    state TEXT NOT NULL,
    acknowledged_by TEXT,
    acknowledged_at BIGINT,
    resolved_by TEXT,
    resolved_at BIGINT,
    notified_at BIGINT
);
CREATE INDEX alerts_state ON alerts(state, raised_at);
CREATE INDEX alerts_unnotified ON alerts(notified_at);
