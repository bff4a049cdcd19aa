import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Queryable } from '../read/sql';
import { InvalidInputError } from '../read/errors';
import { isRole, ROLES, TEAM_ROLES, UnauthenticatedError, type Identity, type Role } from './identity';

/**
 * API keys for bots, dashboards and scripts. A key reads `ggk_<id>_<secret>`: the id finds the
 * row, the secret is 32 random bytes of which only the SHA-256 is stored, compared in constant
 * time. Nothing is cached: a revoked or expired key stops working on the next request, on every
 * API process.
 */

export const API_KEY_PREFIX = 'ggk_';
const KEY_PATTERN = /^ggk_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export interface ApiKeyRow {
  id: string;
  name: string;
  role: Role;
  teams: string[];
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

export interface NewApiKey {
  name: string;
  role: string;
  teams?: string[];
  expiresAt?: Date | null;
  /** the clock the expiry is checked against */
  now?: Date;
}

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

function newKeyId(): string {
  const bytes = randomBytes(12);
  return [...bytes].map((b) => ID_ALPHABET[b % ID_ALPHABET.length]).join('');
}

/** Checks the request, stores the key's hash, and returns the key: the only time it is ever shown. */
export async function createApiKey(db: Queryable, req: NewApiKey): Promise<{ row: ApiKeyRow; key: string }> {
  const name = req.name.trim();
  if (name === '' || name.length > 128 || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new InvalidInputError('--name must be 1 to 128 printable characters', 'name');
  }
  if (!isRole(req.role)) throw new InvalidInputError(`--role must be one of ${ROLES.join(', ')}; got "${req.role}"`, 'role');
  const teams = [...new Set((req.teams ?? []).map((t) => t.trim()).filter(Boolean))];
  if (TEAM_ROLES.has(req.role) && teams.length === 0) throw new InvalidInputError(`role ${req.role} needs at least one --team`, 'teams');
  if (!TEAM_ROLES.has(req.role) && teams.length > 0) throw new InvalidInputError(`role ${req.role} reads across teams; --team is only for team-lead and team-member`, 'teams');
  const now = req.now ?? new Date();
  if (req.expiresAt && req.expiresAt.getTime() <= now.getTime()) throw new InvalidInputError(`--expires (${req.expiresAt.toISOString()}) is not in the future`, 'expires');
  const id = newKeyId();
  const secret = randomBytes(32).toString('base64url');
  const { rows } = await db.query<ApiKeyRow>(
    `INSERT INTO api_keys (id, name, role, teams, secret_sha256, expires_at) VALUES ($1, $2, $3, $4, $5, $6)
     RETURNING id, name, role, teams, created_at AS "createdAt", expires_at AS "expiresAt", revoked_at AS "revokedAt"`,
    [id, name, req.role, teams, sha256(secret), req.expiresAt ?? null],
  );
  return { row: rows[0], key: `${API_KEY_PREFIX}${id}_${secret}` };
}

export async function listApiKeys(db: Queryable): Promise<ApiKeyRow[]> {
  const { rows } = await db.query<ApiKeyRow>(
    `SELECT id, name, role, teams, created_at AS "createdAt", expires_at AS "expiresAt", revoked_at AS "revokedAt"
       FROM api_keys ORDER BY created_at, id`,
  );
  return rows;
}

/** Revokes a key at once; false when there is no such key. Revoking again keeps the first time. */
export async function revokeApiKey(db: Queryable, id: string): Promise<boolean> {
  const { rows } = await db.query<{ id: string }>(
    'UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING id',
    [id],
  );
  return rows.length > 0;
}

/** The identity a key proves; UnauthenticatedError for a malformed, unknown, revoked or expired one. */
export async function authenticateApiKey(db: Queryable, key: string, now: Date = new Date()): Promise<Identity> {
  const m = KEY_PATTERN.exec(key);
  if (!m) throw new UnauthenticatedError('malformed API key');
  const [, id, secret] = m;
  const { rows } = await db.query<ApiKeyRow & { secretSha256: string }>(
    `SELECT id, name, role, teams, expires_at AS "expiresAt", revoked_at AS "revokedAt", secret_sha256 AS "secretSha256"
       FROM api_keys WHERE id = $1`,
    [id],
  );
  const row = rows[0];
  // the hash is compared even for an unknown id, so timing does not tell which ids exist
  const stored = Buffer.from(row?.secretSha256 ?? '0'.repeat(64), 'hex');
  const matches = timingSafeEqual(stored, Buffer.from(sha256(secret), 'hex'));
  if (!row || !matches) throw new UnauthenticatedError('unknown API key');
  if (row.revokedAt) throw new UnauthenticatedError('this API key was revoked');
  if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) throw new UnauthenticatedError('this API key has expired');
  return { kind: 'api-key', id: row.id, name: row.name, role: row.role, teams: row.teams, expiresAt: row.expiresAt };
}
