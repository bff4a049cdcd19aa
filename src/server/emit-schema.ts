import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { printSchema } from 'graphql';
import { buildGovgraphSchema } from './schema';

/** schema.graphql at the repository root, from src/server (tests) or dist/src/server (compiled). */
export function schemaFilePath(): string {
  const up = __dirname.includes(`${path.sep}dist${path.sep}`) ? '../../..' : '../..';
  return path.resolve(__dirname, up, 'schema.graphql');
}

/** The schema as committed: graphql-js's printSchema, one trailing newline. */
export async function printGovgraphSchema(): Promise<string> {
  return `${printSchema(await buildGovgraphSchema())}\n`;
}

/** `npm run schema:emit`: rewrites schema.graphql (or the path given) from the code. */
async function main(): Promise<void> {
  const target = process.argv[2] ? path.resolve(process.argv[2]) : schemaFilePath();
  await writeFile(target, await printGovgraphSchema());
  process.stdout.write(`wrote ${target}\n`);
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`schema:emit: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
