/**
 * Fetch stage for the Resource Groups Tagging API: every tagged resource of one account and
 * region, page by page (`PaginationToken`; `""` or absent on the last page). Pages may be empty
 * while a token still follows, so paging goes on until the token runs out.
 */
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';

/** GetResources returns at most 100 resources a page. */
export const GET_RESOURCES_MAX_PER_PAGE = 100;

export interface TagMapping {
  resourceArn: string;
  tags: Record<string, string>;
}

export interface TaggedResourcePage {
  /** 1-based */
  page: number;
  mappings: TagMapping[];
  /** the token of the next page; null on the last page */
  paginationToken: string | null;
}

export interface TaggedResourceOptions {
  /** `service` or `service:resourceType`, e.g. `sagemaker`, `sagemaker:training-job` */
  resourceTypeFilters?: string[];
}

export async function* getTaggedResourcePages(
  client: ResourceGroupsTaggingAPIClient,
  options: TaggedResourceOptions = {},
): AsyncGenerator<TaggedResourcePage> {
  let paginationToken: string | undefined;
  for (let page = 1; ; page++) {
    const output = await client.send(
      new GetResourcesCommand({
        ResourcesPerPage: GET_RESOURCES_MAX_PER_PAGE,
        ...(options.resourceTypeFilters?.length ? { ResourceTypeFilters: options.resourceTypeFilters } : {}),
        ...(paginationToken ? { PaginationToken: paginationToken } : {}),
      }),
    );
    const mappings: TagMapping[] = [];
    for (const m of output.ResourceTagMappingList ?? []) {
      // the service always names the resource; a mapping without an ARN could not be stored anyway
      if (!m.ResourceARN) continue;
      const tags: Record<string, string> = {};
      for (const t of m.Tags ?? []) if (t.Key !== undefined) tags[t.Key] = t.Value ?? '';
      mappings.push({ resourceArn: m.ResourceARN, tags });
    }
    const token = output.PaginationToken ? output.PaginationToken : null;
    if (token !== null && token === paginationToken) throw new Error(`GetResources returned the same PaginationToken twice (page ${page})`);
    yield { page, mappings, paginationToken: token };
    if (token === null) return;
    paginationToken = token;
  }
}
