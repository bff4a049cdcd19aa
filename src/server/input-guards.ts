import { defaultFieldResolver, isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { InvalidInputError, truncate } from '../read/errors';
import { unstorableText } from '../read/text';

/**
 * A string in a field's arguments that Postgres cannot hold (see unstorableText), with
 * where it is (`filter.eventName`, `resourcePolicy.Statement[0].Resource`); null when there is
 * none. Walks lists, input objects and JSON values, object keys included, without recursion: a
 * JSON argument may be nested deeper than the call stack.
 */
export function findUnstorableArgument(args: Record<string, unknown>): { path: string; reason: string } | null {
  const stack: { value: unknown; path: string }[] = Object.keys(args).map((name) => ({ value: args[name], path: name }));
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      const reason = unstorableText(value);
      if (reason) return { path, reason };
    } else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) stack.push({ value: value[i], path: `${path}[${i}]` });
    } else if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
      for (const key of Object.keys(value)) {
        const reason = unstorableText(key);
        if (reason) return { path: `a key of ${path}`, reason };
        stack.push({ value: (value as Record<string, unknown>)[key], path: `${path}.${key}` });
      }
    }
  }
  return null;
}

/** Refuses arguments holding text Postgres cannot store (NUL, unpaired surrogates) as BAD_USER_INPUT naming the argument. */
export function checkArgumentText(args: Record<string, unknown> | null | undefined): void {
  if (!args) return;
  const found = findUnstorableArgument(args);
  if (found) {
    const path = truncate(found.path, 120);
    throw new InvalidInputError(`${path} ${found.reason}; remove it and send well-formed text`, path);
  }
}

/**
 * Every field of the schema that takes arguments checks their text before it resolves (and, for
 * subscriptions, before it subscribes), over HTTP and WebSocket alike: one guard that a new field
 * cannot forget, and no cost on the many fields without arguments. A NUL byte or an unpaired
 * surrogate would otherwise reach Postgres and come back as an internal error (or, for a
 * surrogate, silently as U+FFFD). Returns the same schema, its resolvers wrapped.
 */
export function guardArgumentText(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (field.args.length === 0) continue;
      const resolve: GraphQLFieldResolver<unknown, unknown> = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, context, info) => {
        checkArgumentText(args);
        return resolve(source, args, context, info);
      };
      const subscribe = field.subscribe;
      if (subscribe) {
        field.subscribe = (source, args, context, info) => {
          checkArgumentText(args);
          return subscribe(source, args, context, info);
        };
      }
    }
  }
  return schema;
}
