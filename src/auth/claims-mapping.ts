import { readFile } from 'node:fs/promises';
import { isNode, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { ForbiddenError, ROLES, TEAM_ROLES, UnauthenticatedError, type Identity, type Role } from './identity';

/**
 * The claim mapping file (YAML, or JSON, which YAML reads too): which identity-provider group
 * grants which govgraph role, and for the team roles, which teams.
 *
 *   groups:
 *     govgraph-admins: { role: admin }
 *     teama: { role: team-member, teams: [TeamA] }
 *
 * Validated at start; a bad file is one line naming the file, the line and the entry at fault.
 */

export interface GroupGrant {
  role: Role;
  /** non-empty for the team roles, empty for the others */
  teams: string[];
}

export interface ClaimMapping {
  /** the file it was read from, for messages */
  file: string;
  /** group name → grant; a Map, so a group called `constructor` or `__proto__` is only a name */
  groups: ReadonlyMap<string, GroupGrant>;
}

export class ClaimMappingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClaimMappingError';
  }
}

/** Most privileged first: when a token's groups map to several roles, the first of these wins. */
export const ROLE_PRECEDENCE: readonly Role[] = ['admin', 'auditor', 'team-lead', 'team-member', 'ownership-bot'];

const teamName = z.string().trim().min(1, 'a team name is not empty').max(256, 'a team name has at most 256 characters');

const GroupGrantSchema = z
  .object({
    role: z.enum(ROLES, { error: () => `role must be one of ${ROLES.join(', ')}` }),
    teams: z.array(teamName).optional(),
  })
  .strict()
  .superRefine((grant, ctx) => {
    const teams = grant.teams ?? [];
    if (TEAM_ROLES.has(grant.role) && teams.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['teams'], message: `role ${grant.role} must name at least one team (teams: [TeamA])` });
    }
    if (!TEAM_ROLES.has(grant.role) && grant.teams !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['teams'], message: `role ${grant.role} reads every team: it takes no teams` });
    }
  });

const MappingFileSchema = z
  .object({
    groups: z
      .record(z.string().min(1, 'a group name is not empty').max(1024), GroupGrantSchema)
      .refine((groups) => Object.keys(groups).length > 0, 'maps no group: nobody could sign in'),
  })
  .strict();

/** Parses and validates the file's text; `file` names it in messages. */
export function parseClaimMapping(text: string, file: string): ClaimMapping {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const at = (offset: number | undefined) => (offset === undefined ? file : `${file}:${lines.linePos(offset).line}`);
  const fail = (problems: string[]): never => {
    throw new ClaimMappingError(`invalid claim mapping: ${problems.join('; ')}`);
  };
  if (doc.errors.length > 0) fail(doc.errors.map((e) => `${at(e.pos[0])}: ${e.message.split('\n')[0]}`));

  const lineOf = (path: (string | number)[]) => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return at(node.range[0]);
    }
    return file;
  };
  const content: unknown = doc.toJS();
  if (content === null || content === undefined) fail([`${file}: the file is empty (expected groups: with one entry per group)`]);
  const parsed = MappingFileSchema.safeParse(content);
  if (!parsed.success) {
    fail(
      parsed.error.issues.map((issue) => {
        const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
        return `${lineOf(path)}: ${path.join('.') || '(top level)'}: ${issue.message}`;
      }),
    );
  }
  const groups = new Map<string, GroupGrant>();
  for (const [group, grant] of Object.entries(parsed.data!.groups)) {
    groups.set(group, { role: grant.role, teams: [...new Set(grant.teams ?? [])] });
  }
  return { file, groups };
}

export async function loadClaimMapping(file: string): Promise<ClaimMapping> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ClaimMappingError(`cannot read the claim mapping ${file}: ${(err as Error).message}`);
  }
  return parseClaimMapping(text, file);
}

/**
 * The value at `path` in the claims: the claim named exactly so if there is one (Cognito's
 * `cognito:groups`, a namespaced `https://example.com/groups`), else the dotted path through
 * nested objects (Keycloak's `realm_access.roles`).
 */
export function claimAt(claims: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  let node: unknown = claims;
  for (const segment of path.split('.')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node) || !Object.hasOwn(node, segment)) return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

/** The token's groups: an array of strings or one string; anything else carries none. */
export function groupsOf(claims: Record<string, unknown>, groupsClaim: string): string[] {
  const value = claimAt(claims, groupsClaim);
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === 'string');
  return [];
}

const nonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/**
 * The identity a verified token's claims prove. The most privileged mapped role wins; its teams
 * are the union of the teams of the token's groups that grant that role.
 */
export function identityFromClaims(claims: Record<string, unknown>, mapping: ClaimMapping, groupsClaim: string): Identity {
  if (!nonEmptyString(claims.sub)) throw new UnauthenticatedError('token has no subject (sub)');
  const grants = groupsOf(claims, groupsClaim).flatMap((g) => {
    const grant = mapping.groups.get(g);
    return grant ? [grant] : [];
  });
  const role = ROLE_PRECEDENCE.find((r) => grants.some((g) => g.role === r));
  if (role === undefined) throw new ForbiddenError('authenticated, but no group of the token maps to a govgraph role');
  const teams = [...new Set(grants.filter((g) => g.role === role).flatMap((g) => g.teams))].sort();
  const name = [claims.email, claims.preferred_username].find(nonEmptyString) ?? claims.sub;
  const exp = claims.exp;
  return {
    kind: 'oidc',
    id: claims.sub,
    name,
    role,
    teams,
    expiresAt: typeof exp === 'number' && Number.isFinite(exp) ? new Date(exp * 1000) : null,
  };
}
