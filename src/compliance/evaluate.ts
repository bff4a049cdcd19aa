import type { Pool, PoolClient } from 'pg';
import { textArray, timestampArray } from '../db/array-literal';
import { sortJsonbKeys } from '../db/jsonb-order';
import { tagsAt, type TagsAt, type TagsAtRequest } from '../read/tags-at';
import { parseArn } from '../domain/aws/arn';
import { isJsonObject } from '../domain/cloudtrail/validate';
import { matchesPrincipalPattern } from '../domain/rules/principal-patterns';
import { considersCall, enabledRules, rulesReading } from '../domain/rules/reads';
import type { Finding, Rule, RuleConfig, RuleContext, RuleEvent, Severity } from '../domain/rules/types';
import type { PreparedEvent } from '../ingest/cloudtrail-load';
import { iamContextOptions, iamContexts, iamSnapshotsIn, iamSnapshotStoredEvent, TRAINING_RULE_ID, type IamSnapshotRef } from './iam-context';
import { accountsWithIamChanges, endsIamPermissions, resolveNoLongerAllowed } from './iam-resolution';
import type { Suppression } from './rules-config';

/**
 * Rule evaluation: stored audit events → RuleEvent + RuleContext as things stood at each event's
 * time (tag history) → every enabled rule → violations, upserted on (rule, event, resource). The
 * same events always give the same violations; evaluating again never duplicates one.
 */

export interface EvaluationOptions {
  rules: Rule[];
  config: RuleConfig;
  teamTagKey: string;
  /** suppressions by pattern from the rule configuration: a matching new violation starts SUPPRESSED */
  suppressions?: Suppression[];
  /**
   * Called after each commit with the ids of the violations it inserted as OPEN (not those it
   * updated, nor new ones suppressed by configuration): the API's violationOpened subscription is
   * fed from here. The violations are stored whatever it does; it should not throw.
   */
  onOpened?: (ids: string[]) => Promise<void>;
}

export interface EvaluationCounts {
  events: number;
  findings: number;
  /** violations no longer reported by the rules (after a rule or configuration change) */
  withdrawn: number;
  /** violations resolved because their resource was deleted, or their principal lost the permission they report */
  resolved: number;
}

export interface StoredEvent {
  event_id: string;
  event_time: Date;
  event_source: string;
  event_name: string;
  aws_region: string | null;
  account_id: string | null;
  principal_arn: string | null;
  principal_type: string | null;
  error_code: string | null;
  error_message: string | null;
  user_agent: string | null;
  resource_arns: string[];
  request_parameters: Record<string, unknown> | null;
  response_elements: Record<string, unknown> | null;
  user_name: string | null;
}

const EVENT_COLUMNS = `e.event_id, e.event_time, e.event_source, e.event_name, e.aws_region, e.account_id, e.principal_arn,
  e.principal_type, e.error_code, e.error_message, e.user_agent, e.resource_arns,
  CASE WHEN json_typeof(e.raw->'requestParameters') = 'object' THEN (e.raw->'requestParameters')::jsonb END AS request_parameters,
  CASE WHEN json_typeof(e.raw->'responseElements') = 'object' THEN (e.raw->'responseElements')::jsonb END AS response_elements,
  e.raw->'userIdentity'->>'userName' AS user_name`;

/** Evaluates the given events (just ingested ones, typically). */
export async function evaluateEventIds(pool: Pool, eventIds: string[], opts: EvaluationOptions): Promise<EvaluationCounts> {
  if (eventIds.length === 0) return { events: 0, findings: 0, withdrawn: 0, resolved: 0 };
  const { rows } = await pool.query<StoredEvent>(
    `SELECT ${EVENT_COLUMNS} FROM audit_events e WHERE e.event_id = ANY($1::text[]) ORDER BY e.event_time, e.event_id`,
    [eventIds],
  );
  return evaluateStoredEvents(pool.connect(), rows, opts, false);
}

/**
 * Evaluates events just stored, from the records in hand rather than read back from audit_events:
 * each is given to the rules exactly as the stored row would give it (see storedEventOf), so the
 * violations are those evaluateEventIds and `govgraph evaluate` find. The connection is asked for
 * at once, before the caller asks for any other.
 */
