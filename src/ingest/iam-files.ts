/**
 * Fetch stage for saved IAM snapshots: GetAccountAuthorizationDetails responses as the AWS CLI
 * saves them (`aws iam get-account-authorization-details > f.json`: one merged document, policy
 * documents decoded) or as the SDK returns them (URL-encoded documents, one page per document,
 * file or line). Pages run on (IsTruncated / NextToken) into the next document, in file order, so a
 * directory of `page-1.json`, `page-2.json`… is one snapshot.
 */
import { stat } from 'node:fs/promises';
import type { RejectedRecord } from '../domain/cloudtrail/types';
import { accountOfPages, AuthorizationDetailsPage, isAuthorizationDetailsResponse, pageIsTruncated } from '../iam/authorization-details';
import { cannotRead, listInputFiles, peekFileStart, readDocumentOrLines, readJsonDocuments, readJsonLines } from './files';

/** One account's listing: its pages and when it was taken (the latest file's mtime). */
export interface SavedListing {
  pages: AuthorizationDetailsPage[];
  files: string[];
  modifiedAt: Date;
}

export type IamFileItem = { kind: 'listing'; listing: SavedListing } | { kind: 'rejected'; rejected: RejectedRecord };

type JsonValueItem = { kind: 'value'; value: unknown; position: string } | { kind: 'rejected'; position: string; reason: string; raw: string };

/** The JSON values of a file (one document, pretty-printed or not, several, or one per line; an array is its elements), with what could not be read. */
async function* readJsonValues(file: string): AsyncGenerator<JsonValueItem> {
  const lines = async function* (): AsyncGenerator<JsonValueItem> {
    for await (const line of readJsonLines(file)) {
      const at = `line ${line.line}`;
      if (line.kind === 'json') yield* elements(line.value, at);
      else if (line.kind === 'not-json') yield { kind: 'rejected', position: at, reason: `not JSON: ${line.reason}`, raw: line.text };
      else yield { kind: 'rejected', position: at, reason: line.reason, raw: '' };
    }
  };
  const start = await peekFileStart(file);
  if (start.firstLineIsJson || !start.moreLines) return yield* lines();
  yield* readDocumentOrLines<JsonValueItem>(file, {
    lineFallback: true,
    document: async function* () {
      for await (const doc of readJsonDocuments(file)) yield* elements(doc.value, doc.index > 1 ? `value ${doc.index}` : 'document');
    },
    lines,
    positionOf: (item) => item.position,
    broken: (position, reason) => ({ kind: 'rejected', position, reason, raw: '' }),
  });
}

function* elements(value: unknown, position: string): Generator<JsonValueItem> {
  if (!Array.isArray(value)) return yield { kind: 'value', value, position };
  for (const [i, v] of value.entries()) yield { kind: 'value', value: v, position: position === 'document' ? `[${i}]` : `${position} [${i}]` };
}

/**
 * Every complete listing in the files the paths name, and what could not be read. A listing whose
 * last page says more follow is incomplete and rejected whole: stored, it would retract everything
 * it failed to list.
 */
export async function* readIamListingFiles(paths: string[]): AsyncGenerator<IamFileItem> {
  let open: { pages: AuthorizationDetailsPage[]; files: Set<string>; modifiedAt: Date; account: string | null } | null = null;
  const incomplete = (o: NonNullable<typeof open>, why: string): IamFileItem => ({
    kind: 'rejected',
    rejected: {
      source: [...o.files].join(' '),
      position: o.pages.map((p) => p.position).join(', '),
      reason: `incomplete listing: ${why}; a partial snapshot would retract what it does not list, so none of it is stored`,
      raw: JSON.stringify(o.pages.map((p) => p.response)),
    },
  });
  for await (const file of listInputFiles(paths)) {
    let mtime: Date;
    try {
      mtime = (await stat(file)).mtime;
    } catch (err) {
      throw cannotRead(file, err);
    }
    const items: JsonValueItem[] = [];
    for await (const item of readJsonValues(file)) items.push(item);
    const values = items.flatMap((item) => (item.kind === 'value' ? [item] : []));
    // a file of one value (or one unreadable one) is one document, however it is laid out
    const positionOf = (position: string, among: unknown[]) => (among.length > 1 ? position : 'document');
    for (const item of items) {
      if (item.kind === 'rejected') yield { kind: 'rejected', rejected: { source: file, position: positionOf(item.position, items), reason: item.reason, raw: item.raw } };
    }
    if (items.length === 0) yield { kind: 'rejected', rejected: { source: file, position: 'document', reason: 'not JSON: the file is empty', raw: '' } };
    for (const { value, position: at } of values) {
      const position = positionOf(at, values);
      if (!isAuthorizationDetailsResponse(value)) {
        yield { kind: 'rejected', rejected: { source: file, position, reason: 'not a GetAccountAuthorizationDetails response (no UserDetailList, GroupDetailList, RoleDetailList or Policies)', raw: JSON.stringify(value) ?? '' } };
        continue;
      }
      const page: AuthorizationDetailsPage = { response: value, source: file, position };
      const account = accountOfPages([page]);
      if (open && account && open.account && account !== open.account) {
        yield incomplete(open, `the page after it lists account ${account}, not ${open.account}`);
        open = null;
      }
      open ??= { pages: [], files: new Set(), modifiedAt: mtime, account: null };
      open.pages.push(page);
      open.files.add(file);
      open.account ??= account;
      if (mtime > open.modifiedAt) open.modifiedAt = mtime;
      if (!pageIsTruncated(value)) {
        yield { kind: 'listing', listing: { pages: open.pages, files: [...open.files], modifiedAt: open.modifiedAt } };
        open = null;
      }
    }
  }
  if (open) yield incomplete(open, 'its last page is truncated (IsTruncated or NextToken) and no page follows');
}
