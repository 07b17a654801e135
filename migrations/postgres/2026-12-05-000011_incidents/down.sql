DROP TABLE incident_switches;
DROP TABLE reauth_floors;
DROP TABLE blocked_networks;
