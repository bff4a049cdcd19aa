-- The audit store: accounts, teams, principals, resources with tag history, append-only audit
-- events in monthly partitions, rejected records, conflicts, ingestion runs and checkpoints.
-- Hand-written: partitions and triggers are beyond what Prisma's schema language expresses.

CREATE TABLE accounts (
  account_id  text PRIMARY KEY,
  first_seen  timestamptz NOT NULL DEFAULT now(),
  last_seen   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE teams (
  id          bigserial PRIMARY KEY,
  name        text NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE principals (
  id                bigserial PRIMARY KEY,
  arn               text NOT NULL UNIQUE,
  principal_type    text NOT NULL CHECK (principal_type IN ('IAM_USER','ROLE','ASSUMED_ROLE_SESSION','FEDERATED_USER','SAML_USER','WEB_IDENTITY_USER','ROOT','AWS_SERVICE','AWS_ACCOUNT','IDENTITY_CENTER_USER','UNKNOWN')),
  account_id        text,
  name              text NOT NULL,
  aws_principal_id  text,
  -- tags and team come from the resource with the same ARN (IAM roles and users are resources too)
  tags              jsonb NOT NULL DEFAULT '{}'::jsonb,
  team_id           bigint REFERENCES teams(id),
  first_seen        timestamptz NOT NULL,
  last_seen         timestamptz NOT NULL
);
CREATE INDEX principals_team_idx ON principals (team_id);
CREATE INDEX principals_account_idx ON principals (account_id);

CREATE TABLE resources (
  id                       bigserial PRIMARY KEY,
  arn                      text NOT NULL UNIQUE,
  service                  text NOT NULL,
  resource_type            text,
  name                     text,
  region                   text,
  account_id               text,
  tags                     jsonb NOT NULL DEFAULT '{}'::jsonb,
  owner_team_id            bigint REFERENCES teams(id),
  created_by_principal_id  bigint REFERENCES principals(id),
  created_event_id         text,
  created_at               timestamptz,
  first_seen               timestamptz NOT NULL,
  last_seen                timestamptz NOT NULL,
  deleted_at               timestamptz,
  deleted_event_id         text,
  -- the last complete tag sync that listed this resource; only such resources can be swept
  last_sync_run_id         bigint
);
CREATE INDEX resources_name_lower_idx ON resources (lower(name));
CREATE INDEX resources_owner_team_idx ON resources (owner_team_id);
CREATE INDEX resources_scope_idx ON resources (account_id, region, service, resource_type);
CREATE INDEX resources_tags_idx ON resources USING gin (tags jsonb_path_ops);

-- Every observed change of one tag on one resource (value NULL = the tag was removed). Append-only
-- observations make out-of-order arrival harmless: the value at time t is the latest observation
-- at or before t. resource_tag_periods derives the from/to form.
CREATE TABLE resource_tag_changes (
  id                  bigserial PRIMARY KEY,
  resource_id         bigint NOT NULL REFERENCES resources(id),
  tag_key             text NOT NULL,
  tag_value           text,
  changed_at          timestamptz NOT NULL,
  source_event_id     text,
  source_sync_run_id  bigint,
  CHECK ((source_event_id IS NULL) <> (source_sync_run_id IS NULL))
);
CREATE UNIQUE INDEX resource_tag_changes_event_uq ON resource_tag_changes (resource_id, tag_key, source_event_id) WHERE source_event_id IS NOT NULL;
CREATE UNIQUE INDEX resource_tag_changes_sync_uq ON resource_tag_changes (resource_id, tag_key, source_sync_run_id) WHERE source_sync_run_id IS NOT NULL;
CREATE INDEX resource_tag_changes_lookup_idx ON resource_tag_changes (resource_id, tag_key, changed_at DESC, id DESC);

CREATE VIEW resource_tag_periods AS
SELECT c.id, c.resource_id, c.tag_key, c.tag_value,
       c.changed_at AS valid_from,
       lead(c.changed_at) OVER w AS valid_to,
       c.source_event_id, c.source_sync_run_id
FROM resource_tag_changes c
WINDOW w AS (PARTITION BY c.resource_id, c.tag_key ORDER BY c.changed_at, c.id);

CREATE TABLE ingestion_runs (
  id           bigserial PRIMARY KEY,
  kind         text NOT NULL CHECK (kind IN ('cloudtrail-files','lookup-events','tag-files','get-resources')),
  scope        text NOT NULL,
  started_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  status       text NOT NULL DEFAULT 'running' CHECK (status IN ('running','succeeded','failed')),
  complete     boolean NOT NULL DEFAULT false,
  counts       jsonb NOT NULL DEFAULT '{}'::jsonb,
  error        text
);
CREATE INDEX ingestion_runs_kind_scope_idx ON ingestion_runs (kind, scope, started_at DESC);

CREATE TABLE ingestion_checkpoints (
  source      text NOT NULL,
  scope       text NOT NULL,
  position    jsonb NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, scope)
);

-- Global uniqueness of eventID. audit_events is partitioned by time, and a partitioned table's
-- unique keys must include the partition key, so exactly-once lives here.
CREATE TABLE audit_event_keys (
  event_id        text PRIMARY KEY,
  event_time      timestamptz NOT NULL,
  content_sha256  text NOT NULL
);

CREATE TABLE audit_events (
  event_id           text NOT NULL,
  event_time         timestamptz NOT NULL,
  event_source       text NOT NULL,
  event_name         text NOT NULL,
  event_type         text,
  event_category     text,
  aws_region         text,
  account_id         text,
  principal_id       bigint,
  principal_arn      text,
  principal_type     text,
  user_identity_arn  text,
  session_name       text,
  access_key_id      text,
  invoked_by         text,
  source_ip_address  text,
  user_agent         text,
  error_code         text,
  error_message      text,
  read_only          boolean,
  resource_arns      text[] NOT NULL DEFAULT '{}',
  -- the record as received (json keeps the text: key order and values exactly as stored)
  raw                json NOT NULL,
  content_sha256     text NOT NULL,
  ingestion_run_id   bigint,
  ingested_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_time, event_id)
) PARTITION BY RANGE (event_time);
CREATE INDEX audit_events_event_id_idx ON audit_events (event_id);
CREATE INDEX audit_events_principal_idx ON audit_events (principal_id, event_time DESC);
CREATE INDEX audit_events_name_idx ON audit_events (event_source, event_name, event_time DESC);
CREATE INDEX audit_events_scope_idx ON audit_events (account_id, aws_region, event_time DESC);
CREATE INDEX audit_events_resources_idx ON audit_events USING gin (resource_arns);
-- Events older than any monthly partition (or far in the future) land here rather than fail.
CREATE TABLE audit_events_default PARTITION OF audit_events DEFAULT;

