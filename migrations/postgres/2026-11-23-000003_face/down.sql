DROP TABLE face_challenges;
DROP TABLE biometric_consents;
DROP TABLE face_templates;
ALTER TABLE clients DROP COLUMN face_policy;
