/**
 * AWS SDK clients for one account and region.
 *
 * Credentials come from the SDK's default chain (environment, shared config/SSO, container or
 * instance role…). With a role name, the client assumes `arn:<partition>:iam::<account>:role/<name>`
 * in the member account using those credentials. Nothing here logs: the SDK's default logger is
 * silent, and credentials never leave the SDK.
 */
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { buildIamArn, partitionForRegion } from '../domain/aws/arn';

export interface AwsClientScope {
  accountId: string;
  region: string;
  /** assume this role in `accountId`; unset or null: use the default chain's credentials as they are */
  roleName?: string | null;
  /**
   * Service URL override (a local server in tests). Unset: the SDK's own resolution, which also
   * honours `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_CLOUDTRAIL` / `AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API`.
   */
  endpoint?: string | null;
  /** attempts per request, first included (SDK default 3); throttling is retried with backoff */
  maxAttempts?: number;
}

/** The session name the member account's CloudTrail shows for our AssumeRole sessions. */
export const ASSUME_ROLE_SESSION_NAME = 'govgraph';

const ACCOUNT_ID = /^\d{12}$/;

// Which scope a client was made for, so the fetch layer can name its source
// (`lookup-events:<account>/<region>`) without the caller repeating it.
const scopes = new WeakMap<object, { accountId: string; region: string }>();

export function createCloudTrailClient(scope: AwsClientScope): CloudTrailClient {
  const client = new CloudTrailClient(clientConfig(scope));
  scopes.set(client, { accountId: scope.accountId, region: scope.region });
  return client;
}

export function createTaggingClient(scope: AwsClientScope): ResourceGroupsTaggingAPIClient {
  const client = new ResourceGroupsTaggingAPIClient(clientConfig(scope));
  scopes.set(client, { accountId: scope.accountId, region: scope.region });
  return client;
}

/** The account and region a client from this module was created for. */
export function scopeOfClient(client: object): { accountId: string; region: string } | null {
  return scopes.get(client) ?? null;
}

/** The role ARN assumed for a scope with a role name (partition from the region: China, GovCloud). */
export function assumedRoleArn(scope: Pick<AwsClientScope, 'accountId' | 'region'> & { roleName: string }): string {
  return buildIamArn(scope.accountId, 'role', scope.roleName, undefined, partitionForRegion(scope.region));
}

/** The SDK client configuration for a scope: region, endpoint override, attempts, AssumeRole credentials. */
export function clientConfig(scope: AwsClientScope) {
  if (!ACCOUNT_ID.test(scope.accountId)) throw new Error(`AWS account id must be 12 digits, got ${JSON.stringify(scope.accountId)}`);
  if (!scope.region) throw new Error('AWS region is required');
  if (scope.maxAttempts !== undefined && (!Number.isInteger(scope.maxAttempts) || scope.maxAttempts < 1)) {
    throw new Error(`maxAttempts must be a positive integer, got ${scope.maxAttempts}`);
  }
  const roleName = scope.roleName ?? null;
  return {
    region: scope.region,
    ...(scope.endpoint ? { endpoint: scope.endpoint } : {}),
    ...(scope.maxAttempts !== undefined ? { maxAttempts: scope.maxAttempts } : {}),
    ...(roleName
      ? {
          credentials: fromTemporaryCredentials({
            // master credentials: the default chain; STS is called in the scope's region
            // (its own endpoint, never `scope.endpoint`, which is the service's)
            params: { RoleArn: assumedRoleArn({ ...scope, roleName }), RoleSessionName: ASSUME_ROLE_SESSION_NAME },
            clientConfig: { region: scope.region, ...(scope.maxAttempts !== undefined ? { maxAttempts: scope.maxAttempts } : {}) },
          }),
        }
      : {}),
  };
}
