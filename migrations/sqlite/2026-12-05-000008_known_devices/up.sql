-- Browsers that signed in to an account: a random cookie (`visage_device`)
-- stored as its hash, with the browser's name as the person would say it
-- ("Firefox on Linux"). A sign-in from a browser the account has never
-- used, when it has used others, mails the person a notice.
CREATE TABLE known_devices (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    device_hash TEXT NOT NULL,
    browser TEXT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    PRIMARY KEY (user_id, device_hash)
);
