-- The API access log: one row per request to the GraphQL API (allowed, refused or failed), written
-- in batches by src/server/access-log.ts and read by `apiAccessLog` and the compliance report.
-- Append-only like the audit store. Every text column is bounded, so a hostile client cannot make
-- giant rows (the writer cuts values to these bounds before inserting).

CREATE TABLE api_access_log (
  id              bigserial PRIMARY KEY,
  -- when the request arrived
  at              timestamptz NOT NULL,
  -- null when no credential was given, or it was refused before it identified anyone
  identity_kind   text CHECK (identity_kind IN ('api-key','oidc','local')),
  identity_id     text CHECK (char_length(identity_id) <= 256),
  identity_name   text CHECK (char_length(identity_name) <= 256),
  role            text CHECK (role IN ('admin','auditor','team-lead','team-member','ownership-bot')),
  transport       text NOT NULL CHECK (transport IN ('http','ws')),
  -- null when the request never resolved to one operation (parse or validation failure, refused before)
  operation_type  text CHECK (operation_type IN ('query','mutation','subscription')),
  operation_name  text CHECK (char_length(operation_name) <= 200),
  query_sha256    text CHECK (query_sha256 ~ '^[0-9a-f]{64}$'),
  -- the request's variables with secrets redacted and large parts cut (redactVariables)
  variables       jsonb CHECK (octet_length(variables::text) <= 32768),
  outcome         text NOT NULL CHECK (outcome IN ('allowed','refused','failed')),
  error_code      text CHECK (char_length(error_code) <= 64),
  http_status     integer CHECK (http_status BETWEEN 100 AND 599),
  rows_returned   integer CHECK (rows_returned >= 0),
  duration_ms     double precision CHECK (duration_ms >= 0),
  client_address  text CHECK (char_length(client_address) <= 100),
  user_agent      text CHECK (char_length(user_agent) <= 512),
  CHECK ((identity_kind IS NULL) = (identity_id IS NULL)),
  -- an allowed call has no error; a refused or failed one says why
  CHECK ((outcome = 'allowed') = (error_code IS NULL))
);
-- apiAccessLog: newest first, by (at, id)
CREATE INDEX api_access_log_at_idx ON api_access_log (at DESC, id DESC);
CREATE INDEX api_access_log_identity_id_idx ON api_access_log (identity_id, at DESC, id DESC);
CREATE INDEX api_access_log_identity_name_idx ON api_access_log (identity_name, at DESC, id DESC);
-- the report's refused calls per identity, and "what was refused lately"
CREATE INDEX api_access_log_refused_idx ON api_access_log (at DESC, id DESC) WHERE outcome = 'refused';

CREATE TRIGGER api_access_log_append_only BEFORE UPDATE OR DELETE ON api_access_log
  FOR EACH ROW EXECUTE FUNCTION refuse_audit_event_change();
CREATE TRIGGER api_access_log_no_truncate BEFORE TRUNCATE ON api_access_log
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_event_change();

-- Read by admin and auditor only (their requests run as govgraph_api_unscoped, made by
-- 20261206000000_api_auth); the team-scoped role has no right to it at all. The writer connects
-- as the API's own user, which owns the table.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'govgraph_api_unscoped') THEN
    GRANT SELECT ON api_access_log TO govgraph_api_unscoped;
  END IF;
END $$;
