/**
 * The lifecycle of `iam-training-without-vpc-allowed` violations: one stands while its principal can
 * start a training job without a VPC, and is RESOLVED by the IAM change (CloudTrail event or IAM
 * snapshot) that took that permission away — the seed 03 Deny put back, the allowing policy
 * detached, a permissions boundary set, the principal deleted…
 *
 * The resolution is read from the IAM history, not from the order things arrived in: for each open
 * violation of principal P found at t0, the moments after t0 at which P may have lost the permission
 * (a Deny or a permissions boundary of P comes into force, an Allow or a boundary goes out of force:
 * the bounds of P's grants) are simulated as the rule simulates ("untagged, and tagged with its own
 * team"), and the earliest at which P is not allowed (or no longer exists) resolves it, with the IAM
 * change event of that instant that touches P (its user or role, a policy or group whose grants
 * start or end then), else the snapshot of that instant. Evaluating again finds the same; an older
 * change stored after a newer one moves the resolution to it; a violation found after the change
 * that ends it (its event evaluated late) is resolved at once. A change never resolves a violation
 * found at or after it, and a permission that comes back later is a new violation (the rule reports
 * principals newly allowed).
 *
 * SUPPRESSED violations are left alone, and so is a violation someone reopened after a resolution
 * (they dispute it). Run, inside the evaluation's transaction, for the accounts of the IAM changes
 * and snapshots of a batch: three reads and one write, whatever their number.
 */
import type { PoolClient } from 'pg';
import { StatementNormalizer } from '../access/policies';
import { parseArn } from '../domain/aws/arn';
import { ACCESS_CHANGE_EVENTS } from '../domain/rules/catalog/iam-training-without-vpc-allowed';
import { IAM_SOURCE, iamSnapshotEventId, isIamSnapshotEvent } from '../domain/rules/iam-guardrails';
import type { StoredEvent } from './evaluate';
import { grantsAt, principalsAt, TRAINING_RULE_ID, trainingAttempts, type Moment } from './iam-context';

/** The CloudTrail IAM changes that can take the permission away: those the rule reads, and deleting the principal or its group. */
export const RESOLVING_EVENTS: readonly string[] = [...ACCESS_CHANGE_EVENTS, 'DeleteRole', 'DeleteUser', 'DeleteGroup'];

/** Whether an event can end an IAM permission: a successful resolving IAM change, or an IAM snapshot. */
export function endsIamPermissions(e: { eventSource: string; eventName: string; errorCode: string | null }): boolean {
  if (isIamSnapshotEvent(e)) return true;
  return e.eventSource === IAM_SOURCE && !e.errorCode && RESOLVING_EVENTS.includes(e.eventName);
}

/** The accounts whose IAM history a batch changed or judged: its successful IAM changes and its snapshots. */
export function accountsWithIamChanges(stored: readonly StoredEvent[]): string[] {
  const accounts = new Set<string>();
  for (const e of stored) {
    if (e.account_id && endsIamPermissions({ eventSource: e.event_source, eventName: e.event_name, errorCode: e.error_code })) accounts.add(e.account_id);
  }
  return [...accounts].sort();
}

interface EventAt {
  eventId: string;
  eventName: string;
  roleName: string | null;
  userName: string | null;
  groupName: string | null;
  policyArn: string | null;
}

interface CandidateRow {
  id: string;
  arn: string;
  account_id: string;
  status: 'OPEN' | 'RESOLVED';
  resolved_at: Date | null;
  resolved_by_event_id: string | null;
  at: Date;
  policy_arns: string[];
  group_arns: string[];
  events: EventAt[] | null;
  snapshot_at: Date | null;
}

/** A moment at which the principal may have lost the permission, and what changed then. */
interface Candidate {
  id: string;
  arn: string;
  accountId: string;
  status: 'OPEN' | 'RESOLVED';
  resolvedAt: Date | null;
  resolvedBy: string | null;
  moments: { at: Date; policyArns: string[]; groupNames: string[]; events: EventAt[]; snapshotAt: Date | null }[];
}

