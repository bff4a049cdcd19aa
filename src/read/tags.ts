import { InvalidInputError } from './errors';
import type { Params } from './sql';

/** A tag filter: a key alone (the tag is set, to anything), or a key and a value. */
export interface TagFilter {
  tagKey?: string | null;
  tagValue?: string | null;
}

/** Both forms use `@>`, which the jsonb_path_ops GIN index on resources.tags serves. */
export function tagConditions(column: string, filter: TagFilter, p: Params): string[] {
  if (filter.tagValue != null && filter.tagKey == null) throw new InvalidInputError('filter.tagValue needs filter.tagKey', 'filter');
  if (filter.tagKey == null) return [];
  if (filter.tagValue != null) return [`${column} @> jsonb_build_object(${p.add(filter.tagKey)}::text, ${p.add(filter.tagValue)}::text)`];
  // jsonb_path_ops does not serve `?`; `@>` with the key's value unknown cannot be written, so
  // this form is an exact key test over the rows the other conditions leave.
  return [`${column} ? ${p.add(filter.tagKey)}`];
}

/** `{ key: value }` as stored → tags sorted by key. */
export function tagList(tags: Record<string, string> | null | undefined): { key: string; value: string }[] {
  return Object.entries(tags ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => ({ key, value }));
}
