import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Client } from 'pg';
import { redactUrl } from './redact';

/**
 * Applies prisma/migrations offline, keeping Prisma's own history table exactly as
 * `prisma migrate deploy` writes it, so either tool can take over a database.
 * (The Prisma CLI needs a schema-engine binary that no machine of this project can download.)
 */

/** Prisma takes this advisory lock while migrating (prisma-engines source). */
const PRISMA_MIGRATE_LOCK = 72707369;

const HISTORY_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export async function readMigrations(dir = migrationsDir()): Promise<Migration[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

/** prisma/migrations beside the package, from src (ts) or dist/src (compiled). */
export function migrationsDir(): string {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'prisma', 'migrations');
    if (existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error('prisma/migrations not found beside the govgraph package');
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: string[];
  createdDatabase: boolean;
}

/** Creates the database when it does not exist yet (Postgres has no CREATE DATABASE IF NOT EXISTS). */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const dbName = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!dbName) throw new Error(`DATABASE_URL ${redactUrl(databaseUrl)} names no database`);
  const probe = new Client({ connectionString: databaseUrl });
  try {
    await probe.connect();
    return false;
  } catch (err) {
    if ((err as { code?: string }).code !== '3D000') throw err; // 3D000: invalid_catalog_name
  } finally {
    await probe.end().catch(() => undefined);
  }
  url.pathname = '/postgres';
  const admin = new Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${dbName.replace(/"/g, '""')}"`);
  } catch (err) {
    if ((err as { code?: string }).code !== '42P04') throw err; // created meanwhile by another process
  } finally {
    await admin.end();
  }
  return true;
}

export async function migrate(databaseUrl: string): Promise<MigrateResult> {
  const createdDatabase = await ensureDatabase(databaseUrl);
  const migrations = await readMigrations();
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  const applied: string[] = [];
  const alreadyApplied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK]);
    await client.query(HISTORY_TABLE);
    const { rows } = await client.query<{
      migration_name: string;
      checksum: string;
      finished_at: Date | null;
      rolled_back_at: Date | null;
    }>('SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at');
    for (const m of migrations) {
      const history = rows.filter((r) => r.migration_name === m.name && r.rolled_back_at === null);
      if (history.some((r) => r.finished_at === null)) {
        throw new Error(`migration ${m.name} started earlier and did not finish; inspect the database, then mark it rolled back in _prisma_migrations`);
      }
      const done = history.find((r) => r.finished_at !== null);
      if (done) {
        if (done.checksum !== m.checksum) {
          throw new Error(`migration ${m.name} was changed after it was applied (checksum differs); add a new migration instead`);
        }
        alreadyApplied.push(m.name);
        continue;
      }
      await applyMigration(client, m);
      applied.push(m.name);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK]).catch(() => undefined);
    await client.end();
  }
  return { applied, alreadyApplied, createdDatabase };
}

async function applyMigration(client: Client, m: Migration): Promise<void> {
  const id = randomUUID();
  await client.query(
    'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)',
    [id, m.checksum, m.name],
  );
  try {
    // Postgres DDL is transactional: a failing migration leaves nothing half-applied.
    await client.query('BEGIN');
    await client.query(m.sql);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    // Rolled back cleanly, so the row is marked rolled back and does not block a corrected rerun.
    await client.query('UPDATE "_prisma_migrations" SET rolled_back_at = now(), logs = $2 WHERE id = $1', [
      id,
      String(err instanceof Error ? err.message : err),
    ]);
    throw new Error(`migration ${m.name} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  await client.query('UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1', [id]);
}
