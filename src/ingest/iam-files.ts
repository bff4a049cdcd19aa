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
import { cannotRead, errorMessage, listInputFiles, openTextStream } from './files';

/** One account's listing: its pages and when it was taken (the latest file's mtime). */
export interface SavedListing {
  pages: AuthorizationDetailsPage[];
  files: string[];
  modifiedAt: Date;
}

export type IamFileItem = { kind: 'listing'; listing: SavedListing } | { kind: 'rejected'; rejected: RejectedRecord };

async function readText(file: string): Promise<string> {
  const input = await openTextStream(file);
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of input) chunks.push(chunk as Buffer);
  } catch (err) {
    throw cannotRead(file, err);
  }
  return Buffer.concat(chunks).toString('utf8').replace(/^\uFEFF/, '');
}

/** The JSON values of a file: one document (pretty-printed or not), or one per line. */
export function jsonValuesOf(text: string): { values: { value: unknown; position: string }[]; rejected: { position: string; reason: string; raw: string }[] } {
  try {
    const value: unknown = JSON.parse(text);
    const values = Array.isArray(value) ? value.map((v, i) => ({ value: v, position: `[${i}]` })) : [{ value, position: 'document' }];
    return { values, rejected: [] };
  } catch (err) {
    const lines = text.split(/\r?\n/);
    if (lines.filter((l) => l.trim() !== '').length < 2) return { values: [], rejected: [{ position: 'document', reason: `not JSON: ${errorMessage(err)}`, raw: text }] };
    const values: { value: unknown; position: string }[] = [];
    const rejected: { position: string; reason: string; raw: string }[] = [];
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        values.push({ value: JSON.parse(line), position: `line ${i + 1}` });
      } catch (lineErr) {
        rejected.push({ position: `line ${i + 1}`, reason: `not JSON: ${errorMessage(lineErr)}`, raw: line });
      }
    });
    return { values, rejected };
  }
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
    const { values, rejected } = jsonValuesOf(await readText(file));
    for (const r of rejected) yield { kind: 'rejected', rejected: { source: file, ...r } };
    for (const { value, position } of values) {
      if (!isAuthorizationDetailsResponse(value)) {
        yield { kind: 'rejected', rejected: { source: file, position, reason: 'not a GetAccountAuthorizationDetails response (no UserDetailList, GroupDetailList, RoleDetailList or Policies)', raw: JSON.stringify(value) ?? '' } };
        continue;
      }
      const page: AuthorizationDetailsPage = { response: value, source: file, position: values.length > 1 ? position : 'document' };
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
