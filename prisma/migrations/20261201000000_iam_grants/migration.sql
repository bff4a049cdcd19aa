-- IAM as data with validity in time. Snapshots (GetAccountAuthorizationDetails) and CloudTrail IAM
-- changes are appended to one change log; the state of a fact at time t is its latest change point
-- at or before t, so late and out-of-order arrival give the same answer as in-order arrival.
-- iam_fact_periods and policy_grants are derived from the log per account (refresh_iam_account).

ALTER TABLE ingestion_runs DROP CONSTRAINT ingestion_runs_kind_check;
ALTER TABLE ingestion_runs ADD CONSTRAINT ingestion_runs_kind_check
  CHECK (kind IN ('cloudtrail-files','lookup-events','tag-files','get-resources','iam-files','iam-snapshot'));

-- One complete listing of one account's IAM at one moment.
CREATE TABLE iam_snapshots (
  id                bigserial PRIMARY KEY,
  account_id        text NOT NULL,
  taken_at          timestamptz NOT NULL,
  content_sha256    text NOT NULL,
  source            text NOT NULL,
  counts            jsonb NOT NULL DEFAULT '{}'::jsonb,
  ingestion_run_id  bigint,
  ingested_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, taken_at)
);

-- Every change point of every IAM fact. A snapshot at T asserts what it lists at T and retracts at T
-- what was in force before it and is not listed; an event asserts or retracts at its eventTime.
-- fact_key: ENTITY `role/<name>`; INLINE_POLICY `role/<name>/<policy>`; MANAGED_POLICY `<policy arn>`;
-- ATTACHMENT `role/<name>|<policy arn>`; PERMISSIONS_BOUNDARY and TRUST_POLICY `role/<name>`;
-- GROUP_MEMBERSHIP `group/<name>|user/<name>` (IAM names never contain `/` or `|`).
CREATE TABLE iam_fact_changes (
  id           bigserial PRIMARY KEY,
  account_id   text NOT NULL,
  fact_kind    text NOT NULL CHECK (fact_kind IN ('ENTITY','INLINE_POLICY','MANAGED_POLICY','ATTACHMENT','PERMISSIONS_BOUNDARY','GROUP_MEMBERSHIP','TRUST_POLICY')),
  fact_key     text NOT NULL,
  op           text NOT NULL CHECK (op IN ('ASSERT','RETRACT')),
  at           timestamptz NOT NULL,
  payload      jsonb NOT NULL DEFAULT '{}'::jsonb,
  source_kind  text NOT NULL CHECK (source_kind IN ('SNAPSHOT','EVENT')),
  -- `snapshot:<iam_snapshots.id>` or the CloudTrail eventID
  source_id    text NOT NULL,
  recorded_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, fact_kind, fact_key, at, op, source_id)
);
-- assertions by time (what a snapshot ends) and by exact fact (is it listed by that snapshot?)
CREATE INDEX iam_fact_changes_asserts_idx ON iam_fact_changes (account_id, at, fact_kind, fact_key) WHERE op = 'ASSERT';
CREATE INDEX iam_fact_changes_source_idx ON iam_fact_changes (source_id);

CREATE TRIGGER iam_fact_changes_append_only BEFORE UPDATE OR DELETE ON iam_fact_changes
  FOR EACH ROW EXECUTE FUNCTION refuse_audit_event_change();
CREATE TRIGGER iam_fact_changes_no_truncate BEFORE TRUNCATE ON iam_fact_changes
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_event_change();
CREATE TRIGGER iam_snapshots_append_only BEFORE UPDATE OR DELETE ON iam_snapshots
  FOR EACH ROW EXECUTE FUNCTION refuse_audit_event_change();
CREATE TRIGGER iam_snapshots_no_truncate BEFORE TRUNCATE ON iam_snapshots
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_event_change();

-- Every managed policy version document seen (snapshots list them all; CreatePolicy and
-- CreatePolicyVersion events carry theirs), so a default version set later can be resolved.
-- A policy deleted and created again restarts at v1: the version's creation time tells them apart.
CREATE TABLE iam_policy_versions (
  id               bigserial PRIMARY KEY,
  account_id       text NOT NULL,
  policy_arn       text NOT NULL,
  version_id       text NOT NULL,
  document         jsonb NOT NULL,
  document_sha256  text NOT NULL,
  created_at       timestamptz,
  first_source_id  text NOT NULL,
  UNIQUE (account_id, policy_arn, version_id, document_sha256)
);

