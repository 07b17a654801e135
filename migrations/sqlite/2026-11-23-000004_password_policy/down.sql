ALTER TABLE clients DROP COLUMN password_policy;
