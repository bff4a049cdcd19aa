import { DateTimeResolver, GraphQLJSON } from 'graphql-scalars';

/** `DateTime`: RFC 3339 date-time with an offset (`2026-11-02T09:00:00Z`); dates alone are refused. */
export const DateTimeScalar = DateTimeResolver;

/** `JSON`: any JSON value, here the CloudTrail record exactly as received. */
export const JSONScalar = GraphQLJSON;
