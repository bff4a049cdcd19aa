import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClaimMappingError, identityFromClaims, loadClaimMapping, parseClaimMapping } from '../../src/auth/claims-mapping';
import { ForbiddenError, UnauthenticatedError } from '../../src/auth/identity';

const MAPPING_YAML = `groups:
  govgraph-admins: { role: admin }
  security-auditors: { role: auditor }
  teama-leads: { role: team-lead, teams: [TeamA] }
  teamb-leads: { role: team-lead, teams: [TeamB, TeamA] }
  teama: { role: team-member, teams: [TeamA] }
  teamc: { role: team-member, teams: [TeamC] }
  chatops-bot: { role: ownership-bot }
`;

/** The one-line message parsing `text` fails with. */
function problem(text: string, file = 'auth.yaml'): string {
  try {
    parseClaimMapping(text, file);
  } catch (err) {
    expect(err).toBeInstanceOf(ClaimMappingError);
    expect((err as Error).message).not.toContain('\n');
    return (err as Error).message;
  }
  throw new Error('the mapping was accepted');
}

describe('parseClaimMapping', () => {
  it('reads groups with their role and teams from YAML, and the same from JSON', () => {
    // Arrange
    const json = JSON.stringify({ groups: { 'govgraph-admins': { role: 'admin' }, teama: { role: 'team-member', teams: ['TeamA', 'TeamA'] } } });

    // Act
    const fromYaml = parseClaimMapping(MAPPING_YAML, 'auth.yaml');
    const fromJson = parseClaimMapping(json, 'auth.json');

    // Assert
    expect(fromYaml.groups.get('teamb-leads')).toEqual({ role: 'team-lead', teams: ['TeamB', 'TeamA'] });
    expect(fromYaml.groups.get('chatops-bot')).toEqual({ role: 'ownership-bot', teams: [] });
    expect(fromYaml.groups.size).toBe(7);
    expect([...fromJson.groups]).toEqual([
      ['govgraph-admins', { role: 'admin', teams: [] }],
      ['teama', { role: 'team-member', teams: ['TeamA'] }],
    ]);
  });

  it.each([
    ['an unknown role', 'groups:\n  ops: { role: superuser }\n', 'auth.yaml:2: groups.ops.role: role must be one of admin, auditor, team-lead, team-member, ownership-bot'],
    ['a team role without teams', 'groups:\n  devs:\n    role: team-lead\n', 'auth.yaml:3: groups.devs.teams: role team-lead must name at least one team (teams: [TeamA])'],
    ['a team role with an empty team list', 'groups:\n  devs: { role: team-member, teams: [] }\n', 'auth.yaml:2: groups.devs.teams: role team-member must name at least one team (teams: [TeamA])'],
    ['teams on a role that reads every team', 'groups:\n  audit: { role: auditor, teams: [TeamA] }\n', 'auth.yaml:2: groups.audit.teams: role auditor reads every team: it takes no teams'],
    ['an empty team name', 'groups:\n  devs: { role: team-member, teams: ["  "] }\n', 'auth.yaml:2: groups.devs.teams.0: a team name is not empty'],
    ['a misspelt field', 'groups:\n  devs: { role: team-member, team: TeamA }\n', 'auth.yaml:2: groups.devs: Unrecognized key: "team"; auth.yaml:2: groups.devs.teams: role team-member must name at least one team (teams: [TeamA])'],
    ['a field beside groups', 'groups:\n  a: { role: admin }\nroles: {}\n', 'auth.yaml:1: (top level): Unrecognized key: "roles"'],
    ['no groups at all', 'groups: {}\n', 'auth.yaml:1: groups: maps no group: nobody could sign in'],
    ['an empty file', '# nothing yet\n', 'auth.yaml: the file is empty (expected groups: with one entry per group)'],
    ['a file that is a list', '- admins\n', 'auth.yaml:1: (top level): Invalid input: expected object, received array'],
    ['a group that is not an object', 'groups:\n  admins: admin\n', 'auth.yaml:2: groups.admins: Invalid input: expected object, received string'],
  ])('names the file, line and entry at fault for %s', (_, text, expected) => {
    // Arrange
    const input = text;

    // Act
    const message = problem(input);

    // Assert
    expect(message).toBe(`invalid claim mapping: ${expected}`);
  });

  it('reports a YAML syntax error and a repeated group with their lines', () => {
    // Arrange
    const broken = 'groups:\n  admins: { role: admin\n';
    const repeated = 'groups:\n  admins: { role: admin }\n  admins: { role: auditor }\n';

    // Act
    const syntax = problem(broken);
    const duplicate = problem(repeated);

    // Assert
    expect(syntax).toMatch(/^invalid claim mapping: auth\.yaml:\d+: /);
    expect(duplicate).toMatch(/^invalid claim mapping: auth\.yaml:3: Map keys must be unique/);
  });

  it('lists every problem of the file on the one line', () => {
    // Arrange
    const text = 'groups:\n  a: { role: team-lead }\n  b: { role: admin, teams: [X] }\n';

    // Act
    const message = problem(text);

    // Assert
    expect(message).toBe(
      'invalid claim mapping: auth.yaml:2: groups.a.teams: role team-lead must name at least one team (teams: [TeamA]); ' +
        'auth.yaml:3: groups.b.teams: role admin reads every team: it takes no teams',
    );
  });
});

