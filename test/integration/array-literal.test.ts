import { textArray, timestampArray } from '../../src/db/array-literal';
import { createTestDatabase, TestDatabase } from '../support/postgres';

describe('array literals for set-based writes, as Postgres reads them', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('gives back every text as written: empty, "NULL", quotes, backslashes, braces, commas, spaces, non-ASCII; null as NULL', async () => {
    // Arrange
    const values = ['plain', '', 'NULL', 'say "hi"', 'C:\\data\\', '\\"', '{a,b}', ' padded ', 'équipe-Ω', null, 'arn:aws:iam::111122223333:role/a b'];

    // Act
    const { rows } = await db.pool.query<{ a: (string | null)[] }>('SELECT $1::text[] AS a', [textArray(values)]);

    // Assert
    expect(rows[0].a).toEqual(values);
  });

  it('gives back each instant to the millisecond, before 1970 and in year 50 too', async () => {
    // Arrange
    const year50 = new Date(0);
    year50.setUTCFullYear(50, 0, 1);
    const values = [new Date('2026-11-02T09:05:00.123Z'), null, new Date('1969-07-20T20:17:40Z'), year50];

    // Act
    const { rows } = await db.pool.query<{ a: (string | null)[] }>(
      `SELECT array(SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') FROM unnest($1::timestamptz[]) WITH ORDINALITY AS u(t, n) ORDER BY n) AS a`,
      [timestampArray(values)],
    );

    // Assert
    expect(rows[0].a).toEqual(values.map((d) => d?.toISOString() ?? null));
  });

  it('makes an empty array of no values', async () => {
    const { rows } = await db.pool.query<{ n: number }>('SELECT cardinality($1::text[]) AS n', [textArray([])]);
    expect(rows[0].n).toBe(0);
  });
});
