import type { Queryable } from './sql';

/** A team: the value of the team tag (TEAM_TAG_KEY) on principals and resources. */
export interface TeamRow {
  id: string;
  name: string;
  createdAt: Date;
}

const COLUMNS = `t.id::text AS id, t.name, t.created_at AS "createdAt"`;

export async function listTeams(db: Queryable): Promise<TeamRow[]> {
  const { rows } = await db.query<TeamRow>(`SELECT ${COLUMNS} FROM teams t ORDER BY t.name`);
  return rows;
}

export async function teamsByIds(db: Queryable, ids: readonly string[]): Promise<TeamRow[]> {
  const { rows } = await db.query<TeamRow>(`SELECT ${COLUMNS} FROM teams t WHERE t.id = ANY($1::bigint[])`, [ids]);
  return rows;
}

export async function teamsByNames(db: Queryable, names: readonly string[]): Promise<TeamRow[]> {
  const { rows } = await db.query<TeamRow>(`SELECT ${COLUMNS} FROM teams t WHERE t.name = ANY($1::text[])`, [names]);
  return rows;
}
