import type { Pool } from 'pg';
import type { Atomic, Queryable } from '../read/sql';
import { InvalidInputError, NotFoundError, truncate } from '../read/errors';
import { VIOLATION_COLUMNS, type ViolationRow, type ViolationStatus } from '../read/violations';

/**
 * What people do to violations: suppress one (accepted risk, with a reason and maybe an expiry)
 * or reopen one (a suppression withdrawn, or a resolution disputed). Each change updates the
 * violation and appends who, why and when to violation_status_changes, in one transaction;
 * the update is guarded on the status the change starts from, so two concurrent changes cannot
 * both apply.
 */

export interface SuppressRequest {
  id: string;
  reason: string;
  /** when the suppression ends; null or absent: no end */
  until?: Date | null;
  /** who asks (changed_by, suppressed_by) */
  by: string;
  /** the clock `until` is checked against */
  now?: Date;
}

export interface ReopenRequest {
  id: string;
  reason: string;
  by: string;
}

const MAX_REASON_LENGTH = 2000;

function checkReason(value: string): string {
  const reason = value.trim();
  if (reason === '') throw new InvalidInputError('reason must not be empty: say why, it is kept in the violation\'s history', 'reason');
  if (reason.length > MAX_REASON_LENGTH) throw new InvalidInputError(`reason may be at most ${MAX_REASON_LENGTH} characters; got ${reason.length}`, 'reason');
  return reason;
}

/** OPEN → SUPPRESSED. Only an open violation can be suppressed (a resolved one needs no suppression). */
export async function suppressViolation(pool: Pool | Atomic, req: SuppressRequest): Promise<ViolationRow> {
  const reason = checkReason(req.reason);
  const until = req.until ?? null;
  const now = req.now ?? new Date();
  if (until && until.getTime() <= now.getTime()) {
    throw new InvalidInputError(
      `until (${until.toISOString()}) is not in the future; give a later time, or leave it out to suppress with no end`,
      'until',
    );
  }
  return changeStatus(pool, req.id, {
    to: 'SUPPRESSED',
    refuse: (current) => {
      if (current.status === 'SUPPRESSED') {
        const end = current.suppressedUntil ? ` until ${current.suppressedUntil.toISOString()}` : '';
        return `violation ${req.id} is already SUPPRESSED (by ${current.suppressedBy ?? 'unknown'}${end}: "${truncate(current.suppressedReason ?? '', 100)}"); reopen it first to suppress it anew`;
      }
      if (current.status === 'RESOLVED') return `violation ${req.id} is RESOLVED; only an OPEN violation can be suppressed`;
      return null;
    },
    set: `status = 'SUPPRESSED', suppressed_reason = $3, suppressed_by = $4, suppressed_until = $5`,
    values: [reason, req.by, until],
    change: { reason, by: req.by, until },
  });
}

/**
 * SUPPRESSED or RESOLVED → OPEN: the suppression, or the resolution, is cleared from the row
 * (the history keeps it).
 */
export async function reopenViolation(pool: Pool | Atomic, req: ReopenRequest): Promise<ViolationRow> {
  const reason = checkReason(req.reason);
  return changeStatus(pool, req.id, {
    to: 'OPEN',
    refuse: (current) =>
      current.status === 'OPEN' ? `violation ${req.id} is already OPEN; only a SUPPRESSED or RESOLVED violation can be reopened` : null,
    set: `status = 'OPEN', suppressed_reason = NULL, suppressed_by = NULL, suppressed_until = NULL,
          resolved_at = NULL, resolved_by_event_id = NULL`,
    values: [],
    change: { reason, by: req.by, until: null },
  });
}

interface CurrentState {
  status: ViolationStatus;
  suppressedBy: string | null;
  suppressedReason: string | null;
  suppressedUntil: Date | null;
}

async function changeStatus(
  pool: Pool | Atomic,
  id: string,
  spec: {
    to: ViolationStatus;
    /** why the change cannot start from the current state; null: it can */
    refuse: (current: CurrentState) => string | null;
    /** the SET list; $1 is the id, $2 the status it starts from, $3… the values */
    set: string;
    values: unknown[];
    change: { reason: string; by: string; until: Date | null };
  },
): Promise<ViolationRow> {
  return inTransaction(pool, async (client) => {
    // locks the row: the state checked is the state updated
    const { rows: [current] } = await client.query<CurrentState>(
      `SELECT status, suppressed_by AS "suppressedBy", suppressed_reason AS "suppressedReason", suppressed_until AS "suppressedUntil"
         FROM violations WHERE id = $1 FOR UPDATE`,
      [id],
    );
    if (!current) throw new NotFoundError(`no violation with id ${id}`, 'id');
    const refusal = spec.refuse(current);
    if (refusal) throw new InvalidInputError(refusal, 'id');
    const { rows: [updated] } = await client.query<ViolationRow>(
      `UPDATE violations v SET ${spec.set} WHERE v.id = $1 AND v.status = $2 RETURNING ${VIOLATION_COLUMNS}`,
      [id, current.status, ...spec.values],
    );
    if (!updated) throw new Error(`violation ${id} changed status during the update`);
    await client.query(
      `INSERT INTO violation_status_changes (violation_id, from_status, to_status, reason, changed_by, until) VALUES ($1, $2, $3, $4, $5, $6)`,
      [id, current.status, spec.to, spec.change.reason, spec.change.by, spec.change.until],
    );
    return updated;
  });
}

/** The work as one unit: inside the caller's session (a savepoint), or a transaction of its own. */
async function inTransaction<T>(db: Pool | Atomic, work: (client: Queryable) => Promise<T>): Promise<T> {
  if ('atomically' in db) return db.atomically(work);
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
