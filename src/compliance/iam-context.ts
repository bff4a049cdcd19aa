/**
 * What the IAM rules (src/domain/rules/catalog/iam-*.ts) need from the store, for the IAM change
 * events and IAM snapshots of a batch: the policies in force just before and at each event for
 * what it changes (from `iam_fact_periods` and `iam_policy_versions`), and `CreateTrainingJob`
 * without a VPC simulated by the policy engine for the principals each affects (from
 * `policy_grants`, statements normalised and split the way the access service does). Set-based: a
 * fixed number of statements per batch, whatever the number of events; a batch without IAM changes
 * costs nothing.
 *
 * "Just before" an event at t is the state at t − 1 µs (the store keeps change points to the
 * microsecond); "at" it is the state at t, its own change applied. Several changes at the same
 * instant are judged together.
 */
import type { Pool, PoolClient } from 'pg';
import { enabledRules } from '../domain/rules/reads';
import { splitGrants, statementAsWritten, StatementNormalizer } from '../access/policies';
import { buildIamArn, parseArn } from '../domain/aws/arn';
import type { PrincipalType } from '../domain/cloudtrail/types';
import { buildAuthorizationRequest, evaluateRequest, type SourcedStatement } from '../domain/iam';
import {
  anyTrainingJobArn,
  IAM_SNAPSHOT_EVENT,
  IAM_SNAPSHOT_SOURCE,
  IAM_SOURCE,
  iamChangeOf,
  iamSnapshotEventId,
  isIamSnapshotEvent,
  TRAINING_ACTION,
  VPC_KEYS,
  type IamChangeTarget,
} from '../domain/rules/iam-guardrails';
import type {
  IamAccessAttempt,
  IamDecidingStatement,
  IamPolicyInForce,
  IamPolicyState,
  IamPrincipalSimulation,
  IamTargetStates,
  Rule,
  RuleEvent,
  RuleIamContext,
} from '../domain/rules/types';
import { attachmentKey, entityKey, inlinePolicyKey, membershipKey } from '../iam/facts';
import { GRANT_COLUMNS, principalOfEntity, toGrantRow, USER_OR_ROLE_ENTITY, type GrantDbRow, type PolicyGrantRow } from '../iam/grants-read';
import { tagsAsOfJoin } from '../read/tags-at';
import type { StoredEvent } from './evaluate';

type Queryable = Pick<PoolClient, 'query'>;

export const GUARDRAIL_RULE_ID = 'iam-guardrail-weakened';
export const TRAINING_RULE_ID = 'iam-training-without-vpc-allowed';

/** One IAM snapshot, as the rules judge it: a synthetic event `iam-snapshot:<account>:<takenAt ISO>`. */
export interface IamSnapshotRef {
  accountId: string;
  takenAt: Date;
}

/** A snapshot as the evaluator reads events: source `govgraph`, name `IamSnapshot`, at its time. */
export function iamSnapshotStoredEvent(s: IamSnapshotRef): StoredEvent {
  return {
    event_id: iamSnapshotEventId(s.accountId, s.takenAt),
    event_time: s.takenAt,
    event_source: IAM_SNAPSHOT_SOURCE,
    event_name: IAM_SNAPSHOT_EVENT,
    aws_region: null,
    account_id: s.accountId,
    principal_arn: null,
    principal_type: null,
    error_code: null,
    error_message: null,
    user_agent: null,
    resource_arns: [],
    request_parameters: { accountId: s.accountId, takenAt: s.takenAt.toISOString() },
    response_elements: null,
    user_name: null,
  };
}

/** The snapshots taken within a window (for `govgraph evaluate --from --to`). */
export async function iamSnapshotsIn(pool: Pool, window: { from: Date; to: Date }): Promise<IamSnapshotRef[]> {
  const { rows } = await pool.query<{ account_id: string; taken_at: Date }>(
    'SELECT account_id, taken_at FROM iam_snapshots WHERE taken_at >= $1 AND taken_at < $2 ORDER BY taken_at, account_id',
    [window.from, window.to],
  );
  return rows.map((r) => ({ accountId: r.account_id, takenAt: r.taken_at }));
}

