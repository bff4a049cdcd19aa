import type { Pool, PoolClient } from 'pg';
import { textArray, timestampArray } from '../db/array-literal';
import type { NormalizedEvent, RejectedRecord } from '../domain/cloudtrail/types';
import { storeRejectedRecords } from './rejected-load';
import { applyStoredIamChanges } from './iam-events';
import { copyChunks, copyTextChunks } from '../db/copy';
import { sameRecordContent } from '../domain/cloudtrail/content-hash';
import { isoTimestamp } from '../db/array-literal';
import {
  adoptResourceTeams,
  inTransaction,
  insertTagObservations,
  prepareResourceRows,
  refreshDerivedState,
  ResourceRows,
  ResourceSighting,
  TagObservation,
  upsertResourceRows,
  upsertTeams,
} from './inventory-load';

/** A validated, normalised record ready to store. */
export interface PreparedEvent {
  event: NormalizedEvent;
  /** the record's text as received */
  text: string;
  /** the record as parsed (what `text` holds), for the stages after the store; absent: parse `text` */
  record?: Record<string, unknown>;
  /** SHA-256 of `text` (see domain/cloudtrail/content-hash) */
  contentSha256: string;
  source: string;
  position: string;
}

export interface CloudTrailBatch {
  events: PreparedEvent[];
  rejected: RejectedRecord[];
}

export interface CloudTrailCounts {
  read: number;
  stored: number;
  duplicates: number;
  conflicts: number;
  rejected: number;
}

export const emptyCloudTrailCounts = (): CloudTrailCounts => ({ read: 0, stored: 0, duplicates: 0, conflicts: 0, rejected: 0 });

/** Two loads' counts added up, key by key (CloudTrailCounts, IamSnapshotCounts…). */
export function addCounts<T extends { [K in keyof T]: number }>(a: T, b: T): T {
  const sum = { ...a };
  for (const key of Object.keys(a) as (keyof T)[]) sum[key] = (a[key] + b[key]) as T[keyof T];
  return sum;
}

export interface LoadContext {
  runId: string | null;
  teamTagKey: string;
  /**
   * Called after a batch commits, with the eventIDs it stored and their records (rule evaluation
   * hangs here). A promise: the next batch is loaded once it settles. `{ concurrently }`: work that
   * writes nothing a load writes or locks, and reads the store as the commit left it: the next
   * batch is loaded meanwhile but commits only after it settles, so the work sees exactly what the
   * serial order would have shown it, and a failure still stops the ingestion before the next commit.
   */
  afterStore?: (eventIds: string[], events: PreparedEvent[]) => Promise<void> | ConcurrentWork;
}

/** See LoadContext.afterStore. */
export interface ConcurrentWork {
  concurrently: Promise<void>;
}

interface Conflict {
  prepared: PreparedEvent;
  storedSha256: string;
}

/** audit_events' columns as the batch COPY writes them (eventCopyChunks' rows). */
export const EVENT_COLUMNS = [
  'event_id', 'event_time', 'event_source', 'event_name', 'event_type', 'event_category', 'aws_region',
  'account_id', 'principal_id', 'principal_arn', 'principal_type', 'user_identity_arn', 'session_name',
  'access_key_id', 'invoked_by', 'source_ip_address', 'user_agent', 'error_code', 'error_message',
  'read_only', 'resource_arns', 'raw', 'content_sha256', 'ingestion_run_id',
];

/** First day (UTC) of each month the batch's events fall in: the partitions they need. */
export function eventMonths(events: PreparedEvent[]): string[] {
  // one event per UTC month stands for it: no string is made per event
  const byMonth = new Map<number, Date>();
  for (const { event: e } of events) byMonth.set(e.eventTime.getUTCFullYear() * 12 + e.eventTime.getUTCMonth(), e.eventTime);
  return [...byMonth.values()].map((d) => isoTimestamp(d).slice(0, 7) + '-01').sort();
}

/** Months whose partition this pool has ensured, or is ensuring: most batches need no DDL round trip. */
const ensuredMonths = new WeakMap<Pool, Map<string, Promise<void>>>();

