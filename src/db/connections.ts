import { Pool } from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client';

export type Db = PrismaClient;

/** One pg pool for set-based writes (COPY, multi-row INSERT … ON CONFLICT). */
export function createPool(databaseUrl: string, max = 4): Pool {
  return new Pool({ connectionString: databaseUrl, max, application_name: 'govgraph' });
}

/** The typed client the API reads through (Prisma 7 over node-postgres: no engine binary). */
export function createPrisma(databaseUrl: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl }) });
}

export { redactUrl } from './redact';