interface Job {
  event: RuleEvent;
  /** index in the batch's jobs: every lookup names it */
  id: number;
  accountId: string;
  at: Date;
  target: IamChangeTarget | null;
  wantsTargets: boolean;
  wantsSimulations: boolean;
}

interface FactRow {
  id: number;
  fact_key: string | null;
  payload: Record<string, unknown> | null;
  known: boolean;
}

interface ManagedRow {
  id: number;
  version_id: string | null;
  document: Record<string, unknown> | null;
  present: boolean;
  known: boolean;
}

type Phase = 'before' | 'after';
const PHASES: readonly Phase[] = ['before', 'after'];

/** Lookups of one kind, each with an id that says whose and what it is for. */
class Lookups<T> {
  readonly list: T[] = [];
  private readonly ids = new Map<string, number>();
  add(job: Job, phase: Phase, what: string, row: (id: number) => T): void {
    const key = `${job.id}|${phase}|${what}`;
    if (this.ids.has(key)) return;
    const id = this.list.length;
    this.ids.set(key, id);
    this.list.push(row(id));
  }
  idOf(job: Job, phase: Phase, what: string): number | undefined {
    return this.ids.get(`${job.id}|${phase}|${what}`);
  }
}

interface FactLookup {
  id: number;
  accountId: string;
  kind: string;
  key: string | null;
  prefix: string | null;
  at: Date;
  before: boolean;
}

interface ManagedLookup {
  id: number;
  accountId: string;
  policyArn: string;
  at: Date;
  before: boolean;
}

/** Facts as of each lookup's moment: every period in force then (one for a key, any number for a prefix), and whether the moment is known. */
async function factsAt(client: Queryable, lookups: FactLookup[]): Promise<Map<number, FactRow[]>> {
  const out = new Map<number, FactRow[]>();
  if (lookups.length === 0) return out;
  const { rows } = await client.query<FactRow>(
    `WITH q AS (
       SELECT u.*, CASE WHEN u.before THEN u.at - interval '1 microsecond' ELSE u.at END AS t
         FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::bool[])
              AS u(id, account_id, fact_kind, fact_key, prefix, at, before)
     )
     SELECT q.id, f.fact_key, f.payload,
            (EXISTS (SELECT 1 FROM iam_snapshots s WHERE s.account_id = q.account_id AND s.taken_at <= q.t)
             OR EXISTS (SELECT 1 FROM iam_fact_periods p
                         WHERE p.account_id = q.account_id AND p.fact_kind = q.fact_kind AND lower(p.validity) <= q.t
                           AND (p.fact_key = q.fact_key OR (q.prefix IS NOT NULL AND starts_with(p.fact_key, q.prefix))))) AS known
       FROM q
       LEFT JOIN iam_fact_periods f
         ON f.account_id = q.account_id AND f.fact_kind = q.fact_kind AND f.validity @> q.t
        AND (f.fact_key = q.fact_key OR (q.prefix IS NOT NULL AND starts_with(f.fact_key, q.prefix)))
      ORDER BY q.id, f.fact_key`,
    [
      lookups.map((l) => l.id), lookups.map((l) => l.accountId), lookups.map((l) => l.kind), lookups.map((l) => l.key),
      lookups.map((l) => l.prefix), lookups.map((l) => l.at), lookups.map((l) => l.before),
    ],
  );
  for (const r of rows) {
    const list = out.get(r.id) ?? [];
    list.push(r);
    out.set(r.id, list);
  }
  return out;
}

/**
 * Managed policies' default documents as of each moment, the version chosen among same-named ones
 * as refresh_iam_account chooses it (the latest created at or before the default took effect).
 */