export function evaluatePreparedEvents(pool: Pool, events: PreparedEvent[], opts: EvaluationOptions): Promise<EvaluationCounts> {
  if (events.length === 0) return Promise.resolve({ events: 0, findings: 0, withdrawn: 0, resolved: 0 });
  // an event no enabled rule reads (or considers, as a successful read for a rule of denied calls) is left out before its record is reshaped (evaluateStoredEvents
  // would drop it too), except one that can end an IAM permission (a DeleteRole no rule reads
  // still resolves violations: see accountsWithIamChanges)
  const rulesFor = rulesReading(enabledRules(opts));
  const read = events.filter((p) => endsIamPermissions(p.event) || rulesFor(p.event.eventSource, p.event.eventName).some((r) => considersCall(r, p.event.errorCode)));
  const stored = read.map(storedEventOf).sort((a, b) => a.event_time.getTime() - b.event_time.getTime() || (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0));
  // the records say which resources they delete: only those (and the violations' own) can resolve a violation now
  const deletedArns = events.flatMap((p) => p.event.effects.flatMap((fx) => (fx.kind === 'delete' ? [fx.arn] : [])));
  return evaluateStoredEvents(pool.connect(), stored, opts, false, deletedArns);
}

/**
 * A just-stored record as EVENT_COLUMNS reads it back: the normalised columns, and the request,
 * response and user name from the record as Postgres's `(raw->'…')::jsonb` and `->>` give them
 * (objects only, keys in jsonb's order, duplicate keys already resolved to the last by JSON.parse
 * as by jsonb).
 */
export function storedEventOf(p: PreparedEvent): StoredEvent {
  const e = p.event;
  const record = p.record ?? (JSON.parse(p.text) as Record<string, unknown>);
  const identity = record.userIdentity;
  const userName = isJsonObject(identity) ? identity.userName : undefined;
  return {
    event_id: e.eventId,
    event_time: e.eventTime,
    event_source: e.eventSource,
    event_name: e.eventName,
    aws_region: e.awsRegion,
    account_id: e.accountId,
    principal_arn: e.principal?.arn ?? null,
    principal_type: e.principal?.type ?? null,
    error_code: e.errorCode,
    error_message: e.errorMessage,
    user_agent: e.userAgent,
    resource_arns: e.resources.map((r) => r.arn),
    request_parameters: isJsonObject(record.requestParameters) ? (jsonbShaped(record.requestParameters) as Record<string, unknown>) : null,
    response_elements: isJsonObject(record.responseElements) ? (jsonbShaped(record.responseElements) as Record<string, unknown>) : null,
    user_name: userName === undefined || userName === null ? null : typeof userName === 'string' ? userName : JSON.stringify(userName),
  };
}

/** A parsed JSON value as it comes back through jsonb: the same values, object keys in jsonb's order. */
export function jsonbShaped(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const items = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) items[i] = jsonbShaped(value[i]);
    return items;
  }
  const out: Record<string, unknown> = {};
  for (const k of sortJsonbKeys(Object.keys(value))) {
    const v = jsonbShaped((value as Record<string, unknown>)[k]);
    // JSON.parse makes "__proto__" an own key; so must we
    if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    else out[k] = v;
  }
  return out;
}

/**
 * `govgraph evaluate --from --to`: every event of the window again, page by page; a violation of
 * the window that the rules no longer report is withdrawn (RESOLVED, with the reason recorded).
 */
export async function evaluateWindow(pool: Pool, window: { from: Date; to: Date }, opts: EvaluationOptions, pageSize = 5000): Promise<EvaluationCounts> {
  const totals: EvaluationCounts = { events: 0, findings: 0, withdrawn: 0, resolved: 0 };
  let after: { time: Date; id: string } | null = null;
  for (;;) {
    const page: { rows: StoredEvent[] } = await pool.query<StoredEvent>(
      `SELECT ${EVENT_COLUMNS} FROM audit_events e
        WHERE e.event_time >= $1 AND e.event_time < $2
          AND ($3::timestamptz IS NULL OR (e.event_time, e.event_id) > ($3::timestamptz, $4::text))
        ORDER BY e.event_time, e.event_id LIMIT $5`,
      [window.from, window.to, after?.time ?? null, after?.id ?? null, pageSize],
    );
    const rows: StoredEvent[] = page.rows;
    if (rows.length === 0) break;
    const c = await evaluateStoredEvents(pool.connect(), rows, opts, true);
    totals.events += c.events;
    totals.findings += c.findings;
    totals.withdrawn += c.withdrawn;
    totals.resolved += c.resolved;
    const last: StoredEvent = rows[rows.length - 1];
    after = { time: last.event_time, id: last.event_id };
    if (rows.length < pageSize) break;
  }
  // IAM snapshots taken in the window are judged as events too (src/compliance/iam-context.ts)
  const s = await evaluateIamSnapshots(pool, await iamSnapshotsIn(pool, window), opts);
  totals.events += s.events;
  totals.findings += s.findings;
  totals.withdrawn += s.withdrawn;
  totals.resolved += s.resolved;
  return totals;
}