-- The fact intervals, computed from the change log: at each instant the last change point wins
-- (an event over a snapshot at the same instant; then by source id, so the choice never depends on
-- arrival order), and consecutive identical asserts collapse into one interval.
CREATE VIEW iam_fact_intervals AS
SELECT i.account_id, i.fact_kind, i.fact_key, i.payload, tstzrange(i.at, i.next_at, '[)') AS validity
  FROM (
    SELECT s.account_id, s.fact_kind, s.fact_key, s.op, s.payload, s.at,
           lead(s.at) OVER (PARTITION BY s.account_id, s.fact_kind, s.fact_key ORDER BY s.at) AS next_at
      FROM (
        SELECT p.*, lag(p.op) OVER w AS prev_op, lag(p.payload) OVER w AS prev_payload, row_number() OVER w AS n
          FROM (
            SELECT DISTINCT ON (c.account_id, c.fact_kind, c.fact_key, c.at)
                   c.account_id, c.fact_kind, c.fact_key, c.at, c.op, c.payload
              FROM iam_fact_changes c
             ORDER BY c.account_id, c.fact_kind, c.fact_key, c.at, (c.source_kind = 'EVENT') DESC, c.source_id DESC, c.op DESC
          ) p
        WINDOW w AS (PARTITION BY p.account_id, p.fact_kind, p.fact_key ORDER BY p.at)
      ) s
     WHERE s.n = 1 OR s.op <> s.prev_op OR (s.op = 'ASSERT' AND s.payload <> s.prev_payload)
  ) i
 WHERE i.op = 'ASSERT';

-- The intervals materialised per account (refresh_iam_account), for reads "as of" t.
CREATE TABLE iam_fact_periods (
  id          bigserial PRIMARY KEY,
  account_id  text NOT NULL,
  fact_kind   text NOT NULL,
  fact_key    text NOT NULL,
  payload     jsonb NOT NULL,
  validity    tstzrange NOT NULL
);
CREATE INDEX iam_fact_periods_kind_idx ON iam_fact_periods (fact_kind, account_id);
CREATE INDEX iam_fact_periods_validity_idx ON iam_fact_periods USING gist (validity);
-- entity lookups by exact key ("role/<name> of this account as of t")
CREATE INDEX iam_fact_periods_key_idx ON iam_fact_periods (account_id, fact_kind, fact_key);

-- One statement of one policy reaching one principal (IAM user or role), with where it came from
-- and when it held: the intersection of the intervals that produce it (entity ∩ membership ∩
-- attachment ∩ default version …), adjacent pieces merged.
CREATE TABLE policy_grants (
  id               bigserial PRIMARY KEY,
  account_id       text NOT NULL,
  principal_arn    text NOT NULL,
  principal_type   text NOT NULL CHECK (principal_type IN ('IAM_USER','ROLE')),
  kind             text NOT NULL CHECK (kind IN ('INLINE','MANAGED','GROUP_INLINE','GROUP_MANAGED','PERMISSIONS_BOUNDARY','TRUST_POLICY')),
  policy_arn       text,
  policy_name      text,
  version_id       text,
  via_group_arn    text,
  attached_to_arn  text NOT NULL,
  -- the policy document's `Version` as written (NULL when absent: AWS reads 2008-10-17); it decides
  -- whether `${…}` policy variables are substituted (only under 2012-10-17)
  document_version text,
  statement_index  integer NOT NULL,
  sid              text,
  effect           text NOT NULL CHECK (effect IN ('Allow','Deny')),
  statement        jsonb NOT NULL,
  action           text[],
  not_action       text[],
  resource         text[],
  not_resource     text[],
  -- lower-case service prefixes the statement's actions name; `*` when it may match any service
  action_services  text[] NOT NULL,
  validity         tstzrange NOT NULL
);
CREATE INDEX policy_grants_principal_idx ON policy_grants (principal_arn);
CREATE INDEX policy_grants_account_idx ON policy_grants (account_id);
CREATE INDEX policy_grants_validity_idx ON policy_grants USING gist (validity);
CREATE INDEX policy_grants_services_idx ON policy_grants USING gin (action_services);

