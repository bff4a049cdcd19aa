import { createHash } from 'node:crypto';
import { getOperationAST, parse } from 'graphql';
import {
  boundEntry,
  countReturnedRows,
  fragmentsOf,
  LIMITS,
  outcomeOf,
  querySha256,
  REDACTED,
  redactVariables,
  refusedRequestEntry,
  TRUNCATED,
} from '../../src/server/access-log';

const JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJhbmEiLCJleHAiOjE3OTk5OTk5OTl9.c2lnbmF0dXJlLWJ5dGVz';
const API_KEY = 'ggk_3f9a1c2b7d8e_Zm9vYmFyYmF6cXV4cXV1eA';

describe('redactVariables', () => {
  it('redacts values under secret key names, whatever their case and depth', () => {
    // Arrange
    const variables = {
      Password: 'hunter2',
      input: { clientSecret: 's3', nested: [{ ACCESS_TOKEN: 't', apiKey: 'k', api_key: 'k2', authorization: 'Bearer x', key: 'v' }] },
      credentials: { user: 'ana', pass: 'p' },
    };

    // Act
    const out = redactVariables(variables);

    // Assert
    expect(out).toEqual({
      Password: REDACTED,
      input: { clientSecret: REDACTED, nested: [{ ACCESS_TOKEN: REDACTED, apiKey: REDACTED, api_key: REDACTED, authorization: REDACTED, key: REDACTED }] },
      credentials: REDACTED,
    });
  });

  it('keeps the arguments the API is queried by, key-like names included', () => {
    // Arrange
    const variables = { arn: 'arn:aws:iam::111122223333:role/ml', filter: { tagKey: 'team', team: 'vision', first: 20, open: true, none: null } };

    // Act
    const out = redactVariables(variables);

    // Assert
    expect(out).toEqual(variables);
  });

  it('redacts any string that holds a govgraph API key, a JWT or a bearer credential, under any name', () => {
    // Arrange
    const variables = { note: `my key is ${API_KEY}`, list: [JWT, 'plain'], header: 'Bearer abc.def' };

    // Act
    const out = redactVariables(variables);

    // Assert
    expect(out).toEqual({ note: REDACTED, list: [REDACTED, 'plain'], header: REDACTED });
  });

  it('replaces parts nested past the depth bound, even 100,000 levels deep', () => {
    // Arrange
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100_000; i++) deep = { a: deep };

    // Act
    const out = redactVariables({ deep });

    // Assert
    let node: any = out;
    let depth = 0;
    while (typeof node === 'object') {
      node = node.a ?? node.deep;
      depth++;
    }
    expect(node).toBe(TRUNCATED);
    expect(depth).toBe(LIMITS.variablesDepth);
  });

  it('cuts long lists, wide objects and long strings, and NUL characters cannot reach the database', () => {
    // Arrange
    const wide = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`k${i}`, i]));
    const variables = { list: Array.from({ length: 250 }, (_, i) => i), wide, text: 'x'.repeat(5000), nul: 'a\u0000b' };

    // Act
    const out = redactVariables(variables) as any;

    // Assert
    expect(out.list).toHaveLength(LIMITS.variablesWidth + 1);
    expect(out.list[LIMITS.variablesWidth]).toBe(`${TRUNCATED} 150 more`);
    expect(Object.keys(out.wide)).toHaveLength(LIMITS.variablesWidth + 1);
    expect(out.wide[TRUNCATED]).toBe('more keys');
    expect(out.text).toBe(`${'x'.repeat(LIMITS.variablesString)}${TRUNCATED}`);
    expect(out.nul).toBe('a\uFFFDb');
  });

  it('replaces the whole when it would still be over the byte bound', () => {
    // Arrange: 100 keys of 100 strings of 900 characters each, far over 32 KiB once kept
    const row = Array.from({ length: 100 }, () => 'y'.repeat(900));
    const variables = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`r${i}`, row]));

    // Act
    const out = redactVariables(variables) as Record<string, string>;

    // Assert
    expect(Object.keys(out)).toEqual([TRUNCATED]);
    expect(out[TRUNCATED]).toMatch(/^\d+ bytes$/);
    expect(Buffer.byteLength(JSON.stringify(out))).toBeLessThanOrEqual(LIMITS.variablesBytes);
  });

  it('answers null for no variables', () => {
    // Act / Assert
    expect(redactVariables(undefined)).toBeNull();
    expect(redactVariables(null)).toBeNull();
  });
});

