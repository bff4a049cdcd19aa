-- Who may ask what. API keys (only a hash of each secret is kept), and the two database roles an
-- API request runs as: every request's transaction sets one of them (SET LOCAL ROLE) with its
-- caller's scope in transaction-local settings, and row-level security narrows every read and
-- change of a team-scoped caller in Postgres itself, whatever SQL a resolver sends.
--   govgraph_api_unscoped  admin, auditor: BYPASSRLS
--   govgraph_api_scoped    team-lead, team-member (their teams), ownership-bot (resources only)

CREATE TABLE api_keys (
  id             text PRIMARY KEY CHECK (id ~ '^[a-z0-9]{12}$'),
  name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
  role           text NOT NULL CHECK (role IN ('admin','auditor','team-lead','team-member','ownership-bot')),
  teams          text[] NOT NULL DEFAULT '{}',
  -- SHA-256 of the 256-bit random secret: a fast hash is enough for a secret no one can guess
  secret_sha256  text NOT NULL CHECK (secret_sha256 ~ '^[0-9a-f]{64}$'),
  created_at     timestamptz NOT NULL DEFAULT now(),
  expires_at     timestamptz,
  revoked_at     timestamptz,
  CHECK ((role IN ('team-lead','team-member')) = (cardinality(teams) > 0))
);

-- Roles are global to the cluster: several databases (and concurrent migrations) may make them.
DO $$
BEGIN
  BEGIN CREATE ROLE govgraph_api_unscoped NOLOGIN BYPASSRLS; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
  BEGIN CREATE ROLE govgraph_api_scoped NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
END $$;
-- the user the API connects as may take either role
GRANT govgraph_api_unscoped, govgraph_api_scoped TO CURRENT_USER;

GRANT USAGE ON SCHEMA public TO govgraph_api_unscoped, govgraph_api_scoped;
-- what the API reads, and nothing else (the IAM change log, snapshots and ingestion tables are
-- the workers' business)
GRANT SELECT ON accounts, teams, principals, resources, resource_tag_changes, resource_tag_periods,
  audit_events, violations, violation_status_changes, iam_fact_periods, policy_grants
  TO govgraph_api_unscoped, govgraph_api_scoped;
-- the violation lifecycle (suppress, reopen) is the API's only change
GRANT UPDATE (status, suppressed_reason, suppressed_by, suppressed_until, resolved_at, resolved_by_event_id)
  ON violations TO govgraph_api_unscoped, govgraph_api_scoped;
GRANT INSERT ON violation_status_changes TO govgraph_api_unscoped, govgraph_api_scoped;
GRANT USAGE ON SEQUENCE violation_status_changes_id_seq TO govgraph_api_unscoped, govgraph_api_scoped;
-- views read with the caller's rights, so row-level security applies through them
ALTER VIEW resource_tag_periods SET (security_invoker = true);

-- The caller's scope, from settings the API sets per transaction (set_config(…, true)).
CREATE FUNCTION govgraph_scope_teams() RETURNS text[]
LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting('govgraph.scope_teams', true), ''), '{}')::text[]
$$;
CREATE FUNCTION govgraph_scope_all_resources() RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT coalesce(current_setting('govgraph.scope_all_resources', true), '') = 'on'
$$;