/** The open (or already resolved by an event) violations of these accounts, each with the moments after it at which its principal may have lost the permission. */
async function candidates(client: PoolClient, accounts: string[]): Promise<Candidate[]> {
  const { rows } = await client.query<CandidateRow>(
    `WITH c AS (
       SELECT v.id, v.resource_arn AS arn, v.account_id, v.event_time, v.status, v.resolved_at, v.resolved_by_event_id
         FROM violations v
        WHERE v.rule_id = $1 AND v.account_id = ANY($2::text[]) AND v.resource_arn <> ''
          AND (v.status = 'OPEN' OR (v.status = 'RESOLVED' AND v.resolved_by_event_id IS NOT NULL))
          AND NOT EXISTS (SELECT 1 FROM violation_status_changes h WHERE h.violation_id = v.id AND h.from_status = 'RESOLVED' AND h.to_status = 'OPEN')
     ), m AS (
       SELECT c.id, b.at,
              COALESCE(array_agg(DISTINCT g.policy_arn) FILTER (WHERE g.policy_arn IS NOT NULL), '{}') AS policy_arns,
              COALESCE(array_agg(DISTINCT g.via_group_arn) FILTER (WHERE g.via_group_arn IS NOT NULL), '{}') AS group_arns
         FROM c
         JOIN policy_grants g ON g.principal_arn = c.arn AND g.account_id = c.account_id AND g.kind <> 'TRUST_POLICY'
         CROSS JOIN LATERAL (VALUES
           (CASE WHEN g.effect = 'Deny' OR g.kind = 'PERMISSIONS_BOUNDARY' THEN lower(g.validity) END),
           (CASE WHEN g.effect = 'Allow' OR g.kind = 'PERMISSIONS_BOUNDARY' THEN upper(g.validity) END)) AS b(at)
        WHERE b.at > c.event_time
        GROUP BY c.id, b.at
     )
     SELECT c.id::text, c.arn, c.account_id, c.status, c.resolved_at, c.resolved_by_event_id, m.at, m.policy_arns, m.group_arns,
            (SELECT json_agg(json_build_object(
                      'eventId', a.event_id, 'eventName', a.event_name,
                      'roleName', a.raw->'requestParameters'->>'roleName', 'userName', a.raw->'requestParameters'->>'userName',
                      'groupName', a.raw->'requestParameters'->>'groupName', 'policyArn', a.raw->'requestParameters'->>'policyArn')
                    ORDER BY a.event_id)
               FROM audit_events a
              WHERE a.event_source = $4 AND a.event_name = ANY($3::text[]) AND a.event_time = m.at
                AND a.account_id = c.account_id AND a.error_code IS NULL) AS events,
            s.taken_at AS snapshot_at
       FROM c
       JOIN m ON m.id = c.id
       LEFT JOIN iam_snapshots s ON s.account_id = c.account_id AND s.taken_at = m.at
      ORDER BY c.id, m.at`,
    [TRAINING_RULE_ID, accounts, [...RESOLVING_EVENTS], IAM_SOURCE],
  );
  const byId = new Map<string, Candidate>();
  for (const r of rows) {
    let c = byId.get(r.id);
    if (!c) {
      c = { id: r.id, arn: r.arn, accountId: r.account_id, status: r.status, resolvedAt: r.resolved_at, resolvedBy: r.resolved_by_event_id, moments: [] };
      byId.set(r.id, c);
    }
    c.moments.push({ at: r.at, policyArns: r.policy_arns, groupNames: r.group_arns.map(lastSegment), events: r.events ?? [], snapshotAt: r.snapshot_at });
  }
  return [...byId.values()];
}

const lastSegment = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

/**
 * The event of a moment that resolves: the first (by event id) IAM change event of that instant
 * that can change the principal's grants — one naming the principal itself; else, naming no user or
 * role, one naming a group whose grants to it start or end then; else, naming no user, role or
 * group, one naming such a policy (a new default version, a deletion). Else the snapshot of that
 * instant; else the first IAM change event of that instant (CloudTrail times are to the second).
 * Null when govgraph has none.
 */
function resolvingEvent(arn: string, accountId: string, moment: Candidate['moments'][number]): { eventId: string; eventName: string } | null {
  const p = parseArn(arn);
  const touches = (e: EventAt) => {
    if (e.roleName !== null || e.userName !== null) return (p?.resourceType === 'role' ? e.roleName : e.userName) === p?.resourceName;
    if (e.groupName !== null) return moment.groupNames.includes(e.groupName);
    return e.policyArn !== null && moment.policyArns.includes(e.policyArn);
  };
  const own = moment.events.find(touches);
  if (own) return own;
  if (moment.snapshotAt) return { eventId: iamSnapshotEventId(accountId, moment.snapshotAt), eventName: 'the IAM snapshot' };
  return moment.events[0] ?? null;
}

