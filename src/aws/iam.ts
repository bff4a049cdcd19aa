/**
 * IAM through the SDK: the client for one account (IAM is global; its endpoint lives in the
 * partition's first region, us-east-1 for `aws`) and the fetch stage of a snapshot,
 * GetAccountAuthorizationDetails page by page (`Marker` while `IsTruncated`). Policy documents come
 * back URL-encoded (RFC 3986); the transform decodes them.
 */
import { GetAccountAuthorizationDetailsCommand, GetAccountAuthorizationDetailsResponse, IAMClient } from '@aws-sdk/client-iam';
import { partitionForRegion } from '../domain/aws/arn';
import { AwsClientScope, clientConfig } from './clients';

/** Every entity type, so the snapshot is complete: users, groups, roles, customer and AWS managed policies. */
export const AUTHORIZATION_DETAILS_FILTER = ['User', 'Role', 'Group', 'LocalManagedPolicy', 'AWSManagedPolicy'] as const;

const IAM_REGION: Record<string, string> = { 'aws-cn': 'cn-north-1', 'aws-us-gov': 'us-gov-west-1' };

/** The region IAM's endpoint is in, per partition (IAM has one endpoint per partition). */
function iamRegion(partitionRegion?: string | null): string {
  return IAM_REGION[partitionForRegion(partitionRegion)] ?? 'us-east-1';
}

export function createIamClient(scope: Omit<AwsClientScope, 'region'> & { region?: string }): IAMClient {
  return new IAMClient(clientConfig({ ...scope, region: iamRegion(scope.region) }));
}

export interface AuthorizationDetailsPageOut {
  /** 1-based */
  page: number;
  response: GetAccountAuthorizationDetailsResponse;
}

/** All pages of one account's authorization details; throws on the first failed request (nothing partial is used). */
export async function* getAuthorizationDetailsPages(client: IAMClient, opts: { maxItems?: number } = {}): AsyncGenerator<AuthorizationDetailsPageOut> {
  let marker: string | undefined;
  for (let page = 1; ; page++) {
    const response = await client.send(
      new GetAccountAuthorizationDetailsCommand({
        Filter: [...AUTHORIZATION_DETAILS_FILTER],
        ...(opts.maxItems ? { MaxItems: opts.maxItems } : {}),
        ...(marker ? { Marker: marker } : {}),
      }),
    );
    yield { page, response };
    if (!response.IsTruncated) return;
    if (!response.Marker || response.Marker === marker) {
      throw new Error(`GetAccountAuthorizationDetails page ${page} is truncated but gives ${response.Marker ? 'the same Marker again' : 'no Marker'}`);
    }
    marker = response.Marker;
  }
}
