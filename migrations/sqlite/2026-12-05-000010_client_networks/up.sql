-- The address ranges (CIDR, JSON list) a client may be used from: its calls
-- to /token, /introspect and /revoke from anywhere else are refused, so a
-- leaked client secret is no use outside them. Empty: anywhere.
ALTER TABLE clients ADD COLUMN allowed_networks TEXT NOT NULL DEFAULT '[]';
