-- Face templates expire when unused for `face.template_max_idle_days`
-- (the person is mailed 14 days before): the last successful face check
-- and when that notice went out.
ALTER TABLE face_templates ADD COLUMN last_used_at BIGINT;
ALTER TABLE face_templates ADD COLUMN expiry_warned_at BIGINT;
