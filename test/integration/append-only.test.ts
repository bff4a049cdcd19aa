import { createTestDatabase, TestDatabase } from '../support/postgres';

describe('the audit event table is append-only in Postgres itself', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    // Arrange: one stored event in a monthly partition and one in the default partition
    await db.pool.query("SELECT ensure_audit_event_partition('2026-11-01')");
    await db.pool.query(`INSERT INTO audit_events (event_id, event_time, event_source, event_name, raw, content_sha256)
      VALUES ('e-1', '2026-11-02T10:00:00Z', 'sagemaker.amazonaws.com', 'CreateTrainingJob', '{"eventID":"e-1"}', 'h1'),
             ('e-2', '1999-01-01T00:00:00Z', 'sagemaker.amazonaws.com', 'CreateModel', '{"eventID":"e-2"}', 'h2')`);
    await db.pool.query("INSERT INTO audit_event_keys (event_id, event_time, content_sha256) VALUES ('e-1', '2026-11-02T10:00:00Z', 'h1')");
  });
  afterAll(() => db.drop());

  it.each([
    ['UPDATE', "UPDATE audit_events SET event_name = 'DeleteTrainingJob' WHERE event_id = 'e-1'"],
    ['UPDATE of the raw record', `UPDATE audit_events SET raw = '{}' WHERE event_id = 'e-2'`],
    ['DELETE', "DELETE FROM audit_events WHERE event_id = 'e-1'"],
    ['DELETE on a partition', 'DELETE FROM audit_events_2026_11'],
    ['TRUNCATE', 'TRUNCATE audit_events'],
    ['TRUNCATE of a partition', 'TRUNCATE audit_events_2026_11'],
    ['TRUNCATE of the default partition', 'TRUNCATE audit_events_default'],
    ['UPDATE of the eventID key', "UPDATE audit_event_keys SET content_sha256 = 'x'"],
    ['DELETE of the eventID key', 'DELETE FROM audit_event_keys'],
  ])('refuses %s', async (_label, sql) => {
    // Act / Assert
    await expect(db.pool.query(sql)).rejects.toThrow(/audit store is append-only/);
  });

  it('still holds both events unchanged afterwards', async () => {
    // Act
    const { rows } = await db.pool.query('SELECT event_id, event_name, raw::text AS raw FROM audit_events ORDER BY event_id');

    // Assert
    expect(rows).toEqual([
      { event_id: 'e-1', event_name: 'CreateTrainingJob', raw: '{"eventID":"e-1"}' },
      { event_id: 'e-2', event_name: 'CreateModel', raw: '{"eventID":"e-2"}' },
    ]);
  });

  it('makes a month\'s partition once when several writers ask for it at the same moment, each call succeeding', async () => {
    // Act: three connections at once, for a month no partition holds yet
    const calls = await Promise.allSettled([0, 1, 2].map(() => db.pool.query("SELECT ensure_audit_event_partition('2031-01-01')")));

    // Assert
    expect(calls.map((c) => (c.status === 'fulfilled' ? 'ok' : (c.reason as Error).message))).toEqual(['ok', 'ok', 'ok']);
    const { rows } = await db.pool.query(
      `SELECT c.relname, (SELECT count(*) FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = 'audit_events_2031_01_no_truncate')::int AS guards
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'audit_events'::regclass AND c.relname = 'audit_events_2031_01'`,
    );
    expect(rows).toEqual([{ relname: 'audit_events_2031_01', guards: 1 }]);
  });

  it("makes a new month's partition while another writer's batch is open, and readers go on meanwhile", async () => {
    // Arrange: a batch written but not committed, as while an ingestion waits for its rule evaluation
    const batch = await db.pool.connect();
    try {
      await batch.query('BEGIN');
      await batch.query(`INSERT INTO audit_events (event_id, event_time, event_source, event_name, raw, content_sha256)
        VALUES ('e-3', '2026-11-03T10:00:00Z', 'sagemaker.amazonaws.com', 'CreateModel', '{"eventID":"e-3"}', 'h3')`);

      // Act: another writer needs a new month's partition (were it to wait for the batch, a lock timeout would fail it)
      const writer = await db.pool.connect();
      const made = await (async () => {
        await writer.query("BEGIN; SET LOCAL lock_timeout = '3s'");
        await writer.query("SELECT ensure_audit_event_partition('2031-02-01')");
        await writer.query('COMMIT');
      })().then(() => 'ok', async (err: Error) => (await writer.query('ROLLBACK'), err.message)).finally(() => writer.release());
      const read = await db.pool.query('SELECT count(*)::int AS n FROM audit_events');

      // Assert: made at once, with the guards of every partition, and the open batch is not seen
      expect(made).toBe('ok');
      expect(read.rows).toEqual([{ n: 2 }]);
      const { rows } = await db.pool.query(
        `SELECT (SELECT count(*) FROM pg_index x WHERE x.indrelid = c.oid)::int AS indexes,
                (SELECT array_agg(t.tgname::text ORDER BY t.tgname) FROM pg_trigger t WHERE t.tgrelid = c.oid) AS triggers
           FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'audit_events'::regclass AND c.relname = 'audit_events_2031_02'`,
      );
      expect(rows).toEqual([{ indexes: 6, triggers: ['audit_events_2031_02_no_truncate', 'audit_events_append_only'] }]);
    } finally {
      await batch.query('ROLLBACK');
      batch.release();
    }
    await expect(db.pool.query("INSERT INTO audit_events (event_id, event_time, event_source, event_name, raw, content_sha256) VALUES ('e-4', '2031-02-02T00:00:00Z', 's', 'n', '{}', 'h')")).resolves.toBeDefined();
    await expect(db.pool.query("UPDATE audit_events SET event_name = 'x' WHERE event_id = 'e-4'")).rejects.toThrow(/audit store is append-only/);
  });
});
