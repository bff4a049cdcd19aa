import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { printSchema } from 'graphql';
import { buildGovgraphSchema } from '../../src/server/schema';

/** schema.graphql is the contract dashboards read; it must be what the code serves. */
describe('schema.graphql', () => {
  it('is the schema the code builds (run `npm run schema:emit` after changing types or resolvers)', async () => {
    // Arrange
    const committed = await readFile(path.resolve(__dirname, '../../schema.graphql'), 'utf8');

    // Act
    const built = printSchema(await buildGovgraphSchema());

    // Assert
    expect(committed.trimEnd()).toBe(built.trimEnd());
  });

  it('describes every type, field, argument and enum value', async () => {
    // Arrange
    const schema = await buildGovgraphSchema();
    const missing: string[] = [];

    // Act
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || ['String', 'Int', 'Boolean', 'ID', 'Float'].includes(type.name)) continue;
      // type-graphql cannot describe the root types (Query, Mutation) themselves
      const root = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].includes(type as never);
      if (!type.description && !root) missing.push(type.name);
      if ('getFields' in type) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) missing.push(`${type.name}.${field.name}`);
          for (const arg of 'args' in field ? field.args : []) if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
        }
      }
      if ('getValues' in type) for (const v of type.getValues()) if (!v.description) missing.push(`${type.name}.${v.name}`);
    }

    // Assert
    expect(missing).toEqual([]);
  });
});
