DROP TABLE face_challenges;
DROP TABLE biometric_consents;
DROP TABLE face_templates;