/**
 * Partitions are DDL: made in their own short transaction, before the batch's. The store never
 * drops a partition, so one ensured through this pool stays there; a batch written meanwhile (by
 * another ingestion sharing the pool) waits for the one being made.
 */
async function ensurePartitions(pool: Pool, client: PoolClient, months: string[]): Promise<void> {
  let ensured = ensuredMonths.get(pool);
  if (!ensured) ensuredMonths.set(pool, (ensured = new Map()));
  const missing = months.filter((m) => !ensured.has(m));
  if (missing.length > 0) {
    const made = makePartitions(client, missing);
    for (const m of missing) ensured.set(m, made);
    // a failure is not remembered: the next batch asks again
    made.catch(() => missing.forEach((m) => ensured.get(m) === made && ensured.delete(m)));
  }
  await Promise.all(months.map((m) => ensured.get(m)));
}

/** How often a partition is asked for again when its lock wait times out (see below). */
const PARTITION_ATTEMPTS = 6;

/**
 * Attaching a partition waits (for at most the function's lock_timeout) for readers of the default
 * partition; a wait that times out leaves the lock queue, so no one else waits behind it, and is
 * tried again a little later.
 */
async function makePartitions(client: PoolClient, months: string[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.query('SELECT ensure_audit_event_partition(m) FROM unnest($1::date[]) AS m', [months]);
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== '55P03' || attempt >= PARTITION_ATTEMPTS) throw err; // lock_not_available
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

/**
 * Splits a batch into first occurrences by eventID and in-batch repeats (duplicates when the
 * content is the same, conflicts when it differs).
 */
export function splitInBatchRepeats(events: PreparedEvent[]): { firsts: PreparedEvent[]; duplicates: number; conflicts: Conflict[] } {
  const firstById = new Map<string, PreparedEvent>();
  let duplicates = 0;
  const conflicts: Conflict[] = [];
  for (const p of events) {
    const first = firstById.get(p.event.eventId);
    if (!first) firstById.set(p.event.eventId, p);
    else if (first.contentSha256 === p.contentSha256 || sameRecordContent(parsedRecord(first), parsedRecord(p))) duplicates++;
    else conflicts.push({ prepared: p, storedSha256: first.contentSha256 });
  }
  return { firsts: [...firstById.values()], duplicates, conflicts };
}

/**
 * What a batch will write, built before its turn to be written (the transform's last step): in a
 * pipeline the next batch's plan is built while the current one is written. It takes every first
 * occurrence for new, as it usually is; when the claims find known ones, the load builds what it
 * writes from the new events alone.
 */
export interface PlannedBatch {
  batch: CloudTrailBatch;
  firsts: PreparedEvent[];
  inBatchDuplicates: number;
  conflicts: Conflict[];
  months: string[];
  /** the firsts by eventID (claims take row locks in one order), and their claims in COPY's text format */
  claimOrder: PreparedEvent[];
  claimChunks: Buffer[];
  writes: EventWrites;
}

/** The set-based writes of new events, as far as they can be built before the store assigns ids. */
interface EventWrites {
  principals: string[] | null;
  accounts: string[] | null;
  createTeams: string[];
  resources: ResourceRows;
  /** audit_events rows in COPY's text format when every principal's id was already known; else built at write time */
  eventChunks: Buffer[] | null;
}

/**
 * Principal ids by ARN as the store assigned them, by pool. A principal row is never deleted nor
 * given another id, so an id once committed stays true; only committed ones are kept.
 */
const committedPrincipalIds = new WeakMap<Pool, Map<string, string>>();
const PRINCIPAL_ID_CACHE_SIZE = 100_000;

function principalIdsOf(pool: Pool): Map<string, string> {
  let ids = committedPrincipalIds.get(pool);
  if (!ids) committedPrincipalIds.set(pool, (ids = new Map()));
  return ids;
}

function rememberPrincipalIds(pool: Pool, committed: Map<string, string>): void {
  const ids = principalIdsOf(pool);
  if (ids.size + committed.size > PRINCIPAL_ID_CACHE_SIZE) ids.clear();
  for (const [arn, id] of committed) ids.set(arn, id);
}

/** Plans a batch's writes (see PlannedBatch): pure apart from reading the principal ids known to the pool. */
export function planCloudTrailBatch(pool: Pool, batch: CloudTrailBatch, ctx: LoadContext): PlannedBatch {
  const { firsts, duplicates, conflicts } = splitInBatchRepeats(batch.events);
  const claimOrder = [...firsts].sort((a, b) => (a.event.eventId < b.event.eventId ? -1 : 1));
  return {
    batch,
    firsts,
    inBatchDuplicates: duplicates,
    conflicts,
    months: eventMonths(batch.events),
    claimOrder,
    claimChunks: copyTextChunks(claimOrder.map((p) => [p.event.eventId, p.event.eventTime, p.contentSha256])),
    writes: planEventWrites(firsts, ctx, principalIdsOf(pool)),
  };
}

function planEventWrites(events: PreparedEvent[], ctx: LoadContext, knownPrincipalIds: ReadonlyMap<string, string>): EventWrites {
  const allKnown = events.every((p) => !p.event.principal || knownPrincipalIds.has(p.event.principal.arn));
  return {
    principals: principalParams(events),
    accounts: accountParams(events),
    createTeams: createTagTeams(events, ctx.teamTagKey),
    resources: prepareResourceRows(resourceSightings(events, ctx.teamTagKey)),
    eventChunks: allKnown ? eventCopyChunks(events, knownPrincipalIds, ctx.runId) : null,
  };
}

/**
 * Stores one batch exactly once by eventID, in one transaction: claims the eventIDs, upserts the
 * principals and resources the new events name, COPYs the new events, applies their inventory
 * effects, and keeps conflicts and rejected records aside. Replaying a batch stores nothing new.
 */
export async function loadCloudTrailBatch(pool: Pool, batch: CloudTrailBatch, ctx: LoadContext): Promise<CloudTrailCounts> {
  const { counts, after } = await loadCloudTrailBatchStaged(pool, planCloudTrailBatch(pool, batch, ctx), ctx);
  await after;
  return counts;
}

/**
 * loadCloudTrailBatch for a pipeline, of a batch planned beforehand: the transaction commits only
 * once `commitAfter` settles (the previous batch's concurrent work), and the afterStore work it
 * started comes back unawaited in `after` (already settled for a plain afterStore, which is
 * awaited here as before).
 */
export async function loadCloudTrailBatchStaged(
  pool: Pool,
  plan: PlannedBatch,
  ctx: LoadContext,
  commitAfter: Promise<unknown> = Promise.resolve(),
): Promise<{ counts: CloudTrailCounts; after: Promise<void> }> {
  const { batch } = plan;
  const read = batch.events.length + batch.rejected.length;
  const client = await pool.connect();
  let released = false;
  try {
    if (plan.months.length > 0) await ensurePartitions(pool, client, plan.months);
    let stored: PreparedEvent[] = [];
    let principalIds = new Map<string, string>();
    // The usual batch is all new: its claims are one COPY, first in its transaction. A known
    // eventID fails that COPY on the primary key; the transaction, which had written nothing
    // else, is then run again claiming row by row.
    let allNew = plan.firsts.length > 0;
    const store = () => inTransaction(client, async () => {
      const { fresh, duplicates, conflicts: knownConflicts } = await claimEventIds(client, plan, allNew);
      stored = fresh;
      const conflicts = [...plan.conflicts, ...knownConflicts];
      // the plan took every first occurrence for new; if some were known, the writes are built from the new ones
      const writes = fresh.length === plan.firsts.length ? plan.writes : planEventWrites(fresh, ctx, new Map());
      principalIds = await storeEvents(client, fresh, ctx, writes);
      const storedConflicts = await storeConflicts(client, conflicts, ctx.runId);
      await storeRejectedRecords(client, batch.rejected, ctx.runId);
      await commitAfter;
      return {
        read,
        stored: fresh.length,
        duplicates: plan.inBatchDuplicates + duplicates,
        conflicts: storedConflicts,
        rejected: batch.rejected.length,
      };
    });
    let counts: CloudTrailCounts;
    try {
      counts = await store();
    } catch (err) {
      if (!allNew || !isKnownEventIdClaim(err)) throw err;
      allNew = false;
      counts = await store();
    }
    client.release();
    released = true;
    rememberPrincipalIds(pool, principalIds);
    if (!ctx.afterStore || stored.length === 0) return { counts, after: Promise.resolve() };
    const work = ctx.afterStore(stored.map((p) => p.event.eventId), stored);
    if (!('concurrently' in work)) {
      await work;
      return { counts, after: Promise.resolve() };
    }
    return { counts, after: work.concurrently };
  } finally {
    if (!released) client.release();
  }
}

/**
 * Inserts the eventIDs; those already known are duplicates (same content hash) or conflicts.
 * The primary key makes this race-safe: a concurrent batch with the same eventID waits on the
 * row lock and then sees the conflict.
 */
async function claimEventIds(client: PoolClient, plan: PlannedBatch, allNew: boolean) {
  const events = plan.firsts;
  if (events.length === 0) return { fresh: [], duplicates: 0, conflicts: [] as Conflict[] };
  // all new: one COPY, at about half the cost of the INSERT … ON CONFLICT (it fails on a known one)
  if (allNew) await copyChunks(client, 'audit_event_keys', ['event_id', 'event_time', 'content_sha256'], plan.claimChunks);
  const claimed = allNew ? null : await claimUnknown(client, plan.claimOrder);
  const fresh = claimed ? events.filter((p) => claimed.has(p.event.eventId)) : events;
  const known = claimed ? events.filter((p) => !claimed.has(p.event.eventId)) : [];
  let duplicates = 0;
  const conflicts: Conflict[] = [];
  if (known.length > 0) {
    const { rows: stored } = await client.query<{ event_id: string; content_sha256: string }>(
      'SELECT event_id, content_sha256 FROM audit_event_keys WHERE event_id = ANY($1::text[])',
      [known.map((p) => p.event.eventId)],
    );
    const storedHash = new Map(stored.map((r) => [r.event_id, r.content_sha256]));
    // the same text again is a duplicate at once; another text may still be the same content
    const differentText = known.filter((p) => storedHash.get(p.event.eventId) !== p.contentSha256);
    duplicates += known.length - differentText.length;
    const storedRecords = await storedRecordsOf(client, differentText.map((p) => p.event.eventId));
    for (const p of differentText) {
      if (sameRecordContent(storedRecords.get(p.event.eventId), parsedRecord(p))) duplicates++;
      else conflicts.push({ prepared: p, storedSha256: storedHash.get(p.event.eventId)! });
    }
  }
  return { fresh, duplicates, conflicts };
}

/** The COPY of a batch's claims failing on an eventID already stored (see loadCloudTrailBatchStaged). */
function isKnownEventIdClaim(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string };
  return e.code === '23505' && e.constraint === 'audit_event_keys_pkey'; // unique_violation
}

