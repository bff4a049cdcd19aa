import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { listeningUrl } from '../../src/server/serve';
import { govgraph } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { REDIS_URL, testQueuePrefix } from '../support/redis';

/**
 * API keys as an operator manages them: made, listed and revoked with the CLI (the package's bin
 * over the compiled code: `npm run build`), used against two `govgraph serve` processes over one
 * database. A revoked or expired key stops working on the very next call, on both, with no restart.
 */

const BIN = path.resolve(__dirname, '../../bin/govgraph.js');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

interface Serve {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
  stderr(): string;
}

/** `govgraph serve` on a free port of loopback; resolves once it prints where it listens. */
async function serve(env: Record<string, string>): Promise<Serve> {
  const child = spawn(process.execPath, [BIN, 'serve'], { env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (c) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (c) => {
      stdout += c;
      const listening = listeningUrl(stdout);
      if (listening) resolve(listening);
    });
    void exited.then((code) => reject(new Error(`serve exited (${code}) before listening: ${stderr}`)));
  });
  return { child, url, exited, stderr: () => stderr };
}

/** A whoOwns call as a bot makes it: the HTTP status, the WWW-Authenticate header and the error codes. */
async function call(url: string, key: string): Promise<{ status: number; wwwAuthenticate: string | null; codes: string[]; data: unknown }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query: '{ teams { name } }' }),
  });
  const body = (await res.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
  return { status: res.status, wwwAuthenticate: res.headers.get('www-authenticate'), codes: (body.errors ?? []).map((e) => String(e.extensions?.code)), data: body.data };
}

