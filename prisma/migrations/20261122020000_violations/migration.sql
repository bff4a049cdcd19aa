-- Compliance findings: one violation per rule and offending event (and resource), with its
-- evidence and lifecycle. Status changes are appended to violation_status_changes (who, why, when).

CREATE TABLE violations (
  id                 bigserial PRIMARY KEY,
  rule_id            text NOT NULL,
  event_id           text NOT NULL,
  event_time         timestamptz NOT NULL,
  -- '' when the event names no resource, so the natural key stays unique
  resource_arn       text NOT NULL DEFAULT '',
  principal_arn      text,
  team               text,
  account_id         text,
  region             text,
  severity           text NOT NULL CHECK (severity IN ('CRITICAL','HIGH','MEDIUM','LOW','INFO')),
  message            text NOT NULL,
  evidence           jsonb NOT NULL,
  status             text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN','RESOLVED','SUPPRESSED')),
  first_seen         timestamptz NOT NULL DEFAULT now(),
  last_seen          timestamptz NOT NULL DEFAULT now(),
  resolved_at        timestamptz,
  resolved_by_event_id text,
  suppressed_reason  text,
  suppressed_by      text,
  suppressed_until   timestamptz,
  UNIQUE (rule_id, event_id, resource_arn)
);
CREATE INDEX violations_status_time_idx ON violations (status, event_time DESC);
CREATE INDEX violations_team_time_idx ON violations (team, event_time DESC);
CREATE INDEX violations_rule_time_idx ON violations (rule_id, event_time DESC);
CREATE INDEX violations_resource_idx ON violations (resource_arn);
CREATE INDEX violations_principal_idx ON violations (principal_arn);

CREATE TABLE violation_status_changes (
  id            bigserial PRIMARY KEY,
  violation_id  bigint NOT NULL REFERENCES violations(id),
  from_status   text,
  to_status     text NOT NULL,
  reason        text,
  changed_by    text NOT NULL,
  changed_at    timestamptz NOT NULL DEFAULT now(),
  until         timestamptz,
  event_id      text
);
CREATE INDEX violation_status_changes_violation_idx ON violation_status_changes (violation_id, changed_at);

-- The status history is an audit trail too.
CREATE TRIGGER violation_status_changes_append_only BEFORE UPDATE OR DELETE ON violation_status_changes
  FOR EACH ROW EXECUTE FUNCTION refuse_audit_event_change();