/** Claims the eventIDs not yet known; returns those this statement claimed. */
async function claimUnknown(client: PoolClient, sorted: PreparedEvent[]): Promise<Set<string>> {
  const { rows } = await client.query<{ event_id: string }>(
    `INSERT INTO audit_event_keys (event_id, event_time, content_sha256)
     SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[])
     ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
    [textArray(sorted.map((p) => p.event.eventId)), timestampArray(sorted.map((p) => p.event.eventTime)), textArray(sorted.map((p) => p.contentSha256))],
  );
  return new Set(rows.map((r) => r.event_id));
}

/** The stored records of these eventIDs, parsed (the raw column keeps the text as received). */
async function storedRecordsOf(client: PoolClient, eventIds: string[]): Promise<Map<string, unknown>> {
  if (eventIds.length === 0) return new Map();
  const { rows } = await client.query<{ event_id: string; raw: string }>(
    `SELECT e.event_id, e.raw::text AS raw
       FROM audit_event_keys k JOIN audit_events e ON e.event_id = k.event_id AND e.event_time = k.event_time
      WHERE k.event_id = ANY($1::text[])`,
    [eventIds],
  );
  return new Map(rows.map((r) => [r.event_id, JSON.parse(r.raw) as unknown]));
}

const parsedRecord = (p: PreparedEvent): unknown => p.record ?? JSON.parse(p.text);

async function storeEvents(client: PoolClient, fresh: PreparedEvent[], ctx: LoadContext, writes: EventWrites): Promise<Map<string, string>> {
  if (fresh.length === 0) return new Map();
  const { ids: principalIds, inserted: newPrincipals } = await upsertPrincipals(client, writes.principals);
  await upsertAccounts(client, writes.accounts);
  const teamIds = await upsertTeams(client, writes.createTeams);
  const resources = await upsertResourceRows(client, writes.resources, null, { principals: principalIds, teams: teamIds });
  await copyChunks(client, 'audit_events', EVENT_COLUMNS, writes.eventChunks ?? eventCopyChunks(fresh, principalIds, ctx.runId));
  await applyInventoryEffects(client, fresh, resources, ctx);
  // a principal seen before took its resource's team then, and later tag changes reach it through refreshDerivedState
  await adoptResourceTeams(client, newPrincipals);
  await applyStoredIamChanges(client, fresh, ctx.runId);
  return principalIds;
}

/** The events' audit_events rows in COPY's text format, given their principals' ids. */
export function eventCopyChunks(events: PreparedEvent[], principalIds: ReadonlyMap<string, string>, runId: string | null): Buffer[] {
  return copyTextChunks(
    events.map(({ event: e, text, contentSha256 }) => [
      e.eventId, e.eventTime, e.eventSource, e.eventName, e.eventType, e.eventCategory, e.awsRegion,
      e.accountId, e.principal ? principalIds.get(e.principal.arn) ?? null : null, e.principal?.arn ?? null,
      e.principal?.type ?? null, e.userIdentityArn, e.sessionName, e.accessKeyId, e.invokedBy,
      e.sourceIpAddress, e.userAgent, e.errorCode, e.errorMessage, e.readOnly,
      e.resources.map((r) => r.arn), text, contentSha256, runId,
    ]),
  );
}

/** upsertPrincipals' parameters: one row per principal the events name, first and last seen across them. */
function principalParams(events: PreparedEvent[]): string[] | null {
  type Row = { arn: string; type: string; accountId: string | null; name: string; awsId: string | null; first: Date; last: Date };
  const byArn = new Map<string, Row>();
  for (const { event: e } of events) {
    const p = e.principal;
    if (!p) continue;
    const row = byArn.get(p.arn);
    if (!row) byArn.set(p.arn, { arn: p.arn, type: p.type, accountId: p.accountId, name: p.name, awsId: p.awsPrincipalId, first: e.eventTime, last: e.eventTime });
    else {
      if (e.eventTime < row.first) row.first = e.eventTime;
      if (e.eventTime > row.last) row.last = e.eventTime;
      row.awsId = row.awsId ?? p.awsPrincipalId;
    }
  }
  const rows = [...byArn.values()].sort((a, b) => (a.arn < b.arn ? -1 : 1));
  if (rows.length === 0) return null;
  return [
    textArray(rows.map((r) => r.arn)), textArray(rows.map((r) => r.type)), textArray(rows.map((r) => r.accountId)), textArray(rows.map((r) => r.name)),
    textArray(rows.map((r) => r.awsId)), timestampArray(rows.map((r) => r.first)), timestampArray(rows.map((r) => r.last)),
  ];
}

/** Ids by ARN of the principals upserted, and the ARNs of those it inserted. */
async function upsertPrincipals(client: PoolClient, params: string[] | null): Promise<{ ids: Map<string, string>; inserted: string[] }> {
  if (!params) return { ids: new Map(), inserted: [] };
  const { rows: out } = await client.query<{ id: string; arn: string; inserted: boolean }>(
    `INSERT INTO principals AS p (arn, principal_type, account_id, name, aws_principal_id, first_seen, last_seen)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[])
     ON CONFLICT (arn) DO UPDATE SET
       first_seen = LEAST(p.first_seen, EXCLUDED.first_seen),
       last_seen = GREATEST(p.last_seen, EXCLUDED.last_seen),
       aws_principal_id = COALESCE(p.aws_principal_id, EXCLUDED.aws_principal_id),
       -- the account root and "another account" share arn:aws:iam::<acct>:root; Root is the more precise
       principal_type = CASE WHEN EXCLUDED.principal_type = 'ROOT' THEN 'ROOT' ELSE p.principal_type END
     -- xmax is 0 on a row version this statement inserted
     RETURNING p.id::text AS id, p.arn, (p.xmax = 0) AS inserted`,
    params,
  );
  return { ids: new Map(out.map((r) => [r.arn, r.id])), inserted: out.filter((r) => r.inserted).map((r) => r.arn) };
}

/** upsertAccounts' parameters: each twelve-digit account the events name, first and last seen across them. */
function accountParams(events: PreparedEvent[]): string[] | null {
  const span = new Map<string, { first: Date; last: Date }>();
  for (const { event: e } of events) {
    if (!e.accountId || !/^\d{12}$/.test(e.accountId)) continue;
    const s = span.get(e.accountId);
    if (!s) span.set(e.accountId, { first: e.eventTime, last: e.eventTime });
    else {
      if (e.eventTime < s.first) s.first = e.eventTime;
      if (e.eventTime > s.last) s.last = e.eventTime;
    }
  }
  const ids = [...span.keys()].sort();
  if (ids.length === 0) return null;
  return [textArray(ids), timestampArray(ids.map((id) => span.get(id)!.first)), timestampArray(ids.map((id) => span.get(id)!.last))];
}

async function upsertAccounts(client: PoolClient, params: string[] | null): Promise<void> {
  if (!params) return;
  await client.query(
    `INSERT INTO accounts AS a (account_id, first_seen, last_seen)
     SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[])
     ON CONFLICT (account_id) DO UPDATE SET first_seen = LEAST(a.first_seen, EXCLUDED.first_seen),
                                            last_seen = GREATEST(a.last_seen, EXCLUDED.last_seen)`,
    params,
  );
}

/**
 * Every resource the events touched, plus those their inventory effects name. S3 objects stay
 * in the events' resource ARNs but are not inventoried: data events would flood the table.
 */
export function resourceSightings(events: PreparedEvent[], teamTagKey: string): ResourceSighting[] {
  const out: ResourceSighting[] = [];
  const isS3Object = (arn: string) => /^arn:[\w-]+:s3:::[^/]+\/./.test(arn);
  for (const { event: e } of events) {
    for (const r of e.resources) {
      if (!isS3Object(r.arn)) out.push({ arn: r.arn, name: r.name, firstSeen: e.eventTime, lastSeen: e.eventTime });
    }
    for (const fx of e.effects) {
      // the creator and the owner team by ARN and name: their ids are bound when written (SightingIds)
      const created = fx.kind === 'create' ? { at: e.eventTime, eventId: e.eventId, principalArn: e.principal?.arn ?? null } : undefined;
      const initial = fx.kind === 'create' ? { tags: fx.tags, team: fx.tags[teamTagKey] ?? null } : undefined;
      out.push({ arn: fx.arn, name: fx.kind === 'create' ? fx.name : null, firstSeen: e.eventTime, lastSeen: e.eventTime, created, initial });
    }
  }
  return out;
}

/** Team names the batch's create requests tag resources with. */
function createTagTeams(events: PreparedEvent[], teamTagKey: string): string[] {
  return events.flatMap(({ event: e }) => e.effects.flatMap((fx) => (fx.kind === 'create' && fx.tags[teamTagKey] ? [fx.tags[teamTagKey]] : [])));
}

/**
 * Deletes and tag changes (creates were applied with the upsert), each resolved by event time
 * so late or out-of-order arrival gives the same inventory as in-order arrival.
 */
async function applyInventoryEffects(
  client: PoolClient,
  events: PreparedEvent[],
  resources: { ids: Map<string, string>; inserted: Set<string> },
  ctx: LoadContext,
): Promise<void> {
  type Lifecycle = { arn: string; at: Date; eventId: string };
  const latestDelete = new Map<string, Lifecycle>();
  const observations: TagObservation[] = [];
  const creates = new Map<string, number>();
  const retagged = new Set<string>();
  for (const { event: e } of events) {
    for (const fx of e.effects) {
      const resourceId = resources.ids.get(fx.arn)!;
      if (fx.kind === 'create') creates.set(fx.arn, (creates.get(fx.arn) ?? 0) + 1);
      if (fx.kind === 'tag') retagged.add(fx.arn);
      const life = { arn: fx.arn, at: e.eventTime, eventId: e.eventId };
      const observe = (key: string, value: string | null) =>
        observations.push({ resourceId, key, value, at: e.eventTime, sourceEventId: e.eventId, sourceSyncRunId: null });
      if (fx.kind === 'create') {
        for (const [k, v] of Object.entries(fx.tags)) observe(k, v);
      } else if (fx.kind === 'delete') {
        const prev = latestDelete.get(fx.arn);
        if (!prev || prev.at < life.at) latestDelete.set(fx.arn, life);
      } else {
        for (const [k, v] of Object.entries(fx.set)) observe(k, v);
        for (const k of fx.remove) observe(k, null);
      }
    }
  }
  const deletes = [...latestDelete.values()].sort((a, b) => (a.arn < b.arn ? -1 : 1));
  if (deletes.length > 0) {
    // A delete older than the latest create belongs to an earlier life of the same ARN.
    await client.query(
      `UPDATE resources r SET deleted_at = d.at, deleted_event_id = d.event_id
         FROM unnest($1::text[], $2::timestamptz[], $3::text[]) AS d(arn, at, event_id)
        WHERE r.arn = d.arn AND (r.created_at IS NULL OR r.created_at <= d.at)
          AND (r.deleted_at IS NULL OR r.deleted_at < d.at)`,
      [textArray(deletes.map((d) => d.arn)), timestampArray(deletes.map((d) => d.at)), textArray(deletes.map((d) => d.eventId))],
    );
  }
  await insertTagObservations(client, observations);
  // a resource this batch inserted, created once and not retagged here, already holds the tags
  // and owner its create named (see resourceSightings): nothing to recompute
  const current = new Set<string>();
  for (const [arn, n] of creates) if (n === 1 && !retagged.has(arn) && resources.inserted.has(arn)) current.add(resources.ids.get(arn)!);
  await refreshDerivedState(client, [...new Set(observations.map((o) => o.resourceId))], ctx.teamTagKey, current);
}

async function storeConflicts(client: PoolClient, conflicts: Conflict[], runId: string | null): Promise<number> {
  if (conflicts.length === 0) return 0;
  await client.query(
    `INSERT INTO event_conflicts (event_id, content_sha256, stored_sha256, raw, source, position, ingestion_run_id)
     SELECT u.event_id, u.content_sha256, u.stored_sha256, u.raw::json, u.source, u.position, $7::bigint
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
            AS u(event_id, content_sha256, stored_sha256, raw, source, position)
     ON CONFLICT (event_id, content_sha256) DO NOTHING`,
    [
      conflicts.map((c) => c.prepared.event.eventId), conflicts.map((c) => c.prepared.contentSha256),
      conflicts.map((c) => c.storedSha256), conflicts.map((c) => c.prepared.text),
      conflicts.map((c) => c.prepared.source), conflicts.map((c) => c.prepared.position), runId,
    ],
  );
  return conflicts.length;
}
