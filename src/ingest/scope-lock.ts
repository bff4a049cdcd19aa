import type { Pool } from 'pg';

/**
 * Runs fn while holding a Postgres advisory lock named by `name`, or returns null at once when
 * another worker holds it: one sync per account and region at a time, whichever machine runs it.
 */
export async function withScopeLock<T>(pool: Pool, name: string, fn: () => Promise<T>): Promise<T | null> {
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [name]);
    if (!rows[0].locked) return null;
    try {
      return await fn();
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [name]);
    }
  } finally {
    client.release();
  }
}
