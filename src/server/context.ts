import type { Pool } from 'pg';
import type { OwnershipAnswer } from '../domain/ownership/types';
import { createLoaders, type Loaders } from './loaders';

/** The ownership resolver's contract (src/ownership/who-owns.ts). */
export type WhoOwnsFn = (pool: Pool, query: string, opts: { teamTagKey: string }) => Promise<OwnershipAnswer>;

/** What every resolver receives: the pool, this request's loaders, and the settings they need. */
export interface GovgraphContext {
  pool: Pool;
  loaders: Loaders;
  teamTagKey: string;
  whoOwns: WhoOwnsFn;
}

export function createContext(deps: { pool: Pool; teamTagKey: string; whoOwns: WhoOwnsFn }): GovgraphContext {
  return { ...deps, loaders: createLoaders(deps.pool) };
}
