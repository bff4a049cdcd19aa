import type { PoolClient } from 'pg';
import { textSha256 } from '../domain/cloudtrail/content-hash';
import type { RejectedRecord } from '../domain/cloudtrail/types';

/** Keeps rejected records aside with their reason; the same record rejected again adds nothing. */
export async function storeRejectedRecords(client: PoolClient, rejected: RejectedRecord[], runId: string | null): Promise<void> {
  if (rejected.length === 0) return;
  await client.query(
    `INSERT INTO rejected_records (source, position, reason, raw, raw_sha256, ingestion_run_id)
     SELECT u.source, u.position, u.reason, u.raw, u.raw_sha256, $6::bigint
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(source, position, reason, raw, raw_sha256)
     ON CONFLICT (source, position, raw_sha256) DO NOTHING`,
    [
      rejected.map((r) => r.source), rejected.map((r) => r.position), rejected.map((r) => r.reason),
      rejected.map((r) => r.raw), rejected.map((r) => textSha256(r.raw)), runId,
    ],
  );
}
