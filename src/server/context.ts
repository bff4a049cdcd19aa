import type { Pool } from 'pg';
import type { OwnershipAnswer } from '../domain/ownership/types';
import { createLoaders, type Loaders } from './loaders';
import type { ViolationFeed } from './violation-feed';

/** The ownership resolver's contract (src/ownership/who-owns.ts). */
export type WhoOwnsFn = (pool: Pool, query: string, opts: { teamTagKey: string }) => Promise<OwnershipAnswer>;

/** What every resolver receives: the pool, this request's loaders, the caller, and the settings they need. */
export interface GovgraphContext {
  pool: Pool;
  loaders: Loaders;
  teamTagKey: string;
  whoOwns: WhoOwnsFn;
  /** who is calling, as recorded on status changes (changed_by): see callerName */
  user: string;
  /** new violations as they are opened; for subscriptions (WebSocket) only */
  feed?: ViolationFeed;
}

export function createContext(deps: { pool: Pool; teamTagKey: string; whoOwns: WhoOwnsFn; user?: string; feed?: ViolationFeed }): GovgraphContext {
  return { ...deps, user: deps.user ?? ANONYMOUS, loaders: createLoaders(deps.pool) };
}

/** The header naming the caller; set by the authenticating proxy in front of the API. */
export const USER_HEADER = 'x-govgraph-user';
export const ANONYMOUS = 'anonymous';
const MAX_USER_LENGTH = 256;

/**
 * The caller's name from the x-govgraph-user header, else 'anonymous'. This attributes changes; it
 * does not authenticate: the API trusts whatever sits in front of it (an SSO proxy) to set it.
 * Control characters are dropped and the name is cut short so a header cannot forge log lines.
 */
export function callerName(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  const name = (value ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, MAX_USER_LENGTH);
  return name === '' ? ANONYMOUS : name;
}
