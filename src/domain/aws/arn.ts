/**
 * Amazon Resource Names: parsing and building the ARNs govgraph keys resources and principals on.
 * Pure string work; no AWS SDK.
 */

export interface ParsedArn {
  partition: string;
  service: string;
  /** empty for global services (IAM, S3 buckets) */
  region: string;
  /** empty for S3 buckets; `aws` for AWS managed IAM policies */
  accountId: string;
  /** everything after the fifth colon, as written */
  resource: string;
  /** `role`, `training-job`, `bucket`, `object`, `root`…; null when the resource is a bare name of unknown kind */
  resourceType: string | null;
  /** last path segment, the part after `type:`, the bucket, or the S3 object key */
  resourceName: string | null;
}

const PARTITION = /^aws(-[a-z]+)*$/;
const SERVICE = /^[a-z0-9-]+$/;

/** Services whose resource part is a bare name (`arn:aws:sns:…:my-topic`): the kind is implied. */
const BARE_NAME_TYPES: Readonly<Record<string, string>> = { sns: 'topic', sqs: 'queue' };

/**
 * Recently parsed ARNs: the same ones come back again and again (the acting role, a bucket, a job
 * named by its create, its tags and its describes), and the answer is frozen so sharing it is safe.
 */
const parsedCache = new Map<string, ParsedArn | null>();
const PARSED_CACHE_SIZE = 50_000;

/** Parses an ARN; null for anything that is not one (placeholders such as `...`, whitespace, missing parts). */
export function parseArn(arn: unknown): ParsedArn | null {
  if (typeof arn !== 'string' || !arn.startsWith('arn:')) return null;
  if (arn.length > 2048) return parseArnText(arn);
  const cached = parsedCache.get(arn);
  if (cached !== undefined) return cached;
  const parsed = parseArnText(arn);
  if (parsedCache.size >= PARSED_CACHE_SIZE) parsedCache.clear();
  parsedCache.set(arn, parsed && Object.freeze(parsed));
  return parsed;
}

/** parseArn without the cache, for a string that starts with `arn:`. */
function parseArnText(arn: string): ParsedArn | null {
  if (/\s/.test(arn)) return null;
  const parts = arn.split(':');
  if (parts.length < 6) return null;
  const [, partition, service, region, accountId] = parts;
  // Resources may contain colons themselves (`role/aws:ec2-infrastructure`, `function:f:PROD`).
  const resource = parts.slice(5).join(':');
  if (!PARTITION.test(partition) || !SERVICE.test(service)) return null;
  // Region and account are not checked further: published records hold odd but real-looking
  // accounts (`03412312600`), and the record is what we key on.
  if (resource === '') return null;
  return { partition, service, region, accountId, resource, ...splitResource(service, region, accountId, resource) };
}

export function isArn(value: unknown): value is string {
  return parseArn(value) !== null;
}

function splitResource(
  service: string,
  region: string,
  accountId: string,
  resource: string,
): Pick<ParsedArn, 'resourceType' | 'resourceName'> {
  if (service === 's3' && region === '' && accountId === '') return splitS3(resource);
  const path = resource.startsWith('/') ? resource.slice(1) : resource; // API Gateway: `::/restapis/…`
  const slash = path.indexOf('/');
  const colon = path.indexOf(':');
  if (slash > 0 && (colon < 0 || slash < colon)) {
    const segments = path.split('/');
    return { resourceType: segments[0], resourceName: segments[segments.length - 1] || null };
  }
  if (colon > 0) return { resourceType: path.slice(0, colon), resourceName: path.slice(colon + 1) || null };
  if (service === 'iam' && path === 'root') return { resourceType: 'root', resourceName: 'root' };
  return { resourceType: BARE_NAME_TYPES[service] ?? null, resourceName: path };
}

function splitS3(resource: string): Pick<ParsedArn, 'resourceType' | 'resourceName'> {
  const slash = resource.indexOf('/');
  if (slash < 0) return { resourceType: 'bucket', resourceName: resource };
  return { resourceType: 'object', resourceName: resource.slice(slash + 1) };
}

/** The partition a region belongs to, so ARNs built for China or GovCloud accounts are right. */
export function partitionForRegion(region: string | null | undefined): string {
  if (!region) return 'aws';
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  return 'aws';
}

/**
 * SageMaker writes names lower-cased in its ARNs (experiment `USERA1TEAMAEXPERIMENT1` is
 * `…:experiment/usera1teamaexperiment1`), so the ARN is built from the lower-cased name.
 * `name` may contain a slash for nested kinds (`user-profile`: `<domainId>/<profileName>`).
 */
export function buildSageMakerArn(region: string, account: string, type: string, name: string): string {
  return `arn:${partitionForRegion(region)}:sagemaker:${region}:${account}:${type}/${name.toLowerCase()}`;
}

/** IAM ARNs have no region; `path` (`/team-a/`) sits between the type and the name. */
export function buildIamArn(account: string, type: string, name: string, path?: string, partition = 'aws'): string {
  return `arn:${partition}:iam::${account}:${type}${normalizeIamPath(path)}${name}`;
}

function normalizeIamPath(path: string | undefined): string {
  if (!path || path === '/') return '/';
  const leading = path.startsWith('/') ? path : `/${path}`;
  return leading.endsWith('/') ? leading : `${leading}/`;
}

/** S3 bucket and object ARNs carry neither region nor account. */
export function buildS3Arn(bucket: string, key?: string, partition = 'aws'): string {
  return key ? `arn:${partition}:s3:::${bucket}/${key}` : `arn:${partition}:s3:::${bucket}`;
}
