import type { Queryable } from '../read/sql';
import { authenticateApiKey, looksLikeApiKey } from './api-keys';
import { UnauthenticatedError, type Identity } from './identity';

/** What verifies an OIDC bearer token (src/auth/oidc.ts). */
export interface TokenVerifier {
  verify(token: string): Promise<Identity>;
}

export interface Authenticator {
  /** The caller proven by an `Authorization` header value; UnauthenticatedError when none is. */
  authenticate(authorization: string | undefined): Promise<Identity>;
  /** true in the local-only development mode (no credential needed on loopback) */
  readonly localOnly: boolean;
}

/** The caller of the local-only mode: an administrator, only reachable over loopback. */
export const LOCAL_IDENTITY: Identity = Object.freeze({ kind: 'local', id: 'local', name: 'local', role: 'admin', teams: [], expiresAt: null }) as Identity;

const BEARER = /^Bearer[ ]+([^\s]+)\s*$/i;
/** no credential is longer; a longer header is refused before anything parses it */
const MAX_CREDENTIAL_LENGTH = 16 * 1024;

/**
 * `Authorization: Bearer <API key | OIDC token>`. An API key (`ggk_…`) is checked against the
 * store on every call; anything else is an OIDC token for the configured issuer. In local-only
 * mode a request without the header is the local administrator; one with a header is still checked.
 */
export function createAuthenticator(deps: { db: Queryable; oidc: TokenVerifier | null; localOnly: boolean }): Authenticator {
  return {
    localOnly: deps.localOnly,
    async authenticate(authorization) {
      if (authorization === undefined || authorization.trim() === '') {
        if (deps.localOnly) return LOCAL_IDENTITY;
        throw new UnauthenticatedError('a credential is required: send Authorization: Bearer <API key or OIDC token>');
      }
      if (authorization.length > MAX_CREDENTIAL_LENGTH) throw new UnauthenticatedError('the Authorization header is too long');
      const m = BEARER.exec(authorization);
      if (!m) throw new UnauthenticatedError('the Authorization header must read "Bearer <API key or OIDC token>"');
      const token = m[1];
      if (looksLikeApiKey(token)) return authenticateApiKey(deps.db, token);
      if (!deps.oidc) throw new UnauthenticatedError('not a govgraph API key, and no OIDC issuer is configured');
      return deps.oidc.verify(token);
    },
  };
}
