-- The SQLite schema that release 0.1 created (`create_all`, before migrations), as its
-- sqlite_master held it, and a few rows; tests/hub/test_migrations.py upgrades a copy.
-- Generated once from hub.store.models at daf48dc; never regenerate it from newer models.

CREATE TABLE branches (
	id VARCHAR(32) NOT NULL, 
	name VARCHAR(120) NOT NULL, 
	timezone VARCHAR(64) NOT NULL, 
	mode VARCHAR(16) NOT NULL, 
	max_capacity INTEGER NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE stream_messages (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
	recipient_kind VARCHAR(8) NOT NULL, 
	recipient_id VARCHAR(32) NOT NULL, 
	payload JSON NOT NULL, 
	created_at DATETIME NOT NULL
);
CREATE INDEX ix_stream_messages_recipient ON stream_messages (recipient_kind, recipient_id, id);
CREATE INDEX ix_stream_messages_created_at ON stream_messages (created_at);
CREATE TABLE stream_presence (
	id INTEGER NOT NULL, 
	kind VARCHAR(8) NOT NULL, 
	owner_id VARCHAR(32) NOT NULL, 
	opened_at DATETIME NOT NULL, 
	seen_at DATETIME NOT NULL, 
	closed_at DATETIME, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_stream_presence_owner ON stream_presence (kind, owner_id);
CREATE TABLE lookup_failures (
	id INTEGER NOT NULL, 
	booth_id VARCHAR(32) NOT NULL, 
	at DATETIME NOT NULL, 
	code VARCHAR(32) NOT NULL, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_lookup_failures_booth_at ON lookup_failures (booth_id, at);
CREATE TABLE audit_events (
	seq INTEGER NOT NULL, 
	at DATETIME NOT NULL, 
	actor VARCHAR(64) NOT NULL, 
	action VARCHAR(32) NOT NULL, 
	subject VARCHAR(64) NOT NULL, 
	details TEXT NOT NULL, 
	prev_hash VARCHAR(64) NOT NULL, 
	hash VARCHAR(64) NOT NULL, 
	PRIMARY KEY (seq), 
	UNIQUE (prev_hash)
);
CREATE TABLE audit_head (
	id INTEGER NOT NULL, 
	seq INTEGER NOT NULL, 
	hash VARCHAR(64) NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE hub_meta (
	"key" VARCHAR(64) NOT NULL, 
	value TEXT NOT NULL, 
	PRIMARY KEY ("key")
);
CREATE TABLE booths (
	id VARCHAR(32) NOT NULL, 
	branch_id VARCHAR(32) NOT NULL, 
	name VARCHAR(120) NOT NULL, 
	token_hash VARCHAR(64), 
	state VARCHAR(32), 
	last_seen DATETIME, 
	devices JSON NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(branch_id) REFERENCES branches (id), 
	UNIQUE (token_hash)
);
CREATE INDEX ix_booths_branch_id ON booths (branch_id);
CREATE TABLE agents (
	id VARCHAR(32) NOT NULL, 
	username VARCHAR(64) NOT NULL, 
	name VARCHAR(120) NOT NULL, 
	branch_id VARCHAR(32), 
	role VARCHAR(16), 
	disabled BOOLEAN, 
	password_hash VARCHAR(255) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	capacity INTEGER NOT NULL, 
	last_assigned_at DATETIME, 
	PRIMARY KEY (id), 
	UNIQUE (username), 
	FOREIGN KEY(branch_id) REFERENCES branches (id)
);
CREATE INDEX ix_agents_branch_id ON agents (branch_id);
CREATE TABLE enrollment_codes (
	code_hash VARCHAR(64) NOT NULL, 
	booth_id VARCHAR(32) NOT NULL, 
	created_at DATETIME NOT NULL, 
	expires_at DATETIME NOT NULL, 
	used_at DATETIME, 
	PRIMARY KEY (code_hash), 
	FOREIGN KEY(booth_id) REFERENCES booths (id)
);
CREATE INDEX ix_enrollment_codes_booth_id ON enrollment_codes (booth_id);
CREATE TABLE tickets (
	id INTEGER NOT NULL, 
	booking_code VARCHAR(8) NOT NULL, 
	nik VARCHAR(16) NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	service VARCHAR(16) NOT NULL, 
	branch_id VARCHAR(32) NOT NULL, 
	ticket_date DATE NOT NULL, 
	slot_start TIME NOT NULL, 
	slot_end TIME NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	priority BOOLEAN NOT NULL, 
	checked_in_booth VARCHAR(32), 
	PRIMARY KEY (id), 
	UNIQUE (booking_code), 
	FOREIGN KEY(branch_id) REFERENCES branches (id), 
	FOREIGN KEY(checked_in_booth) REFERENCES booths (id)
);
CREATE INDEX ix_tickets_branch_date_nik ON tickets (branch_id, ticket_date, nik);
CREATE TABLE agent_tokens (
	token_hash VARCHAR(64) NOT NULL, 
	agent_id VARCHAR(32) NOT NULL, 
	created_at DATETIME NOT NULL, 
	expires_at DATETIME NOT NULL, 
	PRIMARY KEY (token_hash), 
	FOREIGN KEY(agent_id) REFERENCES agents (id)
);
CREATE INDEX ix_agent_tokens_agent_id ON agent_tokens (agent_id);
CREATE TABLE sessions (
	id INTEGER NOT NULL, 
	booth_id VARCHAR(32) NOT NULL, 
	ticket_id INTEGER NOT NULL, 
	branch_id VARCHAR(32) NOT NULL, 
	state VARCHAR(16) NOT NULL, 
	priority BOOLEAN NOT NULL, 
	agent_id VARCHAR(32), 
	created_at DATETIME NOT NULL, 
	enqueued_at DATETIME, 
	assigned_at DATETIME, 
	closed_at DATETIME, 
	outcome VARCHAR(16), 
	started_at DATETIME, 
	on_hold BOOLEAN, 
	checklist JSON, 
	outcome_missing JSON, 
	outcome_reason TEXT, 
	rating INTEGER, 
	PRIMARY KEY (id), 
	FOREIGN KEY(booth_id) REFERENCES booths (id), 
	FOREIGN KEY(ticket_id) REFERENCES tickets (id), 
	FOREIGN KEY(branch_id) REFERENCES branches (id), 
	FOREIGN KEY(agent_id) REFERENCES agents (id)
);
CREATE INDEX ix_sessions_agent_id ON sessions (agent_id);
CREATE INDEX ix_sessions_ticket_id ON sessions (ticket_id);
CREATE INDEX ix_sessions_booth_id ON sessions (booth_id);
CREATE INDEX ix_sessions_branch_state ON sessions (branch_id, state);
CREATE TABLE still_requests (
	id VARCHAR(32) NOT NULL, 
	session_id INTEGER NOT NULL, 
	document VARCHAR(16) NOT NULL, 
	agent_id VARCHAR(32) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(session_id) REFERENCES sessions (id)
);
CREATE INDEX ix_still_requests_session_id ON still_requests (session_id);
CREATE TABLE stills (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
	session_id INTEGER NOT NULL, 
	request_id VARCHAR(32) NOT NULL, 
	document VARCHAR(16) NOT NULL, 
	width INTEGER NOT NULL, 
	height INTEGER NOT NULL, 
	size INTEGER NOT NULL, 
	sha256 VARCHAR(64) NOT NULL, 
	path VARCHAR(255) NOT NULL, 
	created_at DATETIME NOT NULL, 
	FOREIGN KEY(session_id) REFERENCES sessions (id)
);
CREATE INDEX ix_stills_created_at ON stills (created_at);
CREATE INDEX ix_stills_session_id ON stills (session_id);

-- rows
INSERT INTO branches VALUES ('tgc', 'Tangerang Cikokol', 'Asia/Jakarta', 'one_to_many', 5);
INSERT INTO booths VALUES ('tgc-01', 'tgc', 'Bilik 1', '5d41402abc4b2a76b9719d911017c592ae1bd5a0c1f2f09d3c8f6a8b6c0b1e2f', 'idle', '2026-11-30 02:00:00.000000', '{"camera": {"ok": true}}');
INSERT INTO agents VALUES ('tgc-cs1', 'dewi', 'Dewi Lestari', 'tgc', 'cs', FALSE, 'pbkdf2_sha256$600000$c2FsdA$aGFzaA', 'offline', 5, '2026-11-30 02:05:00.000000');
INSERT INTO agents VALUES ('pusat', 'pusat', 'Kantor Pusat', NULL, 'hq', FALSE, 'pbkdf2_sha256$600000$c2FsdA$aGFzaA', 'offline', 5, NULL);
INSERT INTO tickets VALUES (1, 'AB12CD34', '3174012345670001', 'Budi Santoso', 'JHT', 'tgc', '2026-11-30', '09:00:00.000000', '10:00:00.000000', 'done', FALSE, 'tgc-01');
INSERT INTO sessions VALUES (1, 'tgc-01', 1, 'tgc', 'closed', FALSE, 'tgc-cs1', '2026-11-30 02:01:00.000000', '2026-11-30 02:01:05.000000', '2026-11-30 02:05:00.000000', '2026-11-30 02:20:00.000000', 'verified', '2026-11-30 02:05:10.000000', FALSE, '{"ktp": true, "kk": true}', '[]', NULL, 5);
INSERT INTO stream_messages VALUES (7, 'booth', 'tgc-01', '{"type": "still_request", "id": "r1"}', '2026-11-30 02:10:00.000000');
INSERT INTO audit_events VALUES (1, '2026-11-30 02:01:00.000000', 'booth:tgc-01', 'checkin', 'ticket:AB12CD34', '{"booth":"tgc-01"}', '0000000000000000000000000000000000000000000000000000000000000000', 'd7ff19c1a5b80ec50918f0929f269e0616945cf803a19aab9d52f717a30c1b88');
INSERT INTO audit_head VALUES (1, 1, 'd7ff19c1a5b80ec50918f0929f269e0616945cf803a19aab9d52f717a30c1b88');
INSERT INTO hub_meta VALUES ('ticket_secret', 'a-secret-kept-by-release-0.1');