interface Resolution {
  id: string;
  from: 'OPEN' | 'RESOLVED';
  at: Date;
  eventId: string;
  reason: string;
}

/**
 * Resolves, or moves the resolution of, the `iam-training-without-vpc-allowed` violations of these
 * accounts whose principal the IAM history shows no longer allowed after them. Returns how many
 * open ones it resolved.
 */
export async function resolveNoLongerAllowed(client: PoolClient, accounts: string[], teamTagKey: string): Promise<number> {
  if (accounts.length === 0) return 0;
  const found = await candidates(client, accounts);
  if (found.length === 0) return 0;

  // every (principal, moment) once, simulated as the rule simulates it
  const moments: Moment[] = [];
  const momentOf = new Map<string, Moment>();
  for (const c of found) {
    for (const m of c.moments) {
      const key = `${c.arn}|${m.at.getTime()}`;
      if (momentOf.has(key)) continue;
      const moment = { id: moments.length, arn: c.arn, at: m.at, before: false };
      moments.push(moment);
      momentOf.set(key, moment);
    }
  }
  const [principals, grants] = await Promise.all([principalsAt(client, moments), grantsAt(client, moments)]);
  const normalizers = new Map<number, StatementNormalizer>();
  /** true: allowed; false: not allowed, or no such principal then; null: a stored policy the engine cannot evaluate */
  const allowedAt = (moment: Moment): boolean | null => {
    const p = principals.get(moment.id);
    if (!p) return false;
    let normalizer = normalizers.get(moment.at.getTime());
    if (!normalizer) normalizers.set(moment.at.getTime(), (normalizer = new StatementNormalizer()));
    try {
      return trainingAttempts(p, grants.get(moment.id) ?? [], normalizer, moment.at, teamTagKey).some((a) => a.decision === 'ALLOWED');
    } catch {
      return null;
    }
  };
  const verdicts = new Map(moments.map((m) => [m.id, allowedAt(m)]));
  const momentFor = (c: Candidate, at: Date) => momentOf.get(`${c.arn}|${at.getTime()}`)!;

  const resolutions: Resolution[] = [];
  for (const c of found) {
    const lost = c.moments.find((m) => verdicts.get(momentFor(c, m.at).id) === false);
    if (!lost) continue;
    const by = resolvingEvent(c.arn, c.accountId, lost);
    if (!by) continue; // no record of what changed then: left as it stands
    if (c.status === 'RESOLVED' && c.resolvedBy === by.eventId && c.resolvedAt?.getTime() === lost.at.getTime()) continue;
    const gone = !principals.has(momentFor(c, lost.at).id);
    const what = `${gone ? `${c.arn} no longer exists` : `${c.arn} can no longer start a training job without a VPC`} after ${by.eventName} at ${lost.at.toISOString()}`;
    resolutions.push({
      id: c.id,
      from: c.status,
      at: lost.at,
      eventId: by.eventId,
      reason: c.status === 'OPEN' ? what : `as the IAM history now stands, ${what} (resolved by ${c.resolvedBy} at ${c.resolvedAt?.toISOString()} before)`,
    });
  }
  if (resolutions.length === 0) return 0;
  resolutions.sort((a, b) => Number(a.id) - Number(b.id)); // rows locked in one order, as upsertViolations does
  const { rows } = await client.query<{ from_status: string }>(
    `WITH r AS (
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::text[], $5::text[]) AS r(id, from_status, at, event_id, reason)
     ), done AS (
       UPDATE violations v SET status = 'RESOLVED', resolved_at = r.at, resolved_by_event_id = r.event_id
         FROM r
        WHERE v.id = r.id AND v.status = r.from_status AND (v.status = 'OPEN' OR v.resolved_by_event_id IS NOT NULL)
       RETURNING v.id, r.from_status, r.event_id, r.reason
     )
     INSERT INTO violation_status_changes (violation_id, from_status, to_status, reason, changed_by, event_id)
     SELECT id, from_status, 'RESOLVED', reason, 'govgraph', event_id FROM done
     RETURNING from_status`,
    [resolutions.map((r) => r.id), resolutions.map((r) => r.from), resolutions.map((r) => r.at), resolutions.map((r) => r.eventId), resolutions.map((r) => r.reason)],
  );
  return rows.filter((r) => r.from_status === 'OPEN').length;
}
