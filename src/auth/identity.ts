/**
 * Who is calling the API, once a credential has been checked. Every resolver, the scoped
 * database session and the access log read this one shape; how it was proven (an API key, an
 * OIDC token, the local-only development mode) is in `kind`.
 */

/** The roles of the API; the names are the contract (README: Roles). */
export const ROLES = ['admin', 'auditor', 'team-lead', 'team-member', 'ownership-bot'] as const;
export type Role = (typeof ROLES)[number];

/** Roles whose reads are narrowed to their teams (and who must name at least one). */
export const TEAM_ROLES: ReadonlySet<Role> = new Set<Role>(['team-lead', 'team-member']);

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export interface Identity {
  /** how the caller was authenticated */
  kind: 'api-key' | 'oidc' | 'local';
  /** the API key's id, the token's `sub`, or `local` */
  id: string;
  /** the key's name, the token's email (else its subject), or `local` */
  name: string;
  role: Role;
  /** the teams a team role reads and changes; empty for the other roles */
  teams: string[];
  /** when the credential stops working (a key's expiry, a token's `exp`); null: no end */
  expiresAt: Date | null;
}

/** How a change is attributed in the violation history (`changed_by`, `suppressed_by`). */
export function attribution(identity: Identity): string {
  switch (identity.kind) {
    case 'api-key':
      return `api-key:${identity.name} (${identity.id})`;
    case 'oidc':
      return `oidc:${identity.name} (${identity.id})`;
    case 'local':
      return 'local (no credential)';
  }
}

/** A credential that is missing, malformed, unknown, revoked or expired: HTTP 401. */
export class UnauthenticatedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnauthenticatedError';
  }
}

/** An authenticated caller asking for something outside its role or teams: FORBIDDEN. */
export class ForbiddenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForbiddenError';
  }
}
