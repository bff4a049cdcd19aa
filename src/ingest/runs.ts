import type { Pool } from 'pg';

export type IngestionKind = 'cloudtrail-files' | 'lookup-events' | 'tag-files' | 'get-resources' | 'iam-files' | 'iam-snapshot';

/** Opens an ingestion run: every stored row points back to the run that brought it. */
export async function startIngestionRun(pool: Pool, kind: IngestionKind, scope: string): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    'INSERT INTO ingestion_runs (kind, scope) VALUES ($1, $2) RETURNING id::text AS id',
    [kind, scope],
  );
  return rows[0].id;
}

export async function finishIngestionRun(
  pool: Pool,
  runId: string,
  outcome: { status: 'succeeded' | 'failed'; complete: boolean; counts: object; error?: string | null },
): Promise<void> {
  await pool.query(
    'UPDATE ingestion_runs SET finished_at = now(), status = $2, complete = $3, counts = $4::jsonb, error = $5 WHERE id = $1',
    [runId, outcome.status, outcome.complete, JSON.stringify(outcome.counts), outcome.error ?? null],
  );
}

export async function readCheckpoint<T>(pool: Pool, source: string, scope: string): Promise<T | null> {
  const { rows } = await pool.query<{ position: T }>(
    'SELECT position FROM ingestion_checkpoints WHERE source = $1 AND scope = $2',
    [source, scope],
  );
  return rows[0]?.position ?? null;
}

export async function writeCheckpoint(pool: Pool, source: string, scope: string, position: object): Promise<void> {
  await pool.query(
    `INSERT INTO ingestion_checkpoints (source, scope, position, updated_at) VALUES ($1, $2, $3::jsonb, now())
     ON CONFLICT (source, scope) DO UPDATE SET position = EXCLUDED.position, updated_at = now()`,
    [source, scope, JSON.stringify(position)],
  );
}
