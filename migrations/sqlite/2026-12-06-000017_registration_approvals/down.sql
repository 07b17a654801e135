DROP TABLE registration_approvals;
