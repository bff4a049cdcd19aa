import type { FetchImplementation, JWTVerifyGetKey } from 'jose' with { 'resolution-mode': 'import' };
import type { Config } from '../config/config';
import { identityFromClaims, loadClaimMapping, type ClaimMapping } from './claims-mapping';
import { UnauthenticatedError, type Identity } from './identity';
import { loadJose, type Jose } from './jose';

/**
 * OpenID Connect bearer tokens (Okta, Entra ID, Google, Cognito, Keycloak, an SSO proxy forwarding
 * the ID token): the signature is checked against the issuer's published keys, found through its
 * discovery document; the token's groups become a role and teams through the claim mapping.
 * All JOSE work is `jose`'s.
 */

export interface OidcSettings {
  /** the issuer exactly as its tokens' `iss` and its discovery document name it */
  issuer: string;
  /** accepted `aud` values; a token must carry one of them */
  audience: string | string[];
  /** the claim carrying the groups: a name (`groups`, `cognito:groups`) or a dotted path (`realm_access.roles`) */
  groupsClaim: string;
  mapping: ClaimMapping;
  /** allowed clock skew for `exp` and `nbf`; default 30 s */
  clockToleranceSeconds?: number;
  /** bound on each fetch of the discovery document or the key set; default 5 s */
  fetchTimeoutMs?: number;
  /** after a key-set fetch, how long an unknown `kid` is refused without fetching again; default 30 s */
  jwksCooldownMs?: number;
  /** how long fetched keys are trusted before the key set is fetched again; default 10 min */
  jwksCacheMaxAgeMs?: number;
}

export interface OidcVerifier {
  /**
   * The identity a token proves. UnauthenticatedError (HTTP 401) for any refused token, with a
   * short reason that never repeats the token; ForbiddenError when it is valid but none of its
   * groups maps to a role.
   */
  verify(token: string): Promise<Identity>;
  /** Fetches the discovery document and the key set now (e.g. at start, to warn early); rejects with the reason. */
  warmUp(): Promise<void>;
}

/** Asymmetric signatures only: `none` and HMAC (whose "secret" could be the public key) are refused. */
export const ALLOWED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** Real ID tokens are a few KB even with hundreds of groups. */
export const MAX_TOKEN_LENGTH = 32 * 1024;
/** Bound on the discovery document and the key set (Entra ID's key set is about 10 KB). */
export const MAX_DOCUMENT_BYTES = 512 * 1024;

const LOOPBACK_HOSTS = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** Why `value` cannot be an issuer or key-set URL, or null: https, or http only on a loopback host (tests, development). */
export function oidcUrlProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL';
  }
  if (url.search !== '' || url.hash !== '') return 'must not have a query or fragment';
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.test(url.hostname)) return null;
  return 'must be an https:// URL (http:// only on a loopback host)';
}

/** The issuer's discovery document or key set could not be had; the token may be fine. */
class IssuerUnavailable extends Error {}

