DROP TABLE lockouts;
DROP TABLE invitations;
DROP TABLE recovery_codes;
DROP TABLE email_challenges;
DROP TABLE ceremonies;
DROP TABLE passkeys;
ALTER TABLE clients DROP COLUMN branding;
