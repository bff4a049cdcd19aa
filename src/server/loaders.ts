import DataLoader from 'dataloader';
import type { Queryable } from '../read/sql';
import { simulateMany, type SimulateInput, type Simulation } from '../access/access-service';
import { grantCountsFor, grantPagesFor, type GrantPageRequest, type KeyedGrant } from '../read/grants';
import { eventCountsFor, eventPagesFor, eventsByIds, type AuditEventRow, type EventParent } from '../read/events';
import type { Page, PageRequest } from '../read/pagination';
import { memberCountsFor, memberPagesFor, principalsByArns, principalsByIds, type PrincipalRow } from '../read/principals';
import { resourceCountsFor, resourcePagesFor, resourcesByArns, tagHistoriesFor, type ResourceFilter, type ResourceRow, type TagPeriodRow } from '../read/resources';
import { teamsByIds, teamsByNames, type TeamRow } from '../read/teams';
import {
  statusHistoriesFor,
  violationCountsFor,
  violationPagesFor,
  violationsByIds,
  type StatusChangeRow,
  type ViolationFilter,
  type ViolationParent,
  type ViolationRow,
} from '../read/violations';

/**
 * Per-request batching: every field of the same kind asked for in one tick of a request becomes
 * one SQL statement (`= ANY($1)` or a LATERAL per key), so a page of N events with principals,
 * teams and resources costs a fixed number of queries whatever N is. New loaders per request:
 * nothing is cached across requests (the API is stateless).
 */
export function createLoaders(db: Queryable) {
  const emptyPage = <T>(): Page<T> => ({ edges: [], hasNextPage: false, hasPreviousPage: false });
  return {
    principalById: rowLoader<PrincipalRow>((ids) => principalsByIds(db, ids), (r) => r.id),
    principalByArn: rowLoader<PrincipalRow>((arns) => principalsByArns(db, arns), (r) => r.arn),
    resourceByArn: rowLoader<ResourceRow>((arns) => resourcesByArns(db, arns), (r) => r.arn),
    teamById: rowLoader<TeamRow>((ids) => teamsByIds(db, ids), (r) => r.id),
    teamByName: rowLoader<TeamRow>((names) => teamsByNames(db, names), (r) => r.name),
    tagHistory: new DataLoader<string, TagPeriodRow[]>(async (ids) => {
      const byId = await tagHistoriesFor(db, ids);
      return ids.map((id) => byId.get(id) ?? []);
    }),
    eventPages: groupedLoader<{ parent: EventParent; req: PageRequest }, Page<AuditEventRow>>(
      (keys, { parent, req }) => eventPagesFor(db, parent, keys, req),
      emptyPage,
    ),
    eventCounts: groupedLoader<{ parent: EventParent }, number>((keys, { parent }) => eventCountsFor(db, parent, keys), () => 0),
    memberPages: groupedLoader<{ req: PageRequest }, Page<PrincipalRow>>((teamIds, { req }) => memberPagesFor(db, teamIds, req), emptyPage),
    memberCounts: groupedLoader<Record<string, never>, number>((teamIds) => memberCountsFor(db, teamIds), () => 0),
    resourcePages: groupedLoader<{ filter: ResourceFilter; req: PageRequest }, Page<ResourceRow>>(
      (teamIds, { filter, req }) => resourcePagesFor(db, teamIds, filter, req),
      emptyPage,
    ),
    resourceCounts: groupedLoader<{ filter: ResourceFilter }, number>((teamIds, { filter }) => resourceCountsFor(db, teamIds, filter), () => 0),
    eventById: rowLoader<AuditEventRow>((ids) => eventsByIds(db, ids), (r) => r.eventId),
    violationById: rowLoader<ViolationRow>((ids) => violationsByIds(db, ids), (r) => r.id),
    violationHistory: new DataLoader<string, StatusChangeRow[]>(async (ids) => {
      const byId = await statusHistoriesFor(db, ids);
      return ids.map((id) => byId.get(id) ?? []);
    }),
    violationPages: groupedLoader<{ parent: ViolationParent; filter: ViolationFilter; req: PageRequest }, Page<ViolationRow>>(
      (keys, { parent, filter, req }) => violationPagesFor(db, parent, keys, filter, req),
      emptyPage,
    ),
    violationCounts: groupedLoader<{ parent: ViolationParent; filter: ViolationFilter }, number>(
      (keys, { parent, filter }) => violationCountsFor(db, parent, keys, filter),
      () => 0,
    ),
    // grants of a page of principals at one moment: one statement (keyed by principal ARN)
    grantPages: groupedLoader<{ at: string; req: GrantPageRequest }, Page<KeyedGrant>>(
      (arns, { at, req }) => grantPagesFor(db, arns, new Date(at), req),
      emptyPage,
    ),
    grantCounts: groupedLoader<{ at: string }, number>((arns, { at }) => grantCountsFor(db, arns, new Date(at)), () => 0),
    // simulations asked for in one tick (Violation.decision over a page), run together and each asked once;
    // null when govgraph has no IAM data for the principal then, an Error for a request that cannot be evaluated
    decisions: new DataLoader<SimulateInput, Simulation | null, string>(
      async (inputs) => simulateMany(db, [...inputs]),
      { cacheKeyFn: (input) => JSON.stringify([input.principalArn, input.action, input.resourceArn, input.at, input.requestTags, input.beforeEventId]) },
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

/** Several keys at once; a failed batch fails the field (DataLoader's loadMany would hand back Error values). */
export async function loadAll<K, V extends object>(loader: DataLoader<K, V | null, unknown>, keys: readonly K[]): Promise<V[]> {
  const rows: (V | null)[] = await Promise.all(keys.map((k) => loader.load(k)));
  return rows.filter((r): r is V => r !== null);
}

/** Rows by a unique key; a key with no row loads as null. */
function rowLoader<V>(load: (keys: readonly string[]) => Promise<V[]>, keyOf: (row: V) => string): DataLoader<string, V | null> {
  return new DataLoader<string, V | null>(async (keys) => {
    const byKey = new Map((await load(keys)).map((row) => [keyOf(row), row]));
    return keys.map((k) => byKey.get(k) ?? null);
  });
}

/**
 * Keys of many parents that share the same arguments (page size, cursor, filter) load in one
 * statement; different arguments in the same tick load as one statement each.
 */
function groupedLoader<A, V>(
  load: (keys: string[], args: A) => Promise<Map<string, V>>,
  missing: () => V,
): DataLoader<{ key: string; args: A }, V, string> {
  return new DataLoader<{ key: string; args: A }, V, string>(
    async (requests) => {
      const groups = new Map<string, { args: A; keys: Set<string> }>();
      for (const r of requests) {
        const g = JSON.stringify(r.args);
        const group = groups.get(g) ?? { args: r.args, keys: new Set<string>() };
        group.keys.add(r.key);
        groups.set(g, group);
      }
      const results = new Map<string, Map<string, V>>();
      await Promise.all([...groups].map(async ([g, { args, keys }]) => results.set(g, await load([...keys], args))));
      return requests.map((r) => results.get(JSON.stringify(r.args))?.get(r.key) ?? missing());
    },
    { cacheKeyFn: (r) => JSON.stringify([r.key, r.args]) },
  );
}