-- Append-only in the database itself: UPDATE, DELETE and TRUNCATE are refused whoever asks.
CREATE FUNCTION refuse_audit_event_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit store is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$;
-- Monthly partitions are created on demand by the loader; this makes one (idempotent, race-safe).
CREATE FUNCTION ensure_audit_event_partition(month_start date) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  part_name text := format('audit_events_%s', to_char(month_start, 'YYYY_MM'));
  moved int;
BEGIN
  IF to_regclass(part_name) IS NOT NULL THEN RETURN; END IF;
  PERFORM pg_advisory_xact_lock(hashtext('ensure_audit_event_partition'));
  IF to_regclass(part_name) IS NOT NULL THEN RETURN; END IF;
  -- Rows of that month already in the default partition would block the new partition.
  SELECT count(*) INTO moved FROM audit_events_default
   WHERE event_time >= month_start AND event_time < (month_start + interval '1 month');
  IF moved > 0 THEN
    RAISE NOTICE 'audit_events_default holds % rows for %; they stay there', moved, month_start;
    RETURN;
  END IF;
  EXECUTE format('CREATE TABLE %I PARTITION OF audit_events FOR VALUES FROM (%L) TO (%L)',
                 part_name, month_start, (month_start + interval '1 month')::date);
  -- TRUNCATE of a partition itself does not fire the parent's statement trigger.
  EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_event_change()',
                 part_name || '_no_truncate', part_name);
END $$;

CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION refuse_audit_event_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_event_change();
CREATE TRIGGER audit_event_keys_append_only BEFORE UPDATE OR DELETE ON audit_event_keys
  FOR EACH ROW EXECUTE FUNCTION refuse_audit_event_change();
CREATE TRIGGER audit_events_default_no_truncate BEFORE TRUNCATE ON audit_events_default
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_event_change();
CREATE TRIGGER audit_event_keys_no_truncate BEFORE TRUNCATE ON audit_event_keys
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_event_change();

-- A known eventID arriving with different content: kept beside the stored event, never over it.
CREATE TABLE event_conflicts (
  id                 bigserial PRIMARY KEY,
  event_id           text NOT NULL,
  content_sha256     text NOT NULL,
  stored_sha256      text NOT NULL,
  raw                json NOT NULL,
  source             text NOT NULL,
  position           text NOT NULL,
  ingestion_run_id   bigint,
  detected_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (event_id, content_sha256)
);

CREATE TABLE rejected_records (
  id                bigserial PRIMARY KEY,
  source            text NOT NULL,
  position          text NOT NULL,
  reason            text NOT NULL,
  raw               text NOT NULL,
  raw_sha256        text NOT NULL,
  ingestion_run_id  bigint,
  rejected_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (source, position, raw_sha256)
);
