import { randomUUID } from 'node:crypto';
import { Client, Pool } from 'pg';

/** Where tests find Postgres: TEST_DATABASE_ADMIN_URL, else the local trust-auth server. */
export const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
/**
 * Migrated once per run by globalSetup (which names it in the environment, so concurrent runs
 * never share one); every test file copies it into a database of its own.
 */
export const templateDb = () => process.env.GOVGRAPH_TEST_TEMPLATE_DB ?? 'govgraph_test_template';

export function databaseUrl(name: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function adminQuery(sql: string): Promise<void> {
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  pool: Pool;
  drop(): Promise<void>;
}

/** A fresh, migrated database for one test file (isolated, order-independent). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `govgraph_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  await adminQuery(`CREATE DATABASE ${name} TEMPLATE ${templateDb()}`);
  const url = databaseUrl(name);
  const pool = new Pool({ connectionString: url, max: 4 });
  // pool.end() resolves before its connections have closed; DROP … WITH (FORCE) may then terminate
  // one, and that error would surface as unhandled in whichever test file runs at the time
  pool.on('error', () => undefined);
  return {
    name,
    url,
    pool,
    async drop() {
      await pool.end();
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