async function managedAt(client: Queryable, lookups: ManagedLookup[]): Promise<Map<number, ManagedRow>> {
  const out = new Map<number, ManagedRow>();
  if (lookups.length === 0) return out;
  const { rows } = await client.query<ManagedRow>(
    `WITH q AS (
       SELECT u.*, CASE WHEN u.before THEN u.at - interval '1 microsecond' ELSE u.at END AS t
         FROM unnest($1::int[], $2::text[], $3::text[], $4::timestamptz[], $5::bool[]) AS u(id, account_id, policy_arn, at, before)
     )
     SELECT q.id, m.payload->>'defaultVersionId' AS version_id, v.document, m.fact_key IS NOT NULL AS present,
            (EXISTS (SELECT 1 FROM iam_snapshots s WHERE s.account_id = q.account_id AND s.taken_at <= q.t)
             OR EXISTS (SELECT 1 FROM iam_fact_periods p WHERE p.account_id = q.account_id AND p.fact_kind = 'MANAGED_POLICY'
                          AND p.fact_key = q.policy_arn AND lower(p.validity) <= q.t)) AS known
       FROM q
       LEFT JOIN iam_fact_periods m
         ON m.account_id = q.account_id AND m.fact_kind = 'MANAGED_POLICY' AND m.fact_key = q.policy_arn AND m.validity @> q.t
       LEFT JOIN LATERAL (
         SELECT pv.document FROM iam_policy_versions pv
          WHERE pv.account_id = q.account_id AND pv.policy_arn = q.policy_arn AND pv.version_id = m.payload->>'defaultVersionId'
          ORDER BY (pv.created_at IS NULL OR pv.created_at <= lower(m.validity)) DESC,
                   CASE WHEN pv.created_at <= lower(m.validity) THEN pv.created_at END DESC NULLS LAST,
                   pv.created_at, pv.document_sha256
          LIMIT 1
       ) v ON true`,
    [lookups.map((l) => l.id), lookups.map((l) => l.accountId), lookups.map((l) => l.policyArn), lookups.map((l) => l.at), lookups.map((l) => l.before)],
  );
  for (const r of rows) out.set(r.id, r);
  return out;
}

const policyNameOf = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

/** The entity ARN a lookup found, else one built from its name (path unknown: `/`). */
function arnOf(job: Job, type: string, name: string, found: Record<string, string>): string {
  return found[`${type}/${name}`] ?? buildIamArn(job.accountId, type, name, undefined, parseArn(job.event.principalArn)?.partition ?? 'aws');
}

