import type { Pool, PoolClient } from 'pg';
import type { NamedStatement, Queryable } from '../read/sql';
import type { Identity } from './identity';

/**
 * One API request's database session: one pooled connection, one transaction, run as the
 * database role of the caller's scope with the scope in transaction-local settings
 * (prisma/migrations/20261206000000_api_auth). Row-level security then narrows every statement
 * any resolver sends, so a new read path cannot forget the caller's teams. The transaction also
 * gives every field of a request one snapshot (a page and its totalCount agree), bounds each
 * statement (statement_timeout), and can be cancelled in Postgres when the client goes away.
 */

export interface Scope {
  /** the database role: BYPASSRLS for admin and auditor, row-level security for the others */
  role: 'govgraph_api_unscoped' | 'govgraph_api_scoped';
  /** the teams a scoped caller reads (empty: no team's rows) */
  teams: string[];
  /** every resource and its tags, nothing else (ownership-bot) */
  allResources: boolean;
}

export function scopeOf(identity: Identity): Scope {
  switch (identity.role) {
    case 'admin':
    case 'auditor':
      return { role: 'govgraph_api_unscoped', teams: [], allResources: true };
    case 'team-lead':
    case 'team-member':
      return { role: 'govgraph_api_scoped', teams: identity.teams, allResources: false };
    case 'ownership-bot':
      return { role: 'govgraph_api_scoped', teams: [], allResources: true };
  }
}

export interface SessionOptions {
  teamTagKey: string;
  /** the longest any one statement may run (ms) */
  statementTimeoutMs: number;
  /** the longest all statements of one request may take together (ms); past it, the rest are refused */
  requestTimeoutMs?: number;
}

/** A Postgres text[] literal of the teams (set_config takes text). */
function textArrayLiteral(values: string[]): string {
  return `{${values.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

export class RequestCancelledError extends Error {
  constructor(readonly reason: 'client-gone' | 'deadline' = 'client-gone') {
    super(reason === 'deadline' ? 'the request ran past the time the API allows one request and was stopped' : 'the request was cancelled (its client went away)');
    this.name = 'RequestCancelledError';
  }
}

export class ScopedSession implements Queryable {
  private client: PoolClient | null = null;
  private opening: Promise<PoolClient> | null = null;
  /** a failed statement aborts the transaction: the next statement starts a fresh one */
  private aborted = false;
  private cancelled: false | 'client-gone' | 'deadline' = false;
  private deadline: NodeJS.Timeout | null = null;
  private ended = false;
  /** mutations need a read-write transaction; reads get a read-only one */
  readWrite = false;

  constructor(
    private readonly pool: Pool,
    readonly scope: Scope,
    private readonly options: SessionOptions,
  ) {}

  /** statements of one request run one after another on its connection (resolvers ask concurrently) */
  private tail: Promise<unknown> = Promise.resolve();

  query<R extends Record<string, any> = any>(text: string | NamedStatement, values?: unknown[]): Promise<{ rows: R[] }> {
    return this.enqueue(() => this.run<R>(text, values));
  }

  /** Work on the connection in its turn, after every statement asked before it. */
  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async run<R extends Record<string, any>>(text: string | NamedStatement, values?: unknown[]): Promise<{ rows: R[] }> {
    const client = await this.connection();
    if (this.aborted) {
      await client.query('ROLLBACK');
      await client.query(this.beginStatement(client));
      this.aborted = false;
    }
    try {
      return await (typeof text === 'string' ? client.query<R>(text, values) : client.query<R>(text));
    } catch (err) {
      this.aborted = true;
      if (this.cancelled) throw new RequestCancelledError(this.cancelled);
      throw err;
    }
  }

  /**
   * Work that must apply whole or not at all within the request's transaction (a mutation
   * field): a savepoint, so a failure undoes it alone and the request goes on.
   */
  async atomically<T>(work: (db: Queryable) => Promise<T>): Promise<T> {
    await this.query('SAVEPOINT govgraph_change');
    try {
      const result = await work(this);
      await this.query('RELEASE SAVEPOINT govgraph_change');
      return result;
    } catch (err) {
      // in its turn, and not through query(): the failed statement marked the transaction aborted,
      // and query() would roll all of it back, changes of earlier mutation fields included
      if (!this.cancelled) {
        await this.enqueue(async () => {
          await this.client?.query('ROLLBACK TO SAVEPOINT govgraph_change');
          this.aborted = false;
        }).catch(() => undefined);
      }
      throw err;
    }
  }

  /** Stops the statement running for this request, if any; later statements fail at once. */
  async cancel(reason: 'client-gone' | 'deadline' = 'client-gone'): Promise<void> {
    if (this.ended || this.cancelled) return;
    this.cancelled = reason;
    const pid = (this.client as unknown as { processID?: number } | null)?.processID;
    if (pid) await this.pool.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => undefined);
  }

  /** Commits (or, after a cancel, rolls back) and returns the connection to the pool. */
  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    if (this.deadline) clearTimeout(this.deadline);
    // An answer can be sent while statements of the request still run (a failed field ends a list
    // early). Statements still queued are refused now (connection() sees `ended`); the one in
    // flight finishes (bounded by statement_timeout) before the transaction ends, so the connection
    // never goes back to the pool with a statement or a transaction of this request still open on it.
    await this.tail;
    const client = this.client ?? (this.opening ? await this.opening.catch(() => null) : null);
    if (!client) return;
    let broken = false;
    try {
      await client.query(this.cancelled || this.aborted ? 'ROLLBACK' : 'COMMIT');
    } catch {
      broken = true;
    } finally {
      client.release(broken);
    }
  }

  private connection(): Promise<PoolClient> {
    if (this.cancelled) return Promise.reject(new RequestCancelledError(this.cancelled));
    if (this.ended) return Promise.reject(new Error('the request is over; its database session is closed'));
    if (this.client) return Promise.resolve(this.client);
    this.opening ??= (async () => {
      const limit = this.options.requestTimeoutMs;
      if (limit) this.deadline = setTimeout(() => void this.cancel('deadline'), limit).unref();
      const client = await this.pool.connect();
      try {
        await client.query(this.beginStatement(client));
      } catch (err) {
        client.release(true);
        throw err;
      }
      this.client = client;
      return client;
    })();
    return this.opening;
  }

  /** One round trip: the transaction, its role, its timeout and the caller's scope. */
  private beginStatement(client: PoolClient): string {
    const lit = (s: string) => client.escapeLiteral(s);
    return [
      // reads: one snapshot for the whole request; changes: read committed, as the lifecycle's row locks expect
      this.readWrite ? 'BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE' : 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
      `SET LOCAL ROLE ${this.scope.role}`,
      `SET LOCAL statement_timeout = ${Math.max(1, Math.floor(this.options.statementTimeoutMs))}`,
      `SELECT set_config('govgraph.scope_teams', ${lit(textArrayLiteral(this.scope.teams))}, true),
              set_config('govgraph.scope_all_resources', ${lit(this.scope.allResources ? 'on' : 'off')}, true),
              set_config('govgraph.team_tag_key', ${lit(this.options.teamTagKey)}, true)`,
    ].join(';\n');
  }
}