describe('loadClaimMapping', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'govgraph-claims-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the file it is given', async () => {
    // Arrange
    const file = join(dir, 'auth.yaml');
    writeFileSync(file, MAPPING_YAML);

    // Act
    const mapping = await loadClaimMapping(file);

    // Assert
    expect(mapping.file).toBe(file);
    expect(mapping.groups.get('teama')).toEqual({ role: 'team-member', teams: ['TeamA'] });
  });

  it('names a file it cannot read', async () => {
    // Arrange
    const file = join(dir, 'missing.yaml');

    // Act
    const err = await loadClaimMapping(file).then(() => null, (e: Error) => e);

    // Assert
    expect(err).toBeInstanceOf(ClaimMappingError);
    expect(err?.message).toMatch(new RegExp(`^cannot read the claim mapping ${file}: ENOENT`));
  });
});

describe('identityFromClaims', () => {
  const mapping = parseClaimMapping(MAPPING_YAML, 'auth.yaml');
  const claims = (extra: Record<string, unknown>) => ({ sub: 'u-1', exp: 1_900_000_000, ...extra });
  const roleAndTeams = (groups: unknown) => {
    const identity = identityFromClaims(claims({ groups }), mapping, 'groups');
    return [identity.role, identity.teams];
  };

  it('gives the most privileged role of the groups, with the teams of that role only', () => {
    // Arrange
    const cases: [string[], unknown[]][] = [
      [['teama', 'govgraph-admins'], ['admin', []]],
      [['teama-leads', 'security-auditors'], ['auditor', []]],
      [['teamc', 'teama-leads'], ['team-lead', ['TeamA']]],
      [['chatops-bot', 'teamc'], ['team-member', ['TeamC']]],
      [['chatops-bot'], ['ownership-bot', []]],
    ];

    // Act
    const results = cases.map(([groups]) => roleAndTeams(groups));

    // Assert
    expect(results).toEqual(cases.map(([, expected]) => expected));
  });

  it('unites the teams of every group granting the winning role', () => {
    // Arrange
    const groups = ['teamb-leads', 'teama-leads', 'teama', 'teamc'];

    // Act
    const result = roleAndTeams(groups);

    // Assert
    expect(result).toEqual(['team-lead', ['TeamA', 'TeamB']]);
  });

  it('takes a single group as a string and ignores entries that are not strings', () => {
    // Arrange
    const single = 'security-auditors';
    const mixed = [42, { name: 'govgraph-admins' }, null, 'teama'];

    // Act
    const fromString = roleAndTeams(single);
    const fromMixed = roleAndTeams(mixed);

    // Assert
    expect(fromString).toEqual(['auditor', []]);
    expect(fromMixed).toEqual(['team-member', ['TeamA']]);
  });

  it('finds groups at a dotted path, under a name with a colon, and under a name that itself has dots', () => {
    // Arrange
    const keycloak = claims({ realm_access: { roles: ['offline_access', 'teama'] } });
    const cognito = claims({ 'cognito:groups': ['security-auditors'] });
    const namespaced = claims({ 'https://govgraph.example.com/groups': ['govgraph-admins'] });

    // Act
    const fromKeycloak = identityFromClaims(keycloak, mapping, 'realm_access.roles');
    const fromCognito = identityFromClaims(cognito, mapping, 'cognito:groups');
    const fromNamespaced = identityFromClaims(namespaced, mapping, 'https://govgraph.example.com/groups');

    // Assert
    expect([fromKeycloak.role, fromKeycloak.teams]).toEqual(['team-member', ['TeamA']]);
    expect(fromCognito.role).toBe('auditor');
    expect(fromNamespaced.role).toBe('admin');
  });

  it('is forbidden when no group maps, the claim is missing or of another type, or a group is named like a built-in', () => {
    // Arrange
    const tokens = [
      claims({ groups: ['marketing'] }),
      claims({}),
      claims({ groups: 7 }),
      claims({ groups: { admin: true } }),
      claims({ groups: ['constructor', '__proto__', 'toString', 'hasOwnProperty'] }),
      claims({ realm_access: 'teama' }),
    ];

    // Act
    const errors = tokens.map((c, i) => {
      try {
        identityFromClaims(c, mapping, i === 5 ? 'realm_access.roles' : 'groups');
        return null;
      } catch (err) {
        return err as Error;
      }
    });

    // Assert
    for (const err of errors) {
      expect(err).toBeInstanceOf(ForbiddenError);
      expect(err?.message).toBe('authenticated, but no group of the token maps to a govgraph role');
    }
  });

  it('names the caller by email, else preferred_username, else subject; expires with exp', () => {
    // Arrange
    const groups = ['teama'];

    // Act
    const byEmail = identityFromClaims(claims({ groups, email: 'dana@example.com', preferred_username: 'dana' }), mapping, 'groups');
    const byUsername = identityFromClaims(claims({ groups, email: '', preferred_username: 'dana' }), mapping, 'groups');
    const bySubject = identityFromClaims({ sub: 'u-9', groups }, mapping, 'groups');

    // Assert
    expect(byEmail).toEqual({ kind: 'oidc', id: 'u-1', name: 'dana@example.com', role: 'team-member', teams: ['TeamA'], expiresAt: new Date(1_900_000_000_000) });
    expect(byUsername.name).toBe('dana');
    expect([bySubject.name, bySubject.expiresAt]).toEqual(['u-9', null]);
  });

  it('refuses claims without a subject', () => {
    // Arrange
    const noSubject = { groups: ['govgraph-admins'], sub: 42 };

    // Act
    const act = () => identityFromClaims(noSubject, mapping, 'groups');

    // Assert
    expect(act).toThrow(UnauthenticatedError);
    expect(act).toThrow('token has no subject (sub)');
  });
});

describe('config/auth-mapping.example.yaml', () => {
  it('is a valid mapping: the README and docker-compose point users at it', async () => {
    // Act
    const mapping = await loadClaimMapping(join(__dirname, '../../config/auth-mapping.example.yaml'));
    const lead = identityFromClaims({ sub: 'u-1', groups: ['teama', 'teama-leads'] }, mapping, 'groups');

    // Assert
    expect(lead).toMatchObject({ role: 'team-lead', teams: ['TeamA'] });
  });
});
