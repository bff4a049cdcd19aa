import { ArgsType, type ClassType, Field, Int, ObjectType } from 'type-graphql';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Page } from '../read/pagination';

@ObjectType({ description: 'Where a page sits in its list (Relay cursor connections).' })
export class PageInfo {
  @Field(() => Boolean, { description: 'More items follow: ask again with `after: endCursor`.' })
  hasNextPage!: boolean;

  @Field(() => Boolean, { description: 'This page continues an earlier one (it was asked for with `after`).' })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Cursor of the first item of this page; null when the page is empty.' })
  startCursor!: string | null;

  @Field(() => String, { nullable: true, description: 'Cursor of the last item of this page; pass it as `after` for the next page. Null when the page is empty.' })
  endCursor!: string | null;
}

const FIRST = {
  nullable: true,
  defaultValue: DEFAULT_PAGE_SIZE,
  description: `How many items to return: 0 to ${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE}); more is refused with BAD_USER_INPUT.`,
} as const;
const AFTER = {
  nullable: true,
  description: 'Return the items after this cursor: an edge `cursor` or `pageInfo.endCursor` from a previous page of the same list. Cursors are opaque.',
} as const;

/** `first: Int = 50, after: String`. (Arguments print in field order; one class per field keeps it.) */
@ArgsType()
export class PageArgs {
  @Field(() => Int, FIRST)
  first?: number | null;

  @Field(() => String, AFTER)
  after?: string | null;
}

/** `filter: <Filter>, first: Int = 50, after: String` for a top-level list. */
export function FilteredPageArgs<F extends object>(filterType: ClassType<F>, filterDescription: string) {
  @ArgsType()
  class FilteredPageArgsClass {
    @Field(() => filterType, { nullable: true, description: filterDescription })
    filter?: F | null;

    @Field(() => Int, FIRST)
    first?: number | null;

    @Field(() => String, AFTER)
    after?: string | null;
  }
  return FilteredPageArgsClass;
}

/** An edge and a connection type for one node type; each connection subclass names itself. */
export function ConnectionType<T extends object>(nodeType: ClassType<T>, nodeName: string) {
  @ObjectType(`${nodeName}Edge`, { description: `One ${nodeName} in a page, with the cursor that continues after it.` })
  class EdgeClass {
    @Field(() => String, { description: 'Opaque cursor: pass it as `after` to get the items that follow this one.' })
    cursor!: string;

    @Field(() => nodeType, { description: `The ${nodeName}.` })
    node!: T;
  }

  // not in the schema itself (nothing returns it); each subclass is a connection type
  @ObjectType()
  abstract class ConnectionClass {
    @Field(() => [EdgeClass], { description: 'The items of this page, in the list order.' })
    edges!: EdgeClass[];

    @Field(() => PageInfo, { description: 'Whether more pages follow, and the cursors to ask for them.' })
    pageInfo!: PageInfo;

    /** runs the count query; only when totalCount is asked for */
    count!: () => Promise<number>;

    @Field(() => Int, { description: 'How many items the list holds in all its pages (counted only when asked for).' })
    totalCount(): Promise<number> {
      return this.count();
    }
  }
  return ConnectionClass;
}

/** A read-layer page → an instance of a connection type. */
export function toConnection<T, C extends { edges: unknown; pageInfo: PageInfo; count: () => Promise<number> }>(
  Type: new () => C,
  page: Page<T>,
  count: () => Promise<number>,
): C {
  const edges = page.edges;
  return Object.assign(new Type(), {
    edges,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: page.hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
    count,
  });
}