-- The helpers below read past row-level security (SECURITY DEFINER, owned by the migrating
-- user): a policy that read a table with a policy of its own would recurse.
CREATE FUNCTION govgraph_scope_team_ids() RETURNS bigint[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT coalesce(array_agg(id), '{}') FROM teams WHERE name = ANY ((SELECT govgraph_scope_teams())::text[])
$$;

-- An event is a team's when its acting principal or a resource it touched carried the team's tag
-- when it happened (the latest change of the team tag at or before the event). Checked per event
-- row: a few index probes (resources by ARN, then resource_tag_changes_lookup_idx), with the scope
-- read once per call. plpgsql, because a chain of SQL functions here cost five times as much per
-- row; and no "ever had the team" prefilter of ARNs: comparing each row's ARNs with a large team's
-- thousands cost more than the probes it would save.
CREATE FUNCTION govgraph_event_in_scope(p_principal_arn text, p_resource_arns text[], p_at timestamptz) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_teams text[] := govgraph_scope_teams();
  v_key text := current_setting('govgraph.team_tag_key', true);
  v_arn text;
  v_team text;
BEGIN
  IF cardinality(v_teams) = 0 THEN
    RETURN false;
  END IF;
  FOREACH v_arn IN ARRAY array_prepend(p_principal_arn, p_resource_arns) LOOP
    CONTINUE WHEN v_arn IS NULL;
    SELECT c.tag_value INTO v_team
      FROM resources r JOIN resource_tag_changes c ON c.resource_id = r.id
     WHERE r.arn = v_arn AND c.tag_key = v_key AND c.changed_at <= p_at
     ORDER BY c.changed_at DESC, c.id DESC
     LIMIT 1;
    IF FOUND AND v_team = ANY (v_teams) THEN
      RETURN true;
    END IF;
  END LOOP;
  RETURN false;
END $$;

ALTER TABLE principals ENABLE ROW LEVEL SECURITY;
ALTER TABLE resources ENABLE ROW LEVEL SECURITY;
ALTER TABLE resource_tag_changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE violations ENABLE ROW LEVEL SECURITY;
ALTER TABLE violation_status_changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE policy_grants ENABLE ROW LEVEL SECURITY;
ALTER TABLE iam_fact_periods ENABLE ROW LEVEL SECURITY;

-- (SELECT f()) makes each scope an init plan: computed once per statement, not once per row.
CREATE POLICY principals_scoped ON principals FOR SELECT TO govgraph_api_scoped
  USING (team_id = ANY ((SELECT govgraph_scope_team_ids())::bigint[]));
CREATE POLICY resources_scoped ON resources FOR SELECT TO govgraph_api_scoped
  USING ((SELECT govgraph_scope_all_resources()) OR owner_team_id = ANY ((SELECT govgraph_scope_team_ids())::bigint[]));
CREATE POLICY resource_tag_changes_scoped ON resource_tag_changes FOR SELECT TO govgraph_api_scoped
  USING (EXISTS (SELECT 1 FROM resources r WHERE r.id = resource_tag_changes.resource_id));
CREATE POLICY audit_events_scoped ON audit_events FOR SELECT TO govgraph_api_scoped
  USING (govgraph_event_in_scope(principal_arn, resource_arns, event_time));
CREATE POLICY violations_scoped ON violations FOR SELECT TO govgraph_api_scoped
  USING (team = ANY ((SELECT govgraph_scope_teams())::text[]));
CREATE POLICY violations_scoped_change ON violations FOR UPDATE TO govgraph_api_scoped
  USING (team = ANY ((SELECT govgraph_scope_teams())::text[]))
  WITH CHECK (team = ANY ((SELECT govgraph_scope_teams())::text[]));
CREATE POLICY violation_status_changes_scoped ON violation_status_changes FOR SELECT TO govgraph_api_scoped
  USING (EXISTS (SELECT 1 FROM violations v WHERE v.id = violation_status_changes.violation_id));
CREATE POLICY violation_status_changes_scoped_add ON violation_status_changes FOR INSERT TO govgraph_api_scoped
  WITH CHECK (EXISTS (SELECT 1 FROM violations v WHERE v.id = violation_status_changes.violation_id));
CREATE POLICY policy_grants_scoped ON policy_grants FOR SELECT TO govgraph_api_scoped
  USING (EXISTS (SELECT 1 FROM principals p WHERE p.arn = policy_grants.principal_arn));
-- An IAM user or role outside the scope does not exist for the caller (simulate, whoCan); the
-- policies, attachments and memberships its visible principals need stay readable.
CREATE POLICY iam_fact_periods_scoped ON iam_fact_periods FOR SELECT TO govgraph_api_scoped
  USING (fact_kind <> 'ENTITY' OR EXISTS (SELECT 1 FROM principals p WHERE p.arn = iam_fact_periods.payload->>'arn'));
