import { spawn } from 'node:child_process';
import path from 'node:path';
import { ingestDemo } from '../support/api';
import { createTestDatabase, TestDatabase } from '../support/postgres';
import { REDIS_URL } from '../support/redis';
import { listeningUrl } from '../../src/server/serve';

/** `govgraph serve` as an operator runs it: the package's bin over the compiled code (`npm run build`). */
const BIN = path.resolve(__dirname, '../../bin/govgraph.js');

describe('govgraph serve', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await ingestDemo(db);
  });
  afterAll(() => db.drop());

  it('serves /graphql, /healthz and /readyz on PORT, and stops cleanly on SIGTERM', async () => {
    // Arrange
    const child = spawn(process.execPath, [BIN, 'serve'], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url, REDIS_URL, PORT: '0', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (c) => {
        stdout += c;
        const listening = listeningUrl(stdout);
        if (listening) resolve(listening);
      });
      exited.then((code) => reject(new Error(`serve exited (${code}) before listening: ${stderr}`)));
    });

    try {
      // Act
      const base = url.replace(/\/graphql$/, '');
      const health = await fetch(`${base}/healthz`);
      const ready = await fetch(`${base}/readyz`);
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ teams { name } }' }) });

      // Assert
      expect(health.status).toBe(200);
      expect(ready.status).toBe(200);
      expect(await res.json()).toEqual({ data: { teams: [{ name: 'TeamA' }, { name: 'TeamB' }, { name: 'platform' }] } });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
  });
});