/**
 * Evaluates IAM snapshots of whole accounts as synthetic events `iam-snapshot:<account>:<takenAt
 * ISO>`: call it after a snapshot is stored. Again gives the same violations, withdrawing those no
 * longer reported.
 */
export function evaluateIamSnapshots(pool: Pool, snapshots: IamSnapshotRef[], opts: EvaluationOptions): Promise<EvaluationCounts> {
  if (snapshots.length === 0) return Promise.resolve({ events: 0, findings: 0, withdrawn: 0, resolved: 0 });
  return evaluateStoredEvents(pool.connect(), snapshots.map(iamSnapshotStoredEvent), opts, true);
}

/** The resource the call acted on: a `…Arn` in the response, else the only touched resource of its service. */
function primaryResource(e: StoredEvent): string | null {
  const re = e.response_elements ?? {};
  for (const [k, v] of Object.entries(re)) {
    if (/Arn$/i.test(k) && typeof v === 'string' && parseArn(v)) return v;
  }
  const service = e.event_source.split('.')[0];
  const own = e.resource_arns.filter((a) => parseArn(a)?.service === service);
  return own.length >= 1 ? own[0] : null;
}

/** The name part of a principal key: the IAM user or role name. */
function principalName(e: StoredEvent): string | null {
  if (e.user_name) return e.user_name;
  const arn = e.principal_arn ? parseArn(e.principal_arn) : null;
  return arn?.resourceName ?? null;
}

export function toRuleEvent(e: StoredEvent): RuleEvent {
  return {
    eventId: e.event_id,
    eventTime: e.event_time,
    eventSource: e.event_source,
    eventName: e.event_name,
    awsRegion: e.aws_region,
    accountId: e.account_id,
    principalArn: e.principal_arn,
    principalType: e.principal_type,
    principalName: principalName(e),
    errorCode: e.error_code,
    errorMessage: e.error_message,
    requestParameters: e.request_parameters ?? {},
    responseElements: e.response_elements ?? {},
    resourceArns: e.resource_arns,
    primaryResourceArn: primaryResource(e),
    userAgent: e.user_agent,
  };
}

/**
 * Each event's principal's and resources' tags as they stood just before it, leaving out what the
 * event itself changed (an AddTags that claims another team's experiment must be judged against the
 * owner it had): one read of the tag history for the whole batch, answered by position.
 */
async function tagsBefore(client: PoolClient, events: RuleEvent[]): Promise<{ principal: TagsAt | undefined; resources: TagsAt[] }[]> {
  const requests: TagsAtRequest[] = [];
  const firsts = events.map((e) => {
    const first = requests.length;
    if (e.principalArn) requests.push({ arn: e.principalArn, at: e.eventTime, excludeEventId: e.eventId });
    for (const arn of e.resourceArns) requests.push({ arn, at: e.eventTime, excludeEventId: e.eventId });
    return first;
  });
  const found = await tagsAt(client, requests);
  return events.map((e, i) => {
    const first = firsts[i] + (e.principalArn ? 1 : 0);
    return { principal: e.principalArn ? found[firsts[i]] : undefined, resources: found.slice(first, first + e.resourceArns.length) };
  });
}

export interface ViolationRow {
  ruleId: string;
  eventId: string;
  eventTime: Date;
  resourceArn: string;
  principalArn: string | null;
  team: string | null;
  accountId: string | null;
  region: string | null;
  severity: Severity;
  message: string;
  evidence: Record<string, unknown>;
}

