import { createApiKey } from '../../src/auth/api-keys';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ingestDemo } from '../support/api';
import { createTestDatabase, TestDatabase } from '../support/postgres';
import { REDIS_URL } from '../support/redis';
import { listeningUrl } from '../../src/server/serve';

/** `govgraph serve` as an operator runs it: the package's bin over the compiled code (`npm run build`). */
const BIN = path.resolve(__dirname, '../../bin/govgraph.js');

interface Served {
  child: ChildProcess;
  /** the URL it printed; null when it exited first */
  url: Promise<string | null>;
  exited: Promise<number | null>;
  output(): { stdout: string; stderr: string };
}

/** Spawns `govgraph serve` with the environment given (over the one a test needs). */
function spawnServe(env: Record<string, string>): Served {
  const child = spawn(process.execPath, [BIN, 'serve'], { env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (c) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = new Promise<string | null>((resolve) => {
    child.stdout!.on('data', (c) => {
      stdout += c;
      const listening = listeningUrl(stdout);
      if (listening) resolve(listening);
    });
    void exited.then(() => resolve(null));
  });
  return { child, url, exited, output: () => ({ stdout, stderr }) };
}

/** Whether a TCP connection to host:port is accepted. */
const accepts = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(3000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });

/** An IPv4 address of this machine other than loopback: where the network would reach it. */
function externalAddress(): string {
  const address = Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
  if (!address) throw new Error('this machine has no non-loopback IPv4 address to test listening against');
  return address;
}

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
      const { key } = await createApiKey(db.pool, { name: 'serve-test', role: 'auditor' });
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ query: '{ teams { name } }' }) });

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

  it('listens on loopback only unless HOST says otherwise', async () => {
    // Arrange
    const env = { DATABASE_URL: db.url, REDIS_URL, PORT: '0' };
    const local = spawnServe(env);
    const everywhere = spawnServe({ ...env, HOST: '0.0.0.0' });
    try {
      const localUrl = await local.url;
      const everywhereUrl = await everywhere.url;
      if (!localUrl || !everywhereUrl) throw new Error(`serve exited before listening: ${local.output().stderr}${everywhere.output().stderr}`);
      const localPort = Number(new URL(localUrl).port);
      const everywherePort = Number(new URL(everywhereUrl).port);

      // Act
      const fromLoopback = await accepts('127.0.0.1', localPort);
      const fromNetwork = await accepts(externalAddress(), localPort);
      const everywhereFromNetwork = await accepts(externalAddress(), everywherePort);

      // Assert
      expect(new URL(localUrl).hostname).toBe('127.0.0.1');
      expect(fromLoopback).toBe(true);
      expect(fromNetwork).toBe(false);
      expect(everywhereFromNetwork).toBe(true);
    } finally {
      local.child.kill('SIGTERM');
      everywhere.child.kill('SIGTERM');
    }
    expect(await local.exited).toBe(0);
    expect(await everywhere.exited).toBe(0);
  });

  it('exits non-zero with one clear line when its port is taken, instead of hanging', async () => {
    // Arrange: one API listening, then a second on the same PORT
    const env = { DATABASE_URL: db.url, REDIS_URL };
    const first = spawnServe({ ...env, PORT: '0' });
    try {
      const url = await first.url;
      if (!url) throw new Error(`serve exited before listening: ${first.output().stderr}`);
      const port = new URL(url).port;

      // Act
      const second = spawnServe({ ...env, PORT: port });
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([second.exited, new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), 20_000)))]);
      clearTimeout(timer);
      if (code === 'hung') second.child.kill('SIGKILL');

      // Assert
      expect(code).toBe(1);
      expect(second.output()).toEqual({ stdout: '', stderr: `govgraph: port ${port} on 127.0.0.1 is already in use; set PORT or stop the other process\n` });
      expect(await accepts('127.0.0.1', Number(port))).toBe(true); // the first one is untouched
    } finally {
      first.child.kill('SIGTERM');
    }
    expect(await first.exited).toBe(0);
  });
});