describe('API keys: create, use, expire and revoke across two API processes', () => {
  let db: TestDatabase;
  let apis: Serve[] = [];
  let env: Record<string, string>;
  const cli = (...args: string[]) => govgraph(['api-key', ...args], env);
  const create = async (...args: string[]) => {
    const r = await cli('create', ...args, '--json');
    if (r.code !== 0) throw new Error(`api-key create failed (${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout) as { id: string; key: string; role: string; teams: string[] };
  };
  const onBoth = (key: string) => Promise.all(apis.map((api) => call(api.url, key)));

  beforeAll(async () => {
    db = await createTestDatabase();
    env = { DATABASE_URL: db.url, REDIS_URL, GOVGRAPH_QUEUE_PREFIX: testQueuePrefix() };
    apis = await Promise.all([serve(env), serve(env)]);
  });
  afterAll(async () => {
    for (const api of apis) api.child.kill('SIGTERM');
    await Promise.all(apis.map((api) => api.exited));
    await db?.drop();
  });

  it('prints a new key once as {"id","key","role","teams"}, and both API processes accept it at once', async () => {
    // Act
    const r = await cli('create', '--name', 'dashboards', '--role', 'team-member', '--team', 'TeamA', '--team', 'TeamB', '--json');
    const made = JSON.parse(r.stdout);
    const answers = await onBoth(made.key);

    // Assert
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(Object.keys(made).sort()).toEqual(['id', 'key', 'role', 'teams']);
    expect(made).toMatchObject({ role: 'team-member', teams: ['TeamA', 'TeamB'] });
    expect(made.key).toContain(made.id);
    expect(answers.map((a) => [a.status, a.codes])).toEqual([[200, []], [200, []]]);
  });

  it('stores only the SHA-256 hex of the secret: neither the key nor its secret appears anywhere in api_keys', async () => {
    // Arrange
    const made = await create('--name', 'stored-hash', '--role', 'auditor');
    const secret = made.key.split('_').slice(2).join('_');

    // Act
    const rows = (await db.pool.query('SELECT row_to_json(k)::text AS row, secret_sha256 FROM api_keys k WHERE id = $1', [made.id])).rows;
    const table = (await db.pool.query("SELECT string_agg(row_to_json(k)::text, ' ') AS all FROM api_keys k")).rows[0].all as string;

    // Assert
    expect(rows).toHaveLength(1);
    expect(rows[0].secret_sha256).toBe(sha256(secret));
    expect(table).not.toContain(made.key);
    expect(table).not.toContain(secret);
    expect(table).not.toContain(Buffer.from(secret, 'base64url').toString('hex'));
  });

  it('lists every key without the key or its hash, as JSON and as text', async () => {
    // Arrange
    const made = await create('--name', 'listed', '--role', 'ownership-bot');
    const secret = made.key.split('_').slice(2).join('_');

    // Act
    const json = await cli('list', '--json');
    const text = await cli('list');

    // Assert
    expect(json.code).toBe(0);
    expect(text.code).toBe(0);
    const listed = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(listed.find((k) => k.id === made.id)).toMatchObject({ id: made.id, name: 'listed', role: 'ownership-bot', teams: [], expiresAt: null, revokedAt: null });
    expect(text.stdout).toMatch(new RegExp(`^${made.id}  listed  ownership-bot  created \\S+  active$`, 'm'));
    for (const out of [json.stdout, text.stdout]) {
      expect(out).not.toContain(secret);
      expect(out).not.toContain(sha256(secret));
      expect(out).not.toMatch(/ggk_[a-z0-9]{12}_/);
    }
  });

  it('refuses a revoked key with 401 on the very next call, on both API processes', async () => {
    // Arrange
    const made = await create('--name', 'to-revoke', '--role', 'team-lead', '--team', 'TeamA');
    const before = await onBoth(made.key);

    // Act
    const revoked = await cli('revoke', made.id);
    const after = await onBoth(made.key);
    const listed = JSON.parse((await cli('list', '--json')).stdout).find((k: { id: string }) => k.id === made.id);

    // Assert
    expect(before.map((a) => a.status)).toEqual([200, 200]);
    expect(revoked).toMatchObject({ code: 0, stdout: `api key ${made.id} revoked\n` });
    for (const a of after) {
      expect(a.status).toBe(401);
      expect(a.codes).toEqual(['UNAUTHENTICATED']);
      expect(a.wwwAuthenticate).toMatch(/^Bearer /);
      expect(a.data ?? null).toBeNull();
    }
    expect(listed.revokedAt).not.toBeNull();
  });

  it('accepts a key until its --expires time and refuses it with 401 once past, with no restart', async () => {
    // Arrange
    const expires = new Date(Date.now() + 5000);
    const made = await create('--name', 'short-lived', '--role', 'auditor', '--expires', expires.toISOString());

    // Act
    const askedBefore = Date.now();
    const before = await onBoth(made.key);
    await sleep(Math.max(0, expires.getTime() - Date.now()) + 100);
    const after = await onBoth(made.key);

    // Assert
    expect(askedBefore).toBeLessThan(expires.getTime());
    expect(before.map((a) => [a.status, a.codes])).toEqual([[200, []], [200, []]]);
    expect(after.map((a) => [a.status, a.codes])).toEqual([[401, ['UNAUTHENTICATED']], [401, ['UNAUTHENTICATED']]]);
  });

  describe('bad input exits non-zero with one clear line and stores nothing', () => {
    const cases: [string, string[], RegExp][] = [
      ['an unknown role', ['create', '--name', 'x', '--role', 'superuser'], /superuser.*(admin, auditor, team-lead, team-member, ownership-bot|Allowed choices)/],
      ['team-member without --team', ['create', '--name', 'x', '--role', 'team-member'], /team-member needs at least one --team/],
      ['admin with --team', ['create', '--name', 'x', '--role', 'admin', '--team', 'TeamA'], /admin .*--team/],
      ['an expiry in the past', ['create', '--name', 'x', '--role', 'auditor', '--expires', '2020-01-01T00:00:00Z'], /--expires .*not in the future/],
      ['an expiry that is not a time', ['create', '--name', 'x', '--role', 'auditor', '--expires', 'next tuesday'], /--expires/],
      ['a revoke of an unknown id', ['revoke', 'nosuchkey000'], /no API key with id nosuchkey000/],
    ];
    for (const [what, args, message] of cases) {
      it(`refuses ${what}`, async () => {
        // Arrange
        const count = async () => Number((await db.pool.query('SELECT count(*) AS n FROM api_keys WHERE revoked_at IS NULL')).rows[0].n);
        const before = await count();

        // Act
        const r = await cli(...args);

        // Assert
        expect(r.code).not.toBe(0);
        expect(r.stdout).toBe('');
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr).toMatch(message);
        expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
        expect(await count()).toBe(before);
      });
    }
  });
});