const SEVERITIES: readonly Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO'];
/** A rule may state a finding's own severity in its evidence (`findingSeverity`). */
function findingSeverity(f: Finding): Severity | undefined {
  const s = f.evidence.findingSeverity;
  return SEVERITIES.includes(s as Severity) ? (s as Severity) : undefined;
}

/** Runs every enabled rule on each event; pure apart from the caller's reads. */
export function findViolations(events: RuleEvent[], contexts: RuleContext[], opts: EvaluationOptions): ViolationRow[] {
  // a rule reports nothing on an event it does not read: only those that read it are run
  const rulesFor = rulesReading(enabledRules(opts));
  const rows: ViolationRow[] = [];
  events.forEach((event, i) => {
    const ctx = contexts[i];
    for (const rule of rulesFor(event.eventSource, event.eventName)) {
      if (!considersCall(rule, event.errorCode)) continue;
      const findings: Finding[] = rule.evaluate(event, ctx);
      for (const f of findings) {
        const ownerTeam = f.resourceArn ? ctx.resourceOwners[f.resourceArn]?.team ?? null : null;
        rows.push({
          ruleId: rule.id,
          eventId: event.eventId,
          eventTime: event.eventTime,
          resourceArn: f.resourceArn ?? '',
          principalArn: f.principalArn !== undefined ? f.principalArn : event.principalArn,
          // the team answerable for it: the acting principal's, else the resource owner's
          team: f.team !== undefined ? f.team : ctx.principalTeam ?? ownerTeam,
          accountId: event.accountId,
          region: event.awsRegion,
          severity: opts.config.severityOverrides[rule.id] ?? f.severity ?? findingSeverity(f) ?? rule.severity,
          message: f.message,
          evidence: { eventId: event.eventId, eventName: event.eventName, ...f.evidence },
        });
      }
    }
  });
  // one violation per (rule, event, resource) even if a rule reported it twice
  const unique = new Map(rows.map((r) => [`${r.ruleId}|${r.eventId}|${r.resourceArn}`, r]));
  return [...unique.values()];
}

/** Thrown by the probing context when a rule asks for what only the store can tell. */
const CONTEXT_NEEDED: unique symbol = Symbol('rule context needed');

/**
 * The context fields only the store can tell (everything but the configuration): the type holds
 * the list to every field of RuleContext, so a field added for new rules is probed without more ado.
 */
const STORE_FIELDS: { [K in Exclude<keyof RuleContext, 'teamTagKey' | 'config'>]-?: true } = {
  principalTeam: true,
  principalTags: true,
  resourceOwners: true,
  iam: true,
};

/** A context that knows the configuration but stops any rule that asks for what the store holds. */
function probingContext(opts: EvaluationOptions): RuleContext {
  const needed = (): never => {
    throw CONTEXT_NEEDED;
  };
  const probe = { teamTagKey: opts.teamTagKey, config: opts.config };
  for (const field of Object.keys(STORE_FIELDS)) Object.defineProperty(probe, field, { get: needed, enumerable: true });
  return probe as RuleContext;
}

/**
 * Whether an event needs its context read from the store: some rule asked for it, or some rule
 * reports a finding (whose team comes from the context). Rules are pure, so an event for which
 * neither holds gives no violation whatever the context, and the rest are evaluated again with it.
 */
function needsContext(event: RuleEvent, rules: readonly Rule[], probe: RuleContext): boolean {
  for (const rule of rules) {
    if (!considersCall(rule, event.errorCode)) continue;
    try {
      if (rule.evaluate(event, probe).length > 0) return true;
    } catch (err) {
      if (err === CONTEXT_NEEDED) return true;
      throw err;
    }
  }
  return false;
}