async function readBounded(response: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length'));
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new IssuerUnavailable(`response larger than ${maxBytes} bytes`);
  }
  if (!response.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new IssuerUnavailable(`response larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** jose's fetch for the key set, with the body size bounded (jose bounds the time). */
const boundedFetch: FetchImplementation = async (url, options) => {
  const response = await fetch(url, options);
  if (response.status !== 200) {
    await response.body?.cancel();
    return new Response(null, { status: response.status });
  }
  return new Response(await readBounded(response, MAX_DOCUMENT_BYTES), { status: 200, headers: response.headers });
};

function describe(err: unknown): string {
  if (err instanceof IssuerUnavailable) return err.message;
  const e = err as { name?: string; message?: string; cause?: { code?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError' || (e as { code?: string })?.code === 'ERR_JWKS_TIMEOUT') return 'timed out';
  if (e?.cause?.code) return e.cause.code; // undici: ECONNREFUSED, ENOTFOUND…
  return e?.message ?? String(err);
}

export function createOidcVerifier(settings: OidcSettings): OidcVerifier {
  const issuerProblem = oidcUrlProblem(settings.issuer);
  if (issuerProblem) throw new Error(`OIDC issuer ${settings.issuer} ${issuerProblem}`);
  const audience = Array.isArray(settings.audience) ? settings.audience : [settings.audience];
  if (audience.length === 0 || audience.some((a) => a === '')) throw new Error('OIDC audience must name at least one non-empty value');
  const timeoutMs = settings.fetchTimeoutMs ?? 5000;
  const discoveryUrl = `${settings.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;

  async function discover(jose: Jose): Promise<JWTVerifyGetKey> {
    let response: Response;
    try {
      response = await fetch(discoveryUrl, {
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
        headers: { accept: 'application/json' },
      });
    } catch (err) {
      throw new IssuerUnavailable(`discovery: ${describe(err)}`, { cause: err });
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new IssuerUnavailable(`discovery: HTTP ${response.status}`);
    }
    let document: unknown;
    try {
      document = JSON.parse(Buffer.from(await readBounded(response, MAX_DOCUMENT_BYTES)).toString('utf8'));
    } catch (err) {
      throw new IssuerUnavailable(`discovery: ${err instanceof SyntaxError ? 'not JSON' : describe(err)}`, { cause: err });
    }
    const { issuer, jwks_uri: jwksUri } = (document ?? {}) as { issuer?: unknown; jwks_uri?: unknown };
    // OpenID Connect Discovery §4.3: the document must name the issuer it was fetched for.
    if (issuer !== settings.issuer) throw new IssuerUnavailable('discovery: the document names another issuer');
    if (typeof jwksUri !== 'string' || oidcUrlProblem(jwksUri) !== null) {
      throw new IssuerUnavailable(`discovery: jwks_uri ${typeof jwksUri === 'string' ? oidcUrlProblem(jwksUri) : 'is missing'}`);
    }
    // jose caches the keys, refetches them when an unknown kid appears (at most once per
    // cooldown, so a flood of made-up kids cannot hammer the issuer) and when they grow old.
    return jose.createRemoteJWKSet(new URL(jwksUri), {
      timeoutDuration: timeoutMs,
      cooldownDuration: settings.jwksCooldownMs,
      cacheMaxAge: settings.jwksCacheMaxAgeMs,
      [jose.customFetch]: boundedFetch,
    });
  }

  // Fetched once and shared; a failure is forgotten so the next request tries again.
  let keySet: Promise<JWTVerifyGetKey> | undefined;
  const currentKeySet = (jose: Jose): Promise<JWTVerifyGetKey> => {
    if (!keySet) {
      const attempt = discover(jose);
      keySet = attempt;
      attempt.catch(() => {
        if (keySet === attempt) keySet = undefined;
      });
    }
    return keySet;
  };

  // Token-level answers of the key set; anything else is the issuer's trouble, not the token's.
  const KEY_SELECTION = new Set(['ERR_JWKS_NO_MATCHING_KEY', 'ERR_JWKS_MULTIPLE_MATCHING_KEYS']);
  const getKey =
    (jose: Jose): JWTVerifyGetKey =>
    async (header, token) => {
      const keys = await currentKeySet(jose);
      try {
        return await keys(header, token);
      } catch (err) {
        if (err instanceof jose.errors.JOSEError && KEY_SELECTION.has(err.code)) throw err;
        throw new IssuerUnavailable(`key set: ${describe(err)}`, { cause: err });
      }
    };

  return {
    async verify(token: string): Promise<Identity> {
      if (typeof token !== 'string' || token === '') throw new UnauthenticatedError('no token');
      if (token.length > MAX_TOKEN_LENGTH) throw new UnauthenticatedError('token too long');
      const jose = await loadJose();
      let payload: Record<string, unknown>;
      try {
        // jose checks the form and the alg allow-list before asking for a key, so a garbled or
        // `none` token costs no fetch.
        ({ payload } = await jose.jwtVerify(token, getKey(jose), {
          issuer: settings.issuer,
          audience,
          algorithms: ALLOWED_ALGORITHMS,
          clockTolerance: settings.clockToleranceSeconds ?? 30,
          requiredClaims: ['sub', 'exp'],
        }));
      } catch (err) {
        const refusal = new UnauthenticatedError(reasonFor(jose, err));
        refusal.cause = err;
        throw refusal;
      }
      return identityFromClaims(payload, settings.mapping, settings.groupsClaim);
    },

    async warmUp(): Promise<void> {
      const jose = await loadJose();
      const keys = (await currentKeySet(jose)) as JWTVerifyGetKey & { reload?: () => Promise<void> };
      try {
        await keys.reload?.();
      } catch (err) {
        throw new IssuerUnavailable(`key set: ${describe(err)}`, { cause: err });
      }
    },
  };
}

/** A short reason for the client; never the token or its claims' values. */
function reasonFor(jose: Jose, err: unknown): string {
  if (err instanceof IssuerUnavailable) return `token issuer unreachable (${err.message})`;
  if (!(err instanceof jose.errors.JOSEError)) return 'token refused';
  switch (err.code) {
    case 'ERR_JWT_EXPIRED':
      return 'token expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const { claim, reason } = err as InstanceType<Jose['errors']['JWTClaimValidationFailed']>;
      if (reason === 'missing') return `token has no ${claim} claim`;
      if (claim === 'nbf') return 'token not yet valid';
      if (claim === 'iss') return 'token from another issuer';
      if (claim === 'aud') return 'token for another audience';
      return `token ${claim} claim invalid`;
    }
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return `token algorithm not allowed (accepted: ${ALLOWED_ALGORITHMS.join(', ')})`;
    case 'ERR_JOSE_NOT_SUPPORTED':
      return 'token algorithm or key not supported';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'bad token signature';
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'token signed by an unknown key';
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return 'token names no key (kid) and the issuer has several';
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return 'malformed token';
    default:
      return 'token refused';
  }
}

/** The configuration slice OIDC needs. */
export type OidcConfig = Pick<Config, 'OIDC_ISSUER' | 'OIDC_AUDIENCE' | 'OIDC_GROUPS_CLAIM' | 'GOVGRAPH_AUTH_MAPPING'>;

/**
 * The verifier the configuration asks for, or null when OIDC is not configured. Reads the claim
 * mapping file: a bad one rejects with a one-line ClaimMappingError, to stop the process at start.
 */
export async function createOidcVerifierFromConfig(config: OidcConfig): Promise<OidcVerifier | null> {
  if (!config.OIDC_ISSUER) return null;
  if (!config.GOVGRAPH_AUTH_MAPPING) throw new Error('OIDC_ISSUER is set without GOVGRAPH_AUTH_MAPPING');
  const mapping = await loadClaimMapping(config.GOVGRAPH_AUTH_MAPPING);
  return createOidcVerifier({
    issuer: config.OIDC_ISSUER,
    audience: config.OIDC_AUDIENCE,
    groupsClaim: config.OIDC_GROUPS_CLAIM,
    mapping,
  });
}
