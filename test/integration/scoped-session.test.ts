import { RequestCancelledError, ScopedSession, scopeOf } from '../../src/auth/scoped-session';
import type { Identity } from '../../src/auth/identity';
import { createTestDatabase, TestDatabase } from '../support/postgres';

/** One API request's database session: its role and scope, its time bound, its cancel, its end. */
describe('ScopedSession', () => {
  let db: TestDatabase;
  const member: Identity = { kind: 'api-key', id: 'k1', name: 'bot', role: 'team-member', teams: ['TeamA', 'Team "B"'], expiresAt: null };
  const admin: Identity = { ...member, role: 'admin', teams: [] };
  const session = (identity: Identity, statementTimeoutMs = 5000) => new ScopedSession(db.pool, scopeOf(identity), { teamTagKey: 'team', statementTimeoutMs });

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it("runs as the caller's database role with its teams in the transaction's settings, read-only for reads", async () => {
    // Arrange
    const s = session(member);

    // Act
    const { rows } = await s.query(`SELECT current_user AS role, govgraph_scope_teams() AS teams, current_setting('transaction_read_only') AS ro`);
    const write = await s.query('INSERT INTO teams (name) VALUES ($1)', ['TeamX']).catch((e) => e);
    await s.end();
    const asAdmin = session(admin);
    const adminRole = (await asAdmin.query('SELECT current_user AS role')).rows[0].role;
    await asAdmin.end();

    // Assert
    expect(rows[0]).toEqual({ role: 'govgraph_api_scoped', teams: ['TeamA', 'Team "B"'], ro: 'on' });
    expect(write.code).toBe('25006'); // read_only_sql_transaction
    expect(adminRole).toBe('govgraph_api_unscoped');
  });

  it('stops a statement past its time bound, and the request goes on with its next statement', async () => {
    // Arrange
    const s = session(admin, 200);
    const started = Date.now();

    // Act
    const err = await s.query('SELECT pg_sleep(5)').catch((e) => e);
    const elapsed = Date.now() - started;
    const next = await s.query('SELECT 1 AS one');
    await s.end();

    // Assert
    expect(err.code).toBe('57014');
    expect(elapsed).toBeLessThan(4000);
    expect(next.rows).toEqual([{ one: 1 }]);
  });

  it('cancels the running statement in Postgres when the request is cancelled, and refuses later ones', async () => {
    // Arrange
    const s = session(admin);
    const running = s.query("SELECT pg_sleep(30), 'govgraph-cancel-test' AS marker").catch((e) => e);
    for (let i = 0; i < 100; i++) {
      const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE '%govgraph-cancel-test%' AND state = 'active' AND pid <> pg_backend_pid()");
      if (rows[0].n > 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }

    // Act
    await s.cancel();
    const err = await running;
    const later = await s.query('SELECT 1').catch((e) => e);
    await s.end();
    const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE '%govgraph-cancel-test%' AND state = 'active' AND pid <> pg_backend_pid()");

    // Assert
    expect(err).toBeInstanceOf(RequestCancelledError);
    expect(later).toBeInstanceOf(RequestCancelledError);
    expect(rows[0].n).toBe(0);
  });

  it("stops a request whose statements together run past the request's bound, each statement within its own", async () => {
    // Arrange: each statement is well within its 5 s bound; the request's 400 ms is not
    const s = new ScopedSession(db.pool, scopeOf(admin), { teamTagKey: 'team', statementTimeoutMs: 5000, requestTimeoutMs: 400 });
    const started = Date.now();

    // Act
    const first = await s.query('SELECT pg_sleep(0.3)');
    const second = await s.query('SELECT pg_sleep(0.3)').catch((e) => e);
    const third = await s.query('SELECT 1').catch((e) => e);
    await s.end();

    // Assert
    expect(first.rows).toHaveLength(1);
    expect(second).toBeInstanceOf(RequestCancelledError);
    expect(second.reason).toBe('deadline');
    expect(third).toBeInstanceOf(RequestCancelledError);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('holds one connection at most, and gives it back when it ends', async () => {
    // Arrange
    const s = session(member);

    // Act: concurrent statements of one request share its one connection
    await Promise.all([s.query('SELECT 1'), s.query('SELECT 2'), s.query('SELECT 3')]);
    const during = db.pool.totalCount - db.pool.idleCount;
    await s.end();

    // Assert
    expect(during).toBe(1);
    expect(db.pool.totalCount - db.pool.idleCount).toBe(0);
  });
});
