import { createServer } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseClaimMapping } from '../../src/auth/claims-mapping';
import { ForbiddenError, UnauthenticatedError } from '../../src/auth/identity';
import { loadJose } from '../../src/auth/jose';
import { createOidcVerifier, createOidcVerifierFromConfig, type OidcSettings, type OidcVerifier } from '../../src/auth/oidc';
import { ConfigError, loadConfig } from '../../src/config/config';
import { startOidcIssuer, type TestIssuer } from '../support/oidc-issuer';

/** OIDC bearer tokens against a real issuer serving discovery and a JWKS over HTTP on 127.0.0.1. */

const MAPPING_YAML = `
groups:
  govgraph-admins: { role: admin }
  security-auditors: { role: auditor }
  teama-leads: { role: team-lead, teams: [TeamA] }
  teamb-leads: { role: team-lead, teams: [TeamB] }
  teama: { role: team-member, teams: [TeamA] }
  chatops-bot: { role: ownership-bot }
`;
const mapping = parseClaimMapping(MAPPING_YAML, 'auth-mapping.yaml');

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The refusal a verifier gives a token; it must be a 401-kind error that does not repeat the token. */
async function refusal(verifier: OidcVerifier, token: string): Promise<Error> {
  const outcome = await verifier.verify(token).then(
    (identity) => new Error(`accepted as ${JSON.stringify(identity)}`),
    (err: Error) => err,
  );
  expect(outcome).toBeInstanceOf(UnauthenticatedError);
  if (token.length >= 8) expect(outcome.message).not.toContain(token.slice(0, 8));
  return outcome;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('OIDC bearer tokens', () => {
  let issuer: TestIssuer;
  const verifierFor = (overrides: Partial<OidcSettings> = {}) =>
    createOidcVerifier({ issuer: issuer.issuer, audience: issuer.audience, groupsClaim: 'groups', mapping, ...overrides });

  beforeEach(async () => {
    issuer = await startOidcIssuer();
  });
  afterEach(() => issuer.close());

  describe('valid tokens', () => {
    it('proves the identity the mapping gives its groups, with discovery and keys fetched once', async () => {
      // Arrange
      const verifier = verifierFor();
      const exp = nowSeconds() + 600;
      const token = await issuer.sign({ sub: 'u-42', email: 'dana@example.com', groups: ['teama', 'teamb-leads', 'teama-leads', 'unmapped'], exp });
      const others = await Promise.all([1, 2, 3].map((n) => issuer.sign({ sub: `u-${n}`, groups: 'chatops-bot' })));

      // Act
      const identity = await verifier.verify(token);
      const more = await Promise.all(others.map((t) => verifier.verify(t)));

      // Assert
      expect(identity).toEqual({
        kind: 'oidc',
        id: 'u-42',
        name: 'dana@example.com',
        role: 'team-lead',
        teams: ['TeamA', 'TeamB'],
        expiresAt: new Date(exp * 1000),
      });
      expect(more.map((i) => [i.id, i.role, i.teams])).toEqual([
        ['u-1', 'ownership-bot', []],
        ['u-2', 'ownership-bot', []],
        ['u-3', 'ownership-bot', []],
      ]);
      expect(issuer.hits).toEqual({ discovery: 1, jwks: 1 });
    });

    it('accepts EC, RSA-PSS and Ed25519 signatures and any configured audience', async () => {
      // Arrange
      const verifier = verifierFor({ audience: ['govgraph', 'dashboards'] });
      const tokens: string[] = [];
      for (const alg of ['ES256', 'PS256', 'EdDSA']) {
        const key = await issuer.addKey(alg);
        tokens.push(await issuer.sign({ sub: alg, aud: 'dashboards', preferred_username: `bot-${alg}`, groups: ['security-auditors'] }, { key }));
      }

      // Act
      const identities = await Promise.all(tokens.map((t) => verifier.verify(t)));

      // Assert
      expect(identities.map((i) => [i.id, i.name, i.role])).toEqual([
        ['ES256', 'bot-ES256', 'auditor'],
        ['PS256', 'bot-PS256', 'auditor'],
        ['EdDSA', 'bot-EdDSA', 'auditor'],
      ]);
    });

    it('allows the configured clock skew around exp', async () => {
      // Arrange
      const verifier = verifierFor({ clockToleranceSeconds: 30 });
      const token = await issuer.sign({ groups: ['govgraph-admins'], exp: nowSeconds() - 10 });

      // Act
      const identity = await verifier.verify(token);

      // Assert
      expect(identity.role).toBe('admin');
    });

    it('reads groups from a nested claim (Keycloak realm_access.roles) and a claim named with a colon (Cognito)', async () => {
      // Arrange
      const keycloak = verifierFor({ groupsClaim: 'realm_access.roles' });
      const cognito = verifierFor({ groupsClaim: 'cognito:groups' });
      const keycloakToken = await issuer.sign({ realm_access: { roles: ['offline_access', 'security-auditors'] }, groups: ['govgraph-admins'] });
      const cognitoToken = await issuer.sign({ 'cognito:groups': ['teama'] });

      // Act
      const fromKeycloak = await keycloak.verify(keycloakToken);
      const fromCognito = await cognito.verify(cognitoToken);

      // Assert
      expect([fromKeycloak.role, fromKeycloak.teams]).toEqual(['auditor', []]);
      expect([fromCognito.role, fromCognito.teams]).toEqual(['team-member', ['TeamA']]);
    });
  });

  describe('key rotation', () => {
    it('accepts a token of a newly published key and refuses one of the removed key once the key set is refetched', async () => {
      // Arrange
      const verifier = verifierFor({ jwksCooldownMs: 500 });
      const [oldKey] = issuer.published();
      const oldToken = await issuer.sign({ groups: ['teama'] }, { key: oldKey });
      await verifier.verify(oldToken);
      const newKey = await issuer.addKey();
      issuer.retire(oldKey);
      const newToken = await issuer.sign({ groups: ['teama'] }, { key: newKey });
      await sleep(600);

      // Act
      const withNewKey = await verifier.verify(newToken);
      const withOldKey = await refusal(verifier, oldToken);

      // Assert
      expect(withNewKey.role).toBe('team-member');
      expect(withOldKey.message).toBe('token signed by an unknown key');
      expect(issuer.hits.jwks).toBeGreaterThanOrEqual(2);
    });

    it('refuses a removed key when the cached key set grows old, even with no new key in sight', async () => {
      // Arrange
      const verifier = verifierFor({ jwksCacheMaxAgeMs: 1000 });
      const [key] = issuer.published();
      const token = await issuer.sign({ groups: ['teama'] }, { key });
      const successor = await issuer.unpublishedKey();
      await verifier.verify(token);
      issuer.publish(successor);
      issuer.retire(key);
      const stillCached = await verifier.verify(token);
      await sleep(1100);

      // Act
      const afterRefresh = await refusal(verifier, token);

      // Assert
      expect(stillCached.role).toBe('team-member');
      expect(afterRefresh.message).toBe('token signed by an unknown key');
    });

    it('does not refetch the key set for every made-up kid (at most once per cooldown)', async () => {
      // Arrange
      const verifier = verifierFor();
      await verifier.verify(await issuer.sign({ groups: ['teama'] }));
      const strangers = await Promise.all([1, 2, 3, 4, 5].map(async () => issuer.sign({ groups: ['teama'] }, { key: await issuer.unpublishedKey() })));

      // Act
      const refusals = [];
      for (const token of strangers) refusals.push(await refusal(verifier, token));

      // Assert
      expect(refusals.map((e) => e.message)).toEqual(Array(5).fill('token signed by an unknown key'));
      expect(issuer.hits.jwks).toBe(1);
    });
  });

  describe('refused tokens', () => {
    it('refuses an expired token', async () => {
      // Arrange
      const token = await issuer.sign({ groups: ['govgraph-admins'], iat: nowSeconds() - 3600, exp: nowSeconds() - 600 });

      // Act
      const err = await refusal(verifierFor(), token);

      // Assert
      expect(err.message).toBe('token expired');
    });

    it('refuses a token that is not yet valid', async () => {
      // Arrange
      const token = await issuer.sign({ groups: ['govgraph-admins'], nbf: nowSeconds() + 600, exp: nowSeconds() + 1200 });

      // Act
      const err = await refusal(verifierFor(), token);

      // Assert
      expect(err.message).toBe('token not yet valid');
    });

    it('refuses a token of another issuer, even signed by a published key', async () => {
      // Arrange
      const token = await issuer.sign({ groups: ['govgraph-admins'], iss: 'https://login.other.example.com' });

      // Act
      const err = await refusal(verifierFor(), token);

      // Assert
      expect(err.message).toBe('token from another issuer');
    });

    it('refuses a token for another audience', async () => {
      // Arrange
      const token = await issuer.sign({ groups: ['govgraph-admins'], aud: ['some-other-app'] });

      // Act
      const err = await refusal(verifierFor(), token);

      // Assert
      expect(err.message).toBe('token for another audience');
    });

    it('refuses a token without exp', async () => {
      // Arrange
      const token = await issuer.sign({ groups: ['govgraph-admins'] }, { omit: ['exp'] });

      // Act
      const err = await refusal(verifierFor(), token);

      // Assert
      expect(err.message).toBe('token has no exp claim');
    });

    it('refuses an unsigned token (alg: none) without fetching anything', async () => {
      // Arrange
      const claims = { iss: issuer.issuer, aud: issuer.audience, sub: 'mallory', exp: nowSeconds() + 300, groups: ['govgraph-admins'] };
      const unsigned = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
      const verifier = verifierFor();

      // Act
      const err = await refusal(verifier, unsigned);

      // Assert
      expect(err.message).toMatch(/^token algorithm not allowed/);
      expect(issuer.hits).toEqual({ discovery: 0, jwks: 0 });
    });

    it('refuses an HS256 token whose secret is the public key (algorithm confusion)', async () => {
      // Arrange
      const jose = await loadJose();
      const [key] = issuer.published();
      const claims = { iss: issuer.issuer, aud: issuer.audience, sub: 'mallory', exp: nowSeconds() + 300, groups: ['govgraph-admins'] };
      const secrets = [await jose.exportSPKI(key.publicKey), JSON.stringify(key.publicJwk)].map((s) => new TextEncoder().encode(s));
      const forged = await Promise.all(
        secrets.map((secret) => new jose.SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: key.kid }).sign(secret)),
      );
      const verifier = verifierFor();

      // Act
      const errors = await Promise.all(forged.map((t) => refusal(verifier, t)));

      // Assert
      for (const err of errors) expect(err.message).toMatch(/^token algorithm not allowed/);
    });

    it('refuses a token signed by another key under a published kid', async () => {
      // Arrange
      const [published] = issuer.published();
      const impostor = await issuer.unpublishedKey();
      const token = await issuer.sign({ groups: ['govgraph-admins'] }, { key: { ...impostor, kid: published.kid } });

      // Act
      const err = await refusal(verifierFor(), token);

      // Assert
      expect(err.message).toBe('bad token signature');
    });

    it('refuses a token whose payload was altered after signing', async () => {
      // Arrange
      const token = await issuer.sign({ groups: ['teama'] });
      const [header, , signature] = token.split('.');
      const altered = `${header}.${b64url({ iss: issuer.issuer, aud: issuer.audience, sub: 'user-1', exp: nowSeconds() + 300, groups: ['govgraph-admins'] })}.${signature}`;

      // Act
      const err = await refusal(verifierFor(), altered);

      // Assert
      expect(err.message).toBe('bad token signature');
    });

    it('answers a valid token with no mapped group as forbidden, not unauthenticated', async () => {
      // Arrange
      const token = await issuer.sign({ groups: ['marketing', 'Everyone'] });

      // Act
      const err = await verifierFor().verify(token).then(() => null, (e: Error) => e);

      // Assert
      expect(err).toBeInstanceOf(ForbiddenError);
      expect(err?.message).toBe('authenticated, but no group of the token maps to a govgraph role');
    });

    it('refuses garbled and oversized tokens as malformed without fetching anything', async () => {
      // Arrange
      const verifier = verifierFor();
      const garbled = ['not-a-token', 'a.b.c', '..', '%%%.%%%.%%%', `${b64url(['RS256'])}.${b64url({})}.c2ln`, `${b64url({ typ: 'JWT' })}.${b64url({})}.c2ln`];

      // Act
      const messages = [];
      for (const token of garbled) messages.push((await refusal(verifier, token)).message);
      const oversized = await refusal(verifier, `${'a'.repeat(40_000)}.b.c`);

      // Assert
      expect(messages).toEqual(Array(garbled.length).fill('malformed token'));
      expect(oversized.message).toBe('token too long');
      expect(issuer.hits).toEqual({ discovery: 0, jwks: 0 });
    });

    it('refuses a well-formed header over a garbled payload (the signature is checked before the payload is read)', async () => {
      // Arrange
      const [key] = issuer.published();
      const header = b64url({ alg: 'RS256', kid: key.kid });
      const garbled = [`${header}.${b64url('just a string')}.c2ln`, `${header}.%%%.c2ln`];

      // Act
      const messages = [];
      for (const token of garbled) messages.push((await refusal(verifierFor(), token)).message);

      // Assert
      expect(messages).toEqual(['bad token signature', 'bad token signature']);
    });
  });

  describe('issuer trouble', () => {
    it('refuses while discovery is down and accepts once it is back (a failure is not cached)', async () => {
      // Arrange
      const verifier = verifierFor();
      const token = await issuer.sign({ groups: ['govgraph-admins'] });
      issuer.discovery = 'down';

      // Act
      const whileDown = await refusal(verifier, token);
      issuer.discovery = 'up';
      const identity = await verifier.verify(token);

      // Assert
      expect(whileDown.message).toBe('token issuer unreachable (discovery: HTTP 503)');
      expect(identity.role).toBe('admin');
      expect(issuer.hits.discovery).toBe(2);
    });

    it('refuses when nothing listens at the issuer', async () => {
      // Arrange
      const verifier = verifierFor({ issuer: `http://127.0.0.1:${await closedPort()}` });
      const token = await issuer.sign({ groups: ['govgraph-admins'] });

      // Act
      const err = await refusal(verifier, token);

      // Assert
      expect(err.message).toBe('token issuer unreachable (discovery: ECONNREFUSED)');
    });

    it('gives up on a discovery that never answers after the fetch timeout', async () => {
      // Arrange
      const verifier = verifierFor({ fetchTimeoutMs: 300 });
      const token = await issuer.sign({ groups: ['govgraph-admins'] });
      issuer.discovery = 'hang';

      // Act
      const err = await refusal(verifier, token);

      // Assert
      expect(err.message).toBe('token issuer unreachable (discovery: timed out)');
    });

    it('refuses when the discovery document names another issuer', async () => {
      // Arrange
      issuer.discoveryOverrides = { issuer: 'https://attacker.example.com' };
      const token = await issuer.sign({ groups: ['govgraph-admins'] });

      // Act
      const err = await refusal(verifierFor(), token);

      // Assert
      expect(err.message).toBe('token issuer unreachable (discovery: the document names another issuer)');
    });

    it('refuses a key set over the size bound', async () => {
      // Arrange
      issuer.jwksPaddingBytes = 1024 * 1024;
      const token = await issuer.sign({ groups: ['govgraph-admins'] });

      // Act
      const err = await refusal(verifierFor(), token);

      // Assert
      expect(err.message).toBe('token issuer unreachable (key set: response larger than 524288 bytes)');
    });

    it('warms up at start: discovery and keys fetched, or the reason they cannot be', async () => {
      // Arrange
      const verifier = verifierFor();
      const broken = verifierFor({ issuer: `http://127.0.0.1:${await closedPort()}` });

      // Act
      await verifier.warmUp();
      const failure = await broken.warmUp().then(() => null, (e: Error) => e);

      // Assert
      expect(issuer.hits).toEqual({ discovery: 1, jwks: 1 });
      expect(failure?.message).toBe('discovery: ECONNREFUSED');
    });
  });

  describe('configuration', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'govgraph-oidc-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('builds the verifier from the environment and the mapping file', async () => {
      // Arrange
      const file = join(dir, 'auth.json');
      writeFileSync(file, JSON.stringify({ groups: { 'teama-leads': { role: 'team-lead', teams: ['TeamA'] } } }));
      const config = loadConfig({ OIDC_ISSUER: issuer.issuer, OIDC_AUDIENCE: 'other-app, govgraph', GOVGRAPH_AUTH_MAPPING: file, OIDC_GROUPS_CLAIM: 'roles' });
      const token = await issuer.sign({ roles: ['teama-leads'] });

      // Act
      const verifier = await createOidcVerifierFromConfig(config);
      const identity = await verifier!.verify(token);

      // Assert
      expect(config.OIDC_AUDIENCE).toEqual(['other-app', 'govgraph']);
      expect([identity.role, identity.teams]).toEqual(['team-lead', ['TeamA']]);
    });

    it('is off when OIDC is not configured', async () => {
      // Arrange
      const config = loadConfig({});

      // Act
      const verifier = await createOidcVerifierFromConfig(config);

      // Assert
      expect(config.OIDC_GROUPS_CLAIM).toBe('groups');
      expect(verifier).toBeNull();
    });

    it('stops at start on a bad mapping file with one line naming it', async () => {
      // Arrange
      const file = join(dir, 'bad.yaml');
      writeFileSync(file, 'groups:\n  teama: { role: team-member }\n');
      const config = loadConfig({ OIDC_ISSUER: issuer.issuer, OIDC_AUDIENCE: 'govgraph', GOVGRAPH_AUTH_MAPPING: file });

      // Act
      const err = await createOidcVerifierFromConfig(config).then(() => null, (e: Error) => e);

      // Assert
      expect(err?.message).toBe(`invalid claim mapping: ${file}:2: groups.teama.teams: role team-member must name at least one team (teams: [TeamA])`);
      expect(err?.message).not.toContain('\n');
    });

    it.each([
      [{ OIDC_ISSUER: 'https://login.example.com' }, ['OIDC_AUDIENCE', 'GOVGRAPH_AUTH_MAPPING']],
      [{ OIDC_AUDIENCE: 'govgraph', GOVGRAPH_AUTH_MAPPING: '/etc/govgraph/auth.yaml' }, ['OIDC_ISSUER']],
      [{ OIDC_ISSUER: 'http://login.example.com', OIDC_AUDIENCE: 'govgraph', GOVGRAPH_AUTH_MAPPING: '/etc/govgraph/auth.yaml' }, ['OIDC_ISSUER']],
      [{ OIDC_ISSUER: 'not a url', OIDC_AUDIENCE: 'govgraph', GOVGRAPH_AUTH_MAPPING: '/etc/govgraph/auth.yaml' }, ['OIDC_ISSUER']],
    ])('refuses an incomplete or unsafe OIDC setting %j', (env, atFault) => {
      // Arrange
      const read = () => loadConfig(env);

      // Act
      const err = (() => {
        try {
          read();
          return null;
        } catch (e) {
          return e as Error;
        }
      })();

      // Assert
      expect(err).toBeInstanceOf(ConfigError);
      const named = err!.message.split('\n').slice(1).map((line) => line.trim().split(':')[0]);
      expect(named).toEqual(atFault);
    });

    it('allows http only for a loopback issuer', () => {
      // Arrange
      const env = (issuerUrl: string) => ({ OIDC_ISSUER: issuerUrl, OIDC_AUDIENCE: 'govgraph', GOVGRAPH_AUTH_MAPPING: '/etc/govgraph/auth.yaml' });

      // Act
      const loopback = ['http://127.0.0.1:8080/realms/x', 'http://localhost:8080', 'http://[::1]:9000', 'https://login.example.com/'].map((u) => loadConfig(env(u)).OIDC_ISSUER);

      // Assert
      expect(loopback).toEqual(['http://127.0.0.1:8080/realms/x', 'http://localhost:8080', 'http://[::1]:9000', 'https://login.example.com/']);
    });
  });
});