/** Reads the before/after states of every job's target (three statements for the batch). */
async function targetStates(client: Queryable, jobs: Job[]): Promise<{ states: Map<number, IamTargetStates>; entityArns: Map<number, Record<string, string>> }> {
  const facts = new Lookups<FactLookup>();
  const fact = (job: Job, phase: Phase, what: string, kind: string, key: string | null, prefix: string | null = null) =>
    facts.add(job, phase, what, (id) => ({ id, accountId: job.accountId, kind, key, prefix, at: job.at, before: phase === 'before' }));
  for (const job of jobs) {
    const t = job.target!;
    if (t.entity) fact(job, 'after', 'entity', 'ENTITY', entityKey(t.entity.type, t.entity.name));
    if (t.kind === 'GROUP_MEMBERSHIP') fact(job, 'after', 'group', 'ENTITY', entityKey('group', t.groupName!));
    for (const phase of PHASES) {
      const e = t.entity;
      switch (t.kind) {
        case 'INLINE_POLICY':
          fact(job, phase, 'inline', 'INLINE_POLICY', inlinePolicyKey(e!.type, e!.name, t.policyName!));
          break;
        case 'ATTACHMENT':
          fact(job, phase, 'attachment', 'ATTACHMENT', attachmentKey(e!.type, e!.name, t.policyArn!));
          break;
        case 'PERMISSIONS_BOUNDARY':
          fact(job, phase, 'boundary', 'PERMISSIONS_BOUNDARY', entityKey(e!.type, e!.name));
          break;
        case 'GROUP_MEMBERSHIP':
          fact(job, phase, 'membership', 'GROUP_MEMBERSHIP', membershipKey(t.groupName!, e!.name));
          fact(job, phase, 'group-inline', 'INLINE_POLICY', null, `group/${t.groupName}/`);
          fact(job, phase, 'group-attachments', 'ATTACHMENT', null, `group/${t.groupName}|`);
          break;
        case 'MANAGED_POLICY':
          break;
      }
    }
  }
  const factRows = await factsAt(client, facts.list);
  const rowsOf = (job: Job, phase: Phase, what: string): { known: boolean; rows: FactRow[] } => {
    const id = facts.idOf(job, phase, what);
    const rows = id === undefined ? [] : factRows.get(id) ?? [];
    return { known: rows.some((r) => r.known), rows: rows.filter((r) => r.fact_key !== null) };
  };

  // the managed policies whose documents are needed, now that attachments and boundaries are known
  const managed = new Lookups<ManagedLookup>();
  const wantManaged = (job: Job, phase: Phase, policyArn: string) =>
    managed.add(job, phase, policyArn, (id) => ({ id, accountId: job.accountId, policyArn, at: job.at, before: phase === 'before' }));
  for (const job of jobs) {
    const t = job.target!;
    for (const phase of PHASES) {
      if (t.kind === 'MANAGED_POLICY' || t.kind === 'ATTACHMENT') wantManaged(job, phase, t.policyArn!);
      if (t.kind === 'PERMISSIONS_BOUNDARY') {
        const b = rowsOf(job, phase, 'boundary').rows[0];
        const arn = typeof b?.payload?.policyArn === 'string' ? b.payload.policyArn : null;
        if (arn) wantManaged(job, phase, arn);
      }
      if (t.kind === 'GROUP_MEMBERSHIP') {
        for (const a of rowsOf(job, phase, 'group-attachments').rows) wantManaged(job, phase, a.fact_key!.slice(a.fact_key!.indexOf('|') + 1));
      }
    }
  }
  const managedRows = await managedAt(client, managed.list);
  const managedOf = (job: Job, phase: Phase, policyArn: string): ManagedRow | null => {
    const id = managed.idOf(job, phase, policyArn);
    return id === undefined ? null : managedRows.get(id) ?? null;
  };
  const managedPolicy = (job: Job, phase: Phase, policyArn: string, kind: IamPolicyInForce['kind'], attachedToArn: string | null): IamPolicyInForce => {
    const m = managedOf(job, phase, policyArn);
    return {
      kind, policyArn, policyName: policyNameOf(policyArn), versionId: m?.version_id ?? null, attachedToArn,
      // attached, or the boundary, but govgraph has no copy of the document then
      document: m?.present ? m.document : null,
    };
  };

  const states = new Map<number, IamTargetStates>();
  const entityArns = new Map<number, Record<string, string>>();
  for (const job of jobs) {
    const t = job.target!;
    const found: Record<string, string> = {};
    for (const what of ['entity', 'group']) {
      for (const r of rowsOf(job, 'after', what).rows) if (typeof r.payload?.arn === 'string') found[r.fact_key!] = r.payload.arn;
    }
    entityArns.set(job.id, found);
    const entityArn = t.entity ? arnOf(job, t.entity.type, t.entity.name, found) : null;
    const state = (phase: Phase): IamPolicyState => {
      switch (t.kind) {
        case 'INLINE_POLICY': {
          const { known, rows } = rowsOf(job, phase, 'inline');
          const doc = rows[0]?.payload?.document;
          const kind = t.entity!.type === 'group' ? 'GROUP_INLINE' : 'INLINE';
          return { known, policies: rows[0] ? [{ kind, policyArn: null, policyName: t.policyName, versionId: null, attachedToArn: entityArn, document: isRecord(doc) ? doc : null }] : [] };
        }
        case 'MANAGED_POLICY': {
          const m = managedOf(job, phase, t.policyArn!);
          return { known: m?.known ?? false, policies: m?.present ? [managedPolicy(job, phase, t.policyArn!, 'MANAGED', null)] : [] };
        }
        case 'ATTACHMENT': {
          const { known, rows } = rowsOf(job, phase, 'attachment');
          const kind = t.entity!.type === 'group' ? 'GROUP_MANAGED' : 'MANAGED';
          return { known, policies: rows[0] ? [managedPolicy(job, phase, t.policyArn!, kind, entityArn)] : [] };
        }
        case 'PERMISSIONS_BOUNDARY': {
          const { known, rows } = rowsOf(job, phase, 'boundary');
          const arn = typeof rows[0]?.payload?.policyArn === 'string' ? rows[0].payload.policyArn : null;
          return { known, policies: arn ? [managedPolicy(job, phase, arn, 'PERMISSIONS_BOUNDARY', entityArn)] : [] };
        }
        case 'GROUP_MEMBERSHIP': {
          const { known, rows } = rowsOf(job, phase, 'membership');
          if (!rows[0]) return { known, policies: [] };
          const groupArn = arnOf(job, 'group', t.groupName!, found);
          const inline = rowsOf(job, phase, 'group-inline').rows.map((r): IamPolicyInForce => ({
            kind: 'GROUP_INLINE', policyArn: null, policyName: r.fact_key!.slice(`group/${t.groupName}/`.length), versionId: null, attachedToArn: groupArn,
            document: isRecord(r.payload?.document) ? r.payload!.document as Record<string, unknown> : null,
          }));
          const attachedPolicies = rowsOf(job, phase, 'group-attachments').rows.map((r) =>
            managedPolicy(job, phase, r.fact_key!.slice(r.fact_key!.indexOf('|') + 1), 'GROUP_MANAGED', groupArn));
          return { known, policies: [...inline, ...attachedPolicies] };
        }
      }
    };
    states.set(job.id, { before: state('before'), after: state('after') });
  }
  return { states, entityArns };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface PrincipalAt {
  arn: string;
  type: 'IAM_USER' | 'ROLE';
  accountId: string;
  name: string;
  awsPrincipalId: string | null;
  tags: Record<string, string>;
}

/**
 * The users and roles each job affects, with whether they had a grant from the changed policy (or
 * group) just before and at the event: the entity itself; for a group, its members; for a managed
 * policy, everyone it reaches (attached directly, through a group, or as a boundary); for a
 * snapshot, every user and role of the account. One statement.
 */
async function affectedPrincipals(client: Queryable, jobs: Job[], entityArns: Map<number, Record<string, string>>): Promise<Map<number, { arns: string[]; reach?: { before: number; after: number } }>> {
  const out = new Map<number, { arns: Set<string>; reach?: { before: number; after: number } }>();
  const via: { id: number; accountId: string; at: Date; policyArn: string | null; groupName: string | null }[] = [];
  const snapshots: Job[] = [];
  for (const job of jobs) {
    const entry: { arns: Set<string>; reach?: { before: number; after: number } } = { arns: new Set() };
    out.set(job.id, entry);
    const t = job.target;
    if (!t) {
      snapshots.push(job);
      continue;
    }
    const e = t.entity;
    if (e && e.type !== 'group') entry.arns.add(arnOf(job, e.type, e.name, entityArns.get(job.id) ?? {}));
    if (t.kind === 'MANAGED_POLICY') {
      entry.reach = { before: 0, after: 0 };
      via.push({ id: job.id, accountId: job.accountId, at: job.at, policyArn: t.policyArn, groupName: null });
    }
    if (e?.type === 'group') via.push({ id: job.id, accountId: job.accountId, at: job.at, policyArn: null, groupName: e.name });
  }
  if (via.length === 0 && snapshots.length === 0) return new Map([...out].map(([k, v]) => [k, { arns: [...v.arns].sort(), ...(v.reach ? { reach: v.reach } : {}) }]));
  const { rows } = await client.query<{ id: number; principal_arn: string; before: boolean; after: boolean }>(
    `SELECT q.id, g.principal_arn,
            bool_or(g.validity @> (q.at - interval '1 microsecond')) AS before, bool_or(g.validity @> q.at) AS after
       FROM unnest($1::int[], $2::text[], $3::timestamptz[], $4::text[], $5::text[]) AS q(id, account_id, at, policy_arn, group_name)
       JOIN policy_grants g
         ON g.account_id = q.account_id
        AND ((q.policy_arn IS NOT NULL AND g.policy_arn = q.policy_arn)
             OR (q.group_name IS NOT NULL AND g.via_group_arn IS NOT NULL AND regexp_replace(g.via_group_arn, '^.*/', '') = q.group_name))
        AND (g.validity @> q.at OR g.validity @> (q.at - interval '1 microsecond'))
      GROUP BY q.id, g.principal_arn
     UNION ALL
     SELECT s.id, f.payload->>'arn', false, true
       FROM unnest($6::int[], $7::text[], $8::timestamptz[]) AS s(id, account_id, at)
       JOIN iam_fact_periods f
         ON f.account_id = s.account_id AND ${USER_OR_ROLE_ENTITY}
        AND f.validity @> s.at AND f.payload->>'arn' IS NOT NULL`,
    [
      via.map((v) => v.id), via.map((v) => v.accountId), via.map((v) => v.at), via.map((v) => v.policyArn), via.map((v) => v.groupName),
      snapshots.map((j) => j.id), snapshots.map((j) => j.accountId), snapshots.map((j) => j.at),
    ],
  );
  for (const r of rows) {
    const entry = out.get(r.id)!;
    entry.arns.add(r.principal_arn);
    if (entry.reach) {
      if (r.before) entry.reach.before++;
      if (r.after) entry.reach.after++;
    }
  }
  return new Map([...out].map(([k, v]) => [k, { arns: [...v.arns].sort(), ...(v.reach ? { reach: v.reach } : {}) }]));
}

export interface Moment {
  id: number;
  arn: string;
  at: Date;
  before: boolean;
}

/** Users and roles as they stood at each moment, with their tags then (tag history). One statement. */
export async function principalsAt(client: Queryable, moments: Moment[]): Promise<Map<number, PrincipalAt>> {
  const out = new Map<number, PrincipalAt>();
  if (moments.length === 0) return out;
  const { rows } = await client.query<{ id: number; account_id: string; fact_key: string; payload: { arn: string; id?: string | null }; tags: Record<string, string> }>(
    `WITH q AS (
       SELECT u.*, CASE WHEN u.before THEN u.at - interval '1 microsecond' ELSE u.at END AS t
         FROM unnest($1::int[], $2::text[], $3::timestamptz[], $4::bool[]) AS u(id, arn, at, before)
     )
     SELECT q.id, f.account_id, f.fact_key, f.payload, tg.tags
       FROM q
       JOIN iam_fact_periods f
         ON ${USER_OR_ROLE_ENTITY} AND f.account_id = split_part(q.arn, ':', 5) AND f.payload->>'arn' = q.arn AND f.validity @> q.t
       LEFT JOIN resources r ON r.arn = q.arn
       ${tagsAsOfJoin('tg', 'r.id', 'q.t')}`,
    [moments.map((m) => m.id), moments.map((m) => m.arn), moments.map((m) => m.at), moments.map((m) => m.before)],
  );
  for (const r of rows) out.set(r.id, { ...principalOfEntity(r), tags: r.tags });
  return out;
}

/** The identity grants and boundaries of each principal at each moment (each with its document's Version). One statement. */
export async function grantsAt(client: Queryable, moments: Moment[]): Promise<Map<number, PolicyGrantRow[]>> {
  const grants = new Map<number, PolicyGrantRow[]>();
  if (moments.length === 0) return grants;
  const { rows } = await client.query<GrantDbRow & { id: number }>(
    `WITH q AS (
       SELECT u.*, CASE WHEN u.before THEN u.at - interval '1 microsecond' ELSE u.at END AS t
         FROM unnest($1::int[], $2::text[], $3::timestamptz[], $4::bool[]) AS u(id, arn, at, before)
     )
     SELECT q.id, ${GRANT_COLUMNS}
       FROM q
       JOIN policy_grants g ON g.principal_arn = q.arn AND g.validity @> q.t AND g.kind <> 'TRUST_POLICY'
      ORDER BY q.id, g.kind, g.policy_arn NULLS FIRST, g.policy_name, g.via_group_arn NULLS FIRST, g.statement_index, lower(g.validity)`,
    [moments.map((m) => m.id), moments.map((m) => m.arn), moments.map((m) => m.at), moments.map((m) => m.before)],
  );
  for (const r of rows) {
    const list = grants.get(r.id) ?? [];
    list.push(toGrantRow(r));
    grants.set(r.id, list);
  }
  return grants;
}

function toDeciding(s: SourcedStatement): IamDecidingStatement {
  return {
    kind: s.source.kind,
    policyArn: s.source.policyArn,
    policyName: s.source.policyName,
    versionId: s.source.versionId,
    viaGroupArn: s.source.viaGroupArn ?? null,
    attachedToArn: s.source.attachedToArn ?? null,
    sid: s.statement.sid ?? null,
    statementIndex: s.statement.index,
    effect: s.statement.effect,
    statement: statementAsWritten(s.statement) ?? { ...s.statement },
  };
}

/**
 * `sagemaker:CreateTrainingJob` on any training job of the account, with the VPC keys absent:
 * untagged, and (when the principal has a team) tagged with its own team as seed 05's ABAC asks.
 */
export function trainingAttempts(p: PrincipalAt, grants: PolicyGrantRow[], normalizer: StatementNormalizer, at: Date, teamTagKey: string): IamAccessAttempt[] {
  const { identity, boundaries } = splitGrants(normalizer, grants);
  const team = p.tags[teamTagKey];
  const tagSets: Record<string, string>[] = [{}, ...(team ? [{ [teamTagKey]: team }] : [])];
  return tagSets.map((requestTags) => {
    const request = buildAuthorizationRequest({
      principal: { arn: p.arn, type: p.type as PrincipalType, accountId: p.accountId, name: p.name, userId: p.awsPrincipalId, tags: p.tags },
      resource: { arn: anyTrainingJobArn(parseArn(p.arn)?.partition ?? 'aws', p.accountId), tags: {} },
      action: TRAINING_ACTION,
      ...(Object.keys(requestTags).length > 0 ? { requestTags } : {}),
      at,
    });
    const decision = evaluateRequest({ request, identityPolicies: identity, ...(boundaries ? { permissionsBoundaries: boundaries } : {}) });
    return { requestTags, decision: decision.decision, decidingStatements: decision.decidingStatements.map(toDeciding), missingContextKeys: decision.missingContextKeys };
  });
}

/** Per job: whether govgraph had a snapshot of the account just before it (so "not allowed before" can be told from "unknown"). */
async function snapshotBefore(client: Queryable, jobs: Job[]): Promise<Set<number>> {
  if (jobs.length === 0) return new Set();
  const { rows } = await client.query<{ id: number }>(
    `SELECT q.id FROM unnest($1::int[], $2::text[], $3::timestamptz[]) AS q(id, account_id, at)
      WHERE EXISTS (SELECT 1 FROM iam_snapshots s WHERE s.account_id = q.account_id AND s.taken_at <= q.at - interval '1 microsecond')`,
    [jobs.map((j) => j.id), jobs.map((j) => j.accountId), jobs.map((j) => j.at)],
  );
  return new Set(rows.map((r) => r.id));
}

async function simulations(
  client: Queryable,
  jobs: Job[],
  affected: Map<number, { arns: string[] }>,
  teamTagKey: string,
): Promise<Map<number, IamPrincipalSimulation[]>> {
  const out = new Map<number, IamPrincipalSimulation[]>();
  const known = await snapshotBefore(client, jobs);
  const moments: Moment[] = [];
  const momentOf = new Map<string, Moment>();
  for (const job of jobs) {
    for (const arn of affected.get(job.id)?.arns ?? []) {
      for (const before of known.has(job.id) ? [false, true] : [false]) {
        const m = { id: moments.length, arn, at: job.at, before };
        moments.push(m);
        momentOf.set(`${job.id}|${arn}|${before}`, m);
      }
    }
  }
  const [principals, grants] = await Promise.all([principalsAt(client, moments), grantsAt(client, moments)]);
  // statements are shared by the principals of one moment (the same group's inline policy may differ between moments)
  const normalizers = new Map<string, StatementNormalizer>();
  const normalizerFor = (m: Moment) => {
    const key = `${m.at.getTime()}|${m.before}`;
    let n = normalizers.get(key);
    if (!n) normalizers.set(key, (n = new StatementNormalizer()));
    return n;
  };
  const attemptsAt = (m: Moment | undefined): IamAccessAttempt[] | null => {
    if (!m) return null;
    const p = principals.get(m.id);
    if (!p) return null;
    return trainingAttempts(p, grants.get(m.id) ?? [], normalizerFor(m), m.at, teamTagKey);
  };
  for (const job of jobs) {
    const list: IamPrincipalSimulation[] = [];
    for (const arn of affected.get(job.id)?.arns ?? []) {
      const now = momentOf.get(`${job.id}|${arn}|false`)!;
      const p = principals.get(now.id);
      if (!p) continue; // not a user or role in force at the event (deleted, or never seen)
      let attempts: IamAccessAttempt[];
      let allowedBefore: boolean | null = null;
      try {
        attempts = attemptsAt(now)!;
        if (known.has(job.id)) allowedBefore = (attemptsAt(momentOf.get(`${job.id}|${arn}|true`)) ?? []).some((a) => a.decision === 'ALLOWED');
      } catch {
        // a stored policy the engine cannot evaluate: no answer for this principal rather than a wrong one
        continue;
      }
      list.push({
        principalArn: p.arn,
        principalType: p.type,
        team: p.tags[teamTagKey] ?? null,
        action: TRAINING_ACTION,
        resourceArn: anyTrainingJobArn(parseArn(p.arn)?.partition ?? 'aws', p.accountId),
        absentKeys: [...VPC_KEYS],
        attempts,
        allowedBefore,
      });
    }
    out.set(job.id, list);
  }
  return out;
}

export interface IamContextOptions {
  teamTagKey: string;
  /** the enabled rules' ids: what is not asked for is not read */
  ruleIds: ReadonlySet<string>;
  /** the IAM change events the guard-rail rule reads */
  guardrailEvents: ReadonlySet<string>;
  /** the IAM change events the training rule reads */
  trainingEvents: ReadonlySet<string>;
}

/** What to gather, from the enabled rules of an evaluation: their ids, and the IAM events each reads. */
export function iamContextOptions(opts: { rules: readonly Rule[]; config: { disabledRules: string[] }; teamTagKey: string }): IamContextOptions {
  const enabled = enabledRules(opts);
  const namesOf = (id: string) => new Set(enabled.filter((r) => r.id === id).flatMap((r) => r.reads.filter((x) => x.eventSource === IAM_SOURCE).flatMap((x) => x.eventNames)));
  return { teamTagKey: opts.teamTagKey, ruleIds: new Set(enabled.map((r) => r.id)), guardrailEvents: namesOf(GUARDRAIL_RULE_ID), trainingEvents: namesOf(TRAINING_RULE_ID) };
}

/**
 * ctx.iam for each IAM change event and snapshot of the batch (by eventId); other events get none
 * and cost nothing. Statements: at most six per batch, whatever its size.
 */
export async function iamContexts(client: Queryable, events: RuleEvent[], opts: IamContextOptions): Promise<Map<string, RuleIamContext>> {
  const guardrails = opts.ruleIds.has(GUARDRAIL_RULE_ID);
  const training = opts.ruleIds.has(TRAINING_RULE_ID);
  const out = new Map<string, RuleIamContext>();
  if (!guardrails && !training) return out;
  const jobs: Job[] = [];
  for (const event of events) {
    if (event.errorCode) continue;
    const snapshot = isIamSnapshotEvent(event);
    const target = snapshot ? null : iamChangeOf(event);
    const accountId = snapshot ? (typeof event.requestParameters.accountId === 'string' ? event.requestParameters.accountId : event.accountId) : event.accountId;
    if ((!snapshot && !target) || !accountId) continue;
    const wantsTargets = guardrails && target !== null && opts.guardrailEvents.has(event.eventName);
    const wantsSimulations = training && (snapshot || opts.trainingEvents.has(event.eventName));
    if (!wantsTargets && !wantsSimulations) continue;
    jobs.push({ event, id: jobs.length, accountId, at: event.eventTime, target, wantsTargets, wantsSimulations });
  }
  if (jobs.length === 0) return out;
  const changes = jobs.filter((j) => j.target !== null);
  const { states, entityArns } = await targetStates(client, changes);
  const simulated = jobs.filter((j) => j.wantsSimulations);
  const affected = await affectedPrincipals(client, jobs.filter((j) => j.wantsSimulations || j.target?.kind === 'MANAGED_POLICY'), entityArns);
  const sims = await simulations(client, simulated, affected, opts.teamTagKey);
  for (const job of jobs) {
    const s = job.target && job.wantsTargets ? states.get(job.id) : undefined;
    const reach = affected.get(job.id)?.reach;
    const arns: Record<string, string> = { ...(entityArns.get(job.id) ?? {}) };
    for (const sim of sims.get(job.id) ?? []) {
      const name = sim.principalArn.slice(sim.principalArn.lastIndexOf('/') + 1);
      arns[`${sim.principalType === 'IAM_USER' ? 'user' : 'role'}/${name}`] ??= sim.principalArn;
    }
    out.set(job.event.eventId, {
      targets: s && job.target ? { [job.target.key]: reach ? { ...s, reach } : s } : {},
      entityArns: arns,
      trainingWithoutVpc: sims.get(job.id) ?? [],
    });
  }
  return out;
}