-- The retractions a snapshot implies (it is a complete listing of its account): at its own time, of
-- what was asserted since the previous snapshot and is not listed; and, when a later snapshot was
-- stored first, at that later snapshot, of what this one lists and that one does not. Hash joins for
-- the reason given at refresh_iam_account.
CREATE FUNCTION iam_snapshot_retractions(p_account text, p_at timestamptz, p_source text) RETURNS void
LANGUAGE plpgsql SET enable_nestloop = off SET jit = off AS $$
DECLARE
  prev_at timestamptz;
  next_at timestamptz;
  next_source text;
BEGIN
  SELECT max(taken_at) INTO prev_at FROM iam_snapshots WHERE account_id = p_account AND taken_at < p_at;
  SELECT taken_at, 'snapshot:' || id INTO next_at, next_source
    FROM iam_snapshots WHERE account_id = p_account AND taken_at > p_at ORDER BY taken_at LIMIT 1;

  INSERT INTO iam_fact_changes (account_id, fact_kind, fact_key, op, at, payload, source_kind, source_id)
  SELECT DISTINCT p_account, c.fact_kind, c.fact_key, 'RETRACT', p_at, '{}'::jsonb, 'SNAPSHOT', p_source
    FROM iam_fact_changes c
   WHERE c.account_id = p_account AND c.op = 'ASSERT' AND c.at < p_at AND c.at >= COALESCE(prev_at, '-infinity')
     AND NOT EXISTS (SELECT 1 FROM iam_fact_changes l
                      WHERE l.account_id = p_account AND l.op = 'ASSERT' AND l.at = p_at AND l.source_id = p_source
                        AND l.fact_kind = c.fact_kind AND l.fact_key = c.fact_key)
  ON CONFLICT DO NOTHING;

  IF next_at IS NOT NULL THEN
    INSERT INTO iam_fact_changes (account_id, fact_kind, fact_key, op, at, payload, source_kind, source_id)
    SELECT p_account, c.fact_kind, c.fact_key, 'RETRACT', next_at, '{}'::jsonb, 'SNAPSHOT', next_source
      FROM iam_fact_changes c
     WHERE c.account_id = p_account AND c.op = 'ASSERT' AND c.at = p_at AND c.source_id = p_source
       AND NOT EXISTS (SELECT 1 FROM iam_fact_changes l
                        WHERE l.account_id = p_account AND l.op = 'ASSERT' AND l.at = next_at AND l.source_id = next_source
                          AND l.fact_kind = c.fact_kind AND l.fact_key = c.fact_key)
    ON CONFLICT DO NOTHING;
  END IF;
END $$;