async function evaluateStoredEvents(
  connecting: Promise<PoolClient>,
  stored: StoredEvent[],
  opts: EvaluationOptions,
  withdrawStale: boolean,
  /** the resources these events delete, when known; otherwise every resource they touch is checked */
  deletedArns?: string[],
): Promise<EvaluationCounts> {
  const client = await connecting;
  let opened: string[];
  let counts: EvaluationCounts;
  try {
    const rulesFor = rulesReading(enabledRules(opts));
    const probe = probingContext(opts);
    // only events some rule reads, and of those only the ones whose verdict can depend on the context, are looked up
    const events = stored
      .filter((e) => rulesFor(e.event_source, e.event_name).some((r) => considersCall(r, e.error_code)))
      .map(toRuleEvent)
      .filter((e) => needsContext(e, rulesFor(e.eventSource, e.eventName), probe));
    const tags = await tagsBefore(client, events);
    const contexts: RuleContext[] = events.map((e, i) => {
      const { principal, resources } = tags[i];
      const resourceOwners: RuleContext['resourceOwners'] = {};
      for (let j = 0; j < e.resourceArns.length; j++) {
        const t = resources[j];
        const team = t.tags[opts.teamTagKey] ?? null;
        resourceOwners[e.resourceArns[j]] = { team, known: team !== null, tags: t.tags };
      }
      return {
        teamTagKey: opts.teamTagKey,
        config: opts.config,
        principalTeam: principal?.tags[opts.teamTagKey] ?? null,
        principalTags: principal?.tags ?? {},
        resourceOwners,
      };
    });
    // IAM change events and snapshots: the policies in force and the simulations (src/compliance/iam-context.ts)
    const iamOpts = iamContextOptions(opts);
    const iam = await iamContexts(client, events, iamOpts);
    for (const [i, e] of events.entries()) {
      const c = iam.get(e.eventId);
      if (c) contexts[i].iam = c;
    }
    const rows = findViolations(events, contexts, opts);
    try {
      await client.query('BEGIN');
      opened = await upsertViolations(client, rows, opts.suppressions ?? []);
      const withdrawn = withdrawStale ? await withdrawUnreported(client, stored.map((e) => e.event_id), rows) : 0;
      // principals no longer allowed to train without a VPC (src/compliance/iam-resolution.ts)
      const noLongerAllowed = iamOpts.ruleIds.has(TRAINING_RULE_ID) ? await resolveNoLongerAllowed(client, accountsWithIamChanges(stored), opts.teamTagKey) : 0;
      const maybeDeleted = deletedArns ?? stored.flatMap((e) => e.resource_arns);
      const resolved = noLongerAllowed + await resolveDeletedResources(client, [...new Set(rows.map((r) => r.resourceArn).concat(maybeDeleted))]);
      await client.query('COMMIT');
      counts = { events: stored.length, findings: rows.length, withdrawn, resolved };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  } finally {
    client.release();
  }
  // after the commit, so whoever is told can read them
  if (opened.length > 0 && opts.onOpened) await opts.onOpened(opened);
  return counts;
}

/** The configured suppression covering this violation, if one is in force (until after now). */
export function suppressionFor(row: ViolationRow, suppressions: Suppression[], now = new Date()): Suppression | null {
  return (
    suppressions.find(
      (s) =>
        (s.rule === '*' || s.rule === row.ruleId) &&
        matchesPrincipalPattern(s.resource, row.resourceArn) &&
        (s.principal === '*' || (row.principalArn !== null && matchesPrincipalPattern(s.principal, row.principalArn))) &&
        (!s.until || s.until > now),
    ) ?? null
  );
}

/** Inserts new violations and updates known ones; the ids of those it inserted as OPEN. */
async function upsertViolations(client: PoolClient, rows: ViolationRow[], suppressions: Suppression[]): Promise<string[]> {
  if (rows.length === 0) return [];
  const sorted = [...rows].sort((a, b) => (`${a.ruleId}|${a.eventId}|${a.resourceArn}` < `${b.ruleId}|${b.eventId}|${b.resourceArn}` ? -1 : 1));
  const suppressedBy = sorted.map((r) => suppressionFor(r, suppressions));
  const { rows: upserted } = await client.query<{ id: string; inserted: boolean; status: string }>(
    `INSERT INTO violations AS v (rule_id, event_id, event_time, resource_arn, principal_arn, team, account_id, region, severity, message, evidence,
                                  status, suppressed_reason, suppressed_by, suppressed_until)
     SELECT u.rule_id, u.event_id, u.event_time, u.resource_arn, u.principal_arn, u.team, u.account_id, u.region, u.severity,
            u.message, u.evidence, CASE WHEN u.reason IS NULL THEN 'OPEN' ELSE 'SUPPRESSED' END, u.reason,
            CASE WHEN u.reason IS NULL THEN NULL ELSE 'rule configuration' END, u.until
       FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::jsonb[],
                   $12::text[], $13::timestamptz[])
            AS u(rule_id, event_id, event_time, resource_arn, principal_arn, team, account_id, region, severity, message, evidence, reason, until)
     ON CONFLICT (rule_id, event_id, resource_arn) DO UPDATE SET
       severity = EXCLUDED.severity, message = EXCLUDED.message, evidence = EXCLUDED.evidence, team = EXCLUDED.team,
       principal_arn = EXCLUDED.principal_arn, last_seen = now(),
       -- withdrawn earlier by a re-evaluation and reported again: open again
       status = CASE WHEN v.status = 'RESOLVED' AND v.resolved_by_event_id IS NULL THEN 'OPEN' ELSE v.status END,
       resolved_at = CASE WHEN v.status = 'RESOLVED' AND v.resolved_by_event_id IS NULL THEN NULL ELSE v.resolved_at END
     -- xmax is 0 on a row version this statement inserted, and set on one it updated
     RETURNING v.id::text AS id, (v.xmax = 0) AS inserted, v.status`,
    [
      textArray(sorted.map((r) => r.ruleId)), textArray(sorted.map((r) => r.eventId)), timestampArray(sorted.map((r) => r.eventTime)),
      textArray(sorted.map((r) => r.resourceArn)), textArray(sorted.map((r) => r.principalArn)), textArray(sorted.map((r) => r.team)),
      textArray(sorted.map((r) => r.accountId)), textArray(sorted.map((r) => r.region)), textArray(sorted.map((r) => r.severity)),
      textArray(sorted.map((r) => r.message)), textArray(sorted.map((r) => JSON.stringify(r.evidence))),
      textArray(suppressedBy.map((s) => s?.reason ?? null)), timestampArray(suppressedBy.map((s) => s?.until ?? null)),
    ],
  );
  return upserted.filter((r) => r.inserted && r.status === 'OPEN').map((r) => r.id);
}

/** Open violations of these events that the rules no longer report: withdrawn, with a status change saying why. */
async function withdrawUnreported(client: PoolClient, eventIds: string[], rows: ViolationRow[]): Promise<number> {
  const keep = rows.map((r) => `${r.ruleId}|${r.eventId}|${r.resourceArn}`);
  const { rows: withdrawn } = await client.query<{ id: string }>(
    `WITH gone AS (
       UPDATE violations v SET status = 'RESOLVED', resolved_at = now(), resolved_by_event_id = NULL
        WHERE v.event_id = ANY($1::text[]) AND v.status = 'OPEN'
          AND NOT (v.rule_id || '|' || v.event_id || '|' || v.resource_arn = ANY($2::text[]))
       RETURNING v.id)
     INSERT INTO violation_status_changes (violation_id, from_status, to_status, reason, changed_by)
     SELECT id, 'OPEN', 'RESOLVED', 'no longer reported by the rules after re-evaluation', 'govgraph evaluate' FROM gone
     RETURNING violation_id::text AS id`,
    [eventIds, keep],
  );
  return withdrawn.length;
}

/** An open violation on a resource deleted after the offending event is resolved by the deleting event. */
async function resolveDeletedResources(client: PoolClient, arns: string[]): Promise<number> {
  const list = arns.filter((a) => a !== '');
  if (list.length === 0) return 0;
  const { rows } = await client.query<{ id: string }>(
    `WITH done AS (
       UPDATE violations v SET status = 'RESOLVED', resolved_at = r.deleted_at, resolved_by_event_id = r.deleted_event_id
         FROM resources r
        WHERE v.resource_arn = r.arn AND r.arn = ANY($1::text[]) AND v.status = 'OPEN'
          AND r.deleted_at IS NOT NULL AND r.deleted_event_id IS NOT NULL AND v.event_time <= r.deleted_at
       RETURNING v.id, r.deleted_event_id)
     INSERT INTO violation_status_changes (violation_id, from_status, to_status, reason, changed_by, event_id)
     SELECT id, 'OPEN', 'RESOLVED', 'the resource was deleted', 'govgraph', deleted_event_id FROM done
     RETURNING violation_id::text AS id`,
    [list],
  );
  return rows.length;
}