describe('countReturnedRows', () => {
  it('counts the edges of a connection and the objects of plain lists, at any depth', () => {
    // Arrange: 2 teams, with 3 and 1 member edges; the event list holds 2 events
    const data = {
      teams: [
        { name: 'vision', members: { edges: [{ node: { arn: 'a' } }, { node: { arn: 'b' } }, { node: { arn: 'c' } }], totalCount: 3 } },
        { name: 'nlp', members: { edges: [{ node: { arn: 'd' } }] } },
      ],
      auditEvents: { edges: [{ node: { eventId: '1' } }, { node: { eventId: '2' } }], pageInfo: { hasNextPage: false } },
    };

    // Act
    const rows = countReturnedRows(data);

    // Assert
    expect(rows).toBe(2 + 3 + 1 + 2);
  });

  it('counts the objects of an object\'s lists, but not lists of scalars nor single objects', () => {
    // Act / Assert
    expect(countReturnedRows({ resource: { arn: 'x', tags: [{ key: 't', value: 'v' }] } })).toBe(1);
    expect(countReturnedRows({ resource: { arn: 'x', resourceArns: ['a', 'b'] } })).toBe(0);
    expect(countReturnedRows(null)).toBe(0);
    expect(countReturnedRows({ rules: [] })).toBe(0);
  });
});

describe('countReturnedRows with the operation', () => {
  it('walks only what the operation selected, so lists inside a JSON value (an event\'s raw record) are not rows', () => {
    // Arrange: aliases, a fragment and an inline fragment; `raw` is a JSON leaf holding a list of objects
    const document = parse(`
      query Q {
        page: auditEvents(first: 2) { edges { node { ...E } } }
        again: auditEvents(first: 1) { edges { ... on AuditEventEdge { node { eventId } } } }
      }
      fragment E on AuditEvent { eventId raw resources { arn } }`);
    const data = {
      page: {
        edges: [
          { node: { eventId: '1', raw: { resources: [{ ARN: 'a' }, { ARN: 'b' }] }, resources: [{ arn: 'a' }, { arn: 'b' }] } },
          { node: { eventId: '2', raw: { resources: [{ ARN: 'c' }] }, resources: [] } },
        ],
      },
      again: { edges: [{ node: { eventId: '1' } }] },
    };

    // Act
    const guided = countReturnedRows(data, getOperationAST(document)!, fragmentsOf(document));
    const unguided = countReturnedRows(data);

    // Assert: 2 edges + 2 resources + 1 edge; the raw records' 3 objects only without the operation
    expect(guided).toBe(5);
    expect(unguided).toBe(8);
  });
});

describe('outcomes and entries', () => {
  it('calls the caller-caused codes refused and the others failed', () => {
    // Act / Assert
    expect(outcomeOf(null)).toBe('allowed');
    for (const code of ['UNAUTHENTICATED', 'FORBIDDEN', 'BAD_USER_INPUT', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST', 'RATE_LIMITED', 'QUERY_TOO_COMPLEX']) {
      expect(outcomeOf(code)).toBe('refused');
    }
    expect(outcomeOf('INTERNAL_SERVER_ERROR')).toBe('failed');
    expect(outcomeOf('NOT_FOUND')).toBe('failed');
  });

  it('hashes the query text with SHA-256', () => {
    // Act / Assert
    expect(querySha256('{ rules { id } }')).toBe(createHash('sha256').update('{ rules { id } }').digest('hex'));
  });

  it('bounds every text an entry holds to what the table takes', () => {
    // Arrange
    const entry = refusedRequestEntry({
      at: new Date('2026-12-01T10:00:00Z'),
      transport: 'http',
      status: 401,
      code: 'UNAUTHENTICATED',
      address: '203.0.113.9',
      userAgent: `curl/\u0000${'9'.repeat(10_000)}`, // the NUL within the part that is kept
      durationMs: 1.5,
    });

    // Act
    const bounded = boundEntry({ ...entry, operationName: 'Q'.repeat(1000) });

    // Assert
    expect(bounded.userAgent).toHaveLength(LIMITS.userAgent);
    expect(bounded.userAgent!.startsWith('curl/\uFFFD9')).toBe(true);
    expect(bounded.operationName).toHaveLength(LIMITS.operationName);
    expect(bounded).toMatchObject({ outcome: 'refused', errorCode: 'UNAUTHENTICATED', httpStatus: 401, identityId: null, role: null });
  });
});