-- A policy element that is a string or a list of strings, as text[] (NULL when absent).
CREATE FUNCTION iam_string_list(v jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE jsonb_typeof(v)
           WHEN 'string' THEN ARRAY[v #>> '{}']
           WHEN 'array' THEN ARRAY(SELECT e #>> '{}' FROM jsonb_array_elements(v) e)
         END
$$;

-- Recomputes one account's fact periods and policy grants from the change log.
-- Every join here is large and on equality: hash joins, whatever the statistics of tables filled in
-- this very transaction say (without them the planner picks nested loops and takes minutes); no JIT,
-- which the penalty on nested loops would otherwise set off for a second of compiling.
CREATE FUNCTION refresh_iam_account(p_account text) RETURNS integer
LANGUAGE plpgsql SET enable_nestloop = off SET jit = off AS $$
DECLARE
  granted integer;
BEGIN
  DELETE FROM iam_fact_periods WHERE account_id = p_account;
  INSERT INTO iam_fact_periods (account_id, fact_kind, fact_key, payload, validity)
  SELECT account_id, fact_kind, fact_key, payload, validity FROM iam_fact_intervals WHERE account_id = p_account;

  DELETE FROM policy_grants WHERE account_id = p_account;
  WITH iv AS MATERIALIZED (
    SELECT fact_kind, fact_key, payload, validity FROM iam_fact_periods WHERE account_id = p_account
  ), entities AS (
    SELECT fact_key AS entity, split_part(fact_key, '/', 1) AS entity_type, payload->>'arn' AS arn, validity
      FROM iv WHERE fact_kind = 'ENTITY' AND payload->>'arn' IS NOT NULL
  ), principals AS (
    SELECT * FROM entities WHERE entity_type IN ('user', 'role')
  ), groups AS (
    SELECT * FROM entities WHERE entity_type = 'group'
  ), inline AS (
    SELECT split_part(fact_key, '/', 1) || '/' || split_part(fact_key, '/', 2) AS entity,
           split_part(fact_key, '/', 3) AS policy_name, payload->'document' AS document, validity
      FROM iv WHERE fact_kind = 'INLINE_POLICY'
  ), attachments AS (
    SELECT split_part(fact_key, '|', 1) AS entity, split_part(fact_key, '|', 2) AS policy_arn, validity
      FROM iv WHERE fact_kind = 'ATTACHMENT'
  ), managed AS (
    -- the default version's document; among documents of the same version id (a policy created
    -- again), the latest created at or before the interval starts, else the earliest
    SELECT m.fact_key AS policy_arn, regexp_replace(m.fact_key, '^.*/', '') AS policy_name,
           m.payload->>'defaultVersionId' AS version_id, v.document, m.validity
      FROM iv m
      CROSS JOIN LATERAL (
        SELECT pv.document FROM iam_policy_versions pv
         WHERE pv.account_id = p_account AND pv.policy_arn = m.fact_key AND pv.version_id = m.payload->>'defaultVersionId'
         ORDER BY (pv.created_at IS NULL OR pv.created_at <= lower(m.validity)) DESC,
                  CASE WHEN pv.created_at <= lower(m.validity) THEN pv.created_at END DESC NULLS LAST,
                  pv.created_at, pv.document_sha256
         LIMIT 1
      ) v
     WHERE m.fact_kind = 'MANAGED_POLICY'
  ), boundaries AS (
    SELECT fact_key AS entity, payload->>'policyArn' AS policy_arn, validity FROM iv WHERE fact_kind = 'PERMISSIONS_BOUNDARY'
  ), memberships AS (
    SELECT split_part(fact_key, '|', 1) AS group_entity, split_part(fact_key, '|', 2) AS user_entity, validity
      FROM iv WHERE fact_kind = 'GROUP_MEMBERSHIP'
  ), trusts AS (
    SELECT fact_key AS entity, payload->'document' AS document, validity FROM iv WHERE fact_kind = 'TRUST_POLICY'
  ), group_members AS (
    -- a user in a group, while the user, the membership and the group all hold
    SELECT p.arn, p.entity_type, g.entity AS group_entity, g.arn AS group_arn, p.validity * ms.validity * g.validity AS validity
      FROM principals p
      JOIN memberships ms ON ms.user_entity = p.entity AND ms.validity && p.validity
      JOIN groups g ON g.entity = ms.group_entity AND g.validity && (p.validity * ms.validity)
  ), sourced AS (
    SELECT p.arn AS principal_arn, p.entity_type, 'INLINE' AS kind, NULL::text AS policy_arn, i.policy_name,
           NULL::text AS version_id, NULL::text AS via_group_arn, p.arn AS attached_to_arn, i.document,
           p.validity * i.validity AS validity
      FROM principals p JOIN inline i ON i.entity = p.entity AND i.validity && p.validity
    UNION ALL
    SELECT p.arn, p.entity_type, 'MANAGED', m.policy_arn, m.policy_name, m.version_id, NULL, p.arn, m.document,
           p.validity * a.validity * m.validity
      FROM principals p
      JOIN attachments a ON a.entity = p.entity AND a.validity && p.validity
      JOIN managed m ON m.policy_arn = a.policy_arn AND m.validity && (p.validity * a.validity)
    UNION ALL
    SELECT gm.arn, gm.entity_type, 'GROUP_INLINE', NULL, i.policy_name, NULL, gm.group_arn, gm.group_arn, i.document, gm.validity * i.validity
      FROM group_members gm JOIN inline i ON i.entity = gm.group_entity AND i.validity && gm.validity
    UNION ALL
    SELECT gm.arn, gm.entity_type, 'GROUP_MANAGED', m.policy_arn, m.policy_name, m.version_id, gm.group_arn, gm.group_arn, m.document,
           gm.validity * a.validity * m.validity
      FROM group_members gm
      JOIN attachments a ON a.entity = gm.group_entity AND a.validity && gm.validity
      JOIN managed m ON m.policy_arn = a.policy_arn AND m.validity && (gm.validity * a.validity)
    UNION ALL
    SELECT p.arn, p.entity_type, 'PERMISSIONS_BOUNDARY', m.policy_arn, m.policy_name, m.version_id, NULL, p.arn, m.document,
           p.validity * b.validity * m.validity
      FROM principals p
      JOIN boundaries b ON b.entity = p.entity AND b.validity && p.validity
      JOIN managed m ON m.policy_arn = b.policy_arn AND m.validity && (p.validity * b.validity)
    UNION ALL
    SELECT p.arn, p.entity_type, 'TRUST_POLICY', NULL, NULL, NULL, NULL, p.arn, t.document, p.validity * t.validity
      FROM principals p JOIN trusts t ON t.entity = p.entity AND t.validity && p.validity
  ), statements AS (
    SELECT s.principal_arn, s.entity_type, s.kind, s.policy_arn, s.policy_name, s.version_id, s.via_group_arn, s.attached_to_arn,
           s.document->>'Version' AS document_version, (st.ordinality - 1)::integer AS statement_index, st.value AS statement, s.validity
      FROM sourced s
      CROSS JOIN LATERAL jsonb_array_elements(
        CASE jsonb_typeof(s.document->'Statement')
          WHEN 'array' THEN s.document->'Statement'
          WHEN 'object' THEN jsonb_build_array(s.document->'Statement')
          ELSE '[]'::jsonb
        END) WITH ORDINALITY AS st(value, ordinality)
     WHERE NOT isempty(s.validity) AND jsonb_typeof(st.value) = 'object' AND st.value->>'Effect' IN ('Allow', 'Deny')
  ), merged AS (
    SELECT principal_arn, entity_type, kind, policy_arn, policy_name, version_id, via_group_arn, attached_to_arn,
           document_version, statement_index, statement, range_agg(validity) AS validities
      FROM statements
     GROUP BY principal_arn, entity_type, kind, policy_arn, policy_name, version_id, via_group_arn, attached_to_arn, document_version,
              statement_index, statement
  )
  INSERT INTO policy_grants (account_id, principal_arn, principal_type, kind, policy_arn, policy_name, version_id, via_group_arn,
                             attached_to_arn, document_version, statement_index, sid, effect, statement, action, not_action, resource,
                             not_resource, action_services, validity)
  SELECT p_account, m.principal_arn, CASE m.entity_type WHEN 'user' THEN 'IAM_USER' ELSE 'ROLE' END, m.kind, m.policy_arn, m.policy_name,
         m.version_id, m.via_group_arn, m.attached_to_arn, m.document_version, m.statement_index, m.statement->>'Sid', m.statement->>'Effect', m.statement,
         iam_string_list(m.statement->'Action'), iam_string_list(m.statement->'NotAction'),
         iam_string_list(m.statement->'Resource'), iam_string_list(m.statement->'NotResource'),
         CASE WHEN m.statement ? 'Action'
              THEN COALESCE(ARRAY(SELECT DISTINCT CASE WHEN a = '*' OR split_part(a, ':', 1) = '*' THEN '*' ELSE lower(split_part(a, ':', 1)) END
                                    FROM unnest(iam_string_list(m.statement->'Action')) AS a ORDER BY 1), '{}')
              ELSE ARRAY['*'] END,
         r.validity
    FROM merged m CROSS JOIN LATERAL unnest(m.validities) AS r(validity);
  GET DIAGNOSTICS granted = ROW_COUNT;
  RETURN granted;
END $$;
