-- The web origins (scheme://host[:port], JSON list) whose pages may call
-- /token and /userinfo for this client from a browser (CORS). Empty: none;
-- a server-side client sends no Origin and is unaffected.
ALTER TABLE clients ADD COLUMN allowed_origins TEXT NOT NULL DEFAULT '[]';
