import type { Identity } from '../auth/identity';
import { attribution } from '../auth/identity';
import type { ScopedSession } from '../auth/scoped-session';
import type { OwnershipAnswer } from '../domain/ownership/types';
import type { Queryable } from '../read/sql';
import { createLoaders, type Loaders } from './loaders';
import type { ViolationFeed } from './violation-feed';

/** The ownership resolver's contract (src/ownership/who-owns.ts). */
export type WhoOwnsFn = (db: Queryable, query: string, opts: { teamTagKey: string }) => Promise<OwnershipAnswer>;

/** Where a request came from, for the access log. */
export interface ClientInfo {
  address: string | null;
  userAgent: string | null;
  transport: 'http' | 'ws';
}

/**
 * What every resolver receives. There is no pool here on purpose: every read goes through `db`,
 * the request's session, narrowed to the caller's scope by row-level security.
 */
export interface GovgraphContext {
  /** this request's database session (src/auth/scoped-session.ts) */
  db: ScopedSession;
  loaders: Loaders;
  identity: Identity;
  client: ClientInfo;
  teamTagKey: string;
  whoOwns: WhoOwnsFn;
  /**
   * whoOwns answers across every team, for every role (README: Roles): its own answer reads
   * unscoped; what hangs below it (a Resource's events, a Principal's grants) is read through `db`.
   */
  ownershipDb: ScopedSession;
  /** who is calling, as recorded on status changes (changed_by) */
  user: string;
  /** new violations as they are opened; for subscriptions (WebSocket) only */
  feed?: ViolationFeed;
  /** a new session in the caller's scope (a subscription reads once per event, each in its own) */
  openSession: () => ScopedSession;
}

export function createContext(deps: {
  db: ScopedSession;
  identity: Identity;
  client: ClientInfo;
  teamTagKey: string;
  whoOwns: WhoOwnsFn;
  ownershipDb: ScopedSession;
  feed?: ViolationFeed;
  openSession: () => ScopedSession;
}): GovgraphContext {
  return { ...deps, user: attribution(deps.identity), loaders: createLoaders(deps.db) };
}
