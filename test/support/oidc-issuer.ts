import { createServer, type Server } from 'node:http';
import type { CryptoKey, JSONWebKeySet, JWK, JWTPayload } from 'jose' with { 'resolution-mode': 'import' };
import { loadJose } from '../../src/auth/jose';
import { listenOnLoopback } from './listen';

/**
 * A real OpenID Connect issuer for tests: a node HTTP server on 127.0.0.1 serving the discovery
 * document and a JWKS, with signing keys from jose that can be added, retired and rotated, and
 * switches to make discovery fail or answer oddly.
 */

export interface IssuerKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

export interface SignOptions {
  /** sign with this key (default: the newest published one) */
  key?: IssuerKey;
  /** leave these registered claims out */
  omit?: ('iss' | 'aud' | 'exp' | 'sub' | 'iat')[];
}

export interface TestIssuer {
  /** the issuer URL, also each token's default `iss` */
  issuer: string;
  audience: string;
  /** the keys the JWKS publishes now, oldest first */
  published(): IssuerKey[];
  /** a new key, published in the JWKS */
  addKey(alg?: string): Promise<IssuerKey>;
  /** start publishing a key made by `unpublishedKey` */
  publish(key: IssuerKey): void;
  /** stop publishing a key (its tokens stay signed by it) */
  retire(key: IssuerKey): void;
  /** a key not published anywhere, to sign tokens the issuer never would */
  unpublishedKey(alg?: string): Promise<IssuerKey>;
  /** a signed token: default claims (iss, aud, sub, iat, exp in 5 min) overridden by `claims` */
  sign(claims?: JWTPayload, options?: SignOptions): Promise<string>;
  /** what the discovery path answers: normally the document; 503, or never (hangs) */
  discovery: 'up' | 'down' | 'hang';
  /** overrides of the discovery document's fields (e.g. another `issuer`) */
  discoveryOverrides: Record<string, unknown>;
  /** extra bytes padded into the JWKS response, to test size bounds */
  jwksPaddingBytes: number;
  /** requests served per path */
  hits: { discovery: number; jwks: number };
  close(): Promise<void>;
}

export async function startOidcIssuer(opts: { audience?: string } = {}): Promise<TestIssuer> {
  const jose = await loadJose();
  let keys: IssuerKey[] = [];
  let kidCounter = 0;
  const hanging = new Set<import('node:http').ServerResponse>();

  const newKey = async (alg = 'RS256'): Promise<IssuerKey> => {
    const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: true });
    const kid = `key-${++kidCounter}`;
    const publicJwk = { ...(await jose.exportJWK(publicKey)), kid, alg, use: 'sig' };
    return { kid, alg, privateKey, publicKey, publicJwk };
  };

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/.well-known/openid-configuration') {
      issuer.hits.discovery++;
      if (issuer.discovery === 'hang') {
        hanging.add(res);
        return;
      }
      if (issuer.discovery === 'down') {
        res.writeHead(503, { 'content-type': 'text/plain' }).end('maintenance');
        return;
      }
      const document = {
        issuer: issuer.issuer,
        jwks_uri: `${issuer.issuer}/jwks`,
        id_token_signing_alg_values_supported: ['RS256', 'ES256', 'PS256', 'EdDSA'],
        ...issuer.discoveryOverrides,
      };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document));
      return;
    }
    if (path === '/jwks') {
      issuer.hits.jwks++;
      const jwks: JSONWebKeySet & { padding?: string } = { keys: keys.map((k) => k.publicJwk) };
      if (issuer.jwksPaddingBytes > 0) jwks.padding = 'x'.repeat(issuer.jwksPaddingBytes);
      res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify(jwks));
      return;
    }
    res.writeHead(404).end();
  });
  const port = await listenOnLoopback(server);
  const url = `http://127.0.0.1:${port}`;

  const issuer: TestIssuer = {
    issuer: url,
    audience: opts.audience ?? 'govgraph',
    published: () => [...keys],
    async addKey(alg) {
      const key = await newKey(alg);
      keys.push(key);
      return key;
    },
    publish(key) {
      keys.push(key);
    },
    retire(key) {
      keys = keys.filter((k) => k.kid !== key.kid);
    },
    unpublishedKey: (alg) => newKey(alg),
    async sign(claims = {}, options = {}) {
      const key = options.key ?? keys[keys.length - 1];
      if (!key) throw new Error('the test issuer has no key');
      const now = Math.floor(Date.now() / 1000);
      const defaults: JWTPayload = { iss: url, aud: issuer.audience, sub: 'user-1', iat: now, exp: now + 300 };
      const payload: JWTPayload = { ...defaults, ...claims };
      for (const claim of options.omit ?? []) delete payload[claim];
      return new jose.SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' }).sign(key.privateKey);
    },
    discovery: 'up',
    discoveryOverrides: {},
    jwksPaddingBytes: 0,
    hits: { discovery: 0, jwks: 0 },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  await issuer.addKey();
  return issuer;
}
