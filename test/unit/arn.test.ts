import {
  buildIamArn,
  buildS3Arn,
  buildSageMakerArn,
  isArn,
  parseArn,
  partitionForRegion,
} from '../../src/domain/aws/arn';

describe('parseArn', () => {
  it('splits a SageMaker training job ARN into its parts', () => {
    // Arrange
    const arn = 'arn:aws:sagemaker:us-east-1:111122223333:training-job/churn-v7';

    // Act
    const parsed = parseArn(arn);

    // Assert
    expect(parsed).toEqual({
      partition: 'aws',
      service: 'sagemaker',
      region: 'us-east-1',
      accountId: '111122223333',
      resource: 'training-job/churn-v7',
      resourceType: 'training-job',
      resourceName: 'churn-v7',
    });
  });

  it('names a nested resource by its last segment (a Studio user profile under its domain)', () => {
    // Arrange
    const arn = 'arn:aws:sagemaker:us-east-1:111122223333:user-profile/d-abc123xyz/alice';

    // Act
    const parsed = parseArn(arn);

    // Assert
    expect(parsed?.resourceType).toBe('user-profile');
    expect(parsed?.resourceName).toBe('alice');
  });

  it('names a role with a path by the role name, not the path', () => {
    // Arrange
    const arn = 'arn:aws:iam::956882708938:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig';

    // Act
    const parsed = parseArn(arn);

    // Assert
    expect(parsed).toMatchObject({ service: 'iam', region: '', accountId: '956882708938', resourceType: 'role', resourceName: 'AWSServiceRoleForConfig' });
  });

  it('keeps a colon inside a role name (AWS-internal roles such as aws:ec2-infrastructure)', () => {
    // Arrange
    const arn = 'arn:aws:iam::123456789012:role/aws:ec2-infrastructure';

    // Act
    const parsed = parseArn(arn);

    // Assert
    expect(parsed).toMatchObject({ resourceType: 'role', resourceName: 'aws:ec2-infrastructure' });
  });

  it('reads `type:name` resources', () => {
    // Arrange
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789123:secret:test-zeCISw';

    // Act
    const parsed = parseArn(arn);

    // Assert
    expect(parsed).toMatchObject({ resourceType: 'secret', resourceName: 'test-zeCISw' });
  });

  it('reads an S3 bucket ARN as a bucket and an S3 object ARN as an object named by its key', () => {
    // Arrange
    const bucket = 'arn:aws:s3:::team-a-training-data';
    const object = 'arn:aws:s3:::team-a-training-data/churn/2024/train.csv';

    // Act
    const parsedBucket = parseArn(bucket);
    const parsedObject = parseArn(object);

    // Assert
    expect(parsedBucket).toMatchObject({ service: 's3', region: '', accountId: '', resourceType: 'bucket', resourceName: 'team-a-training-data' });
    expect(parsedObject).toMatchObject({ resourceType: 'object', resourceName: 'churn/2024/train.csv' });
  });

  it('reads the account root ARN as type root', () => {
    // Arrange
    const arn = 'arn:aws:iam::123456789012:root';

    // Act
    const parsed = parseArn(arn);

    // Assert
    expect(parsed).toMatchObject({ service: 'iam', accountId: '123456789012', resourceType: 'root' });
  });

  it('reads the partition of GovCloud and China ARNs', () => {
    // Arrange
    const gov = 'arn:aws-us-gov:iam::123456789012:role/Analyst';
    const china = 'arn:aws-cn:sagemaker:cn-north-1:123456789012:model/m1';

    // Act
    const parsed = [parseArn(gov), parseArn(china)];

    // Assert
    expect(parsed.map((p) => p?.partition)).toEqual(['aws-us-gov', 'aws-cn']);
  });

  it('reads an API Gateway ARN whose resource starts with a slash', () => {
    // Arrange
    const arn = 'arn:aws:apigateway:us-east-1::/restapis/abcdef74gh/stages/test2';

    // Act
    const parsed = parseArn(arn);

    // Assert
    expect(parsed).toMatchObject({ service: 'apigateway', accountId: '', resourceType: 'restapis', resourceName: 'test2' });
  });

  it.each([
    ['a placeholder', '...'],
    ['a bare word', 'arn'],
    ['too few parts', 'arn:aws:iam::123456789012'],
    ['an empty service', 'arn:aws::sts:101010101111:assumed-role/UserRole/userid'],
    ['no resource', 'arn:aws:iam::123456789012:'],
    ['surrounding whitespace', ' arn:aws:inspector:us-west-2:123456789012:target/0-nvgVhaxX'],
    ['a service principal', 'config.amazonaws.com'],
    ['a number', 42],
    ['null', null],
  ])('returns null for %s', (_label, value) => {
    // Arrange: the value above

    // Act
    const parsed = parseArn(value);

    // Assert
    expect(parsed).toBeNull();
    expect(isArn(value)).toBe(false);
  });
});

describe('ARN builders', () => {
  it('lower-cases SageMaker names as SageMaker does in its ARNs', () => {
    // Arrange
    const experimentName = 'USERA1TEAMAEXPERIMENT1';

    // Act
    const arn = buildSageMakerArn('us-east-1', '111122223333', 'experiment', experimentName);

    // Assert
    expect(arn).toBe('arn:aws:sagemaker:us-east-1:111122223333:experiment/usera1teamaexperiment1');
  });

  it('builds SageMaker ARNs in the partition of the region', () => {
    // Arrange
    const region = 'cn-northwest-1';

    // Act
    const arn = buildSageMakerArn(region, '111122223333', 'endpoint', 'Scoring');

    // Assert
    expect(arn).toBe('arn:aws-cn:sagemaker:cn-northwest-1:111122223333:endpoint/scoring');
  });

  it('builds IAM ARNs without a region, with the path between type and name', () => {
    // Arrange
    const account = '111122223333';

    // Act
    const plain = buildIamArn(account, 'role', 'DataScientist');
    const withPath = buildIamArn(account, 'role', 'DataScientist', '/team-a/');
    const pathWithoutSlashes = buildIamArn(account, 'policy', 'DenyTrainingWithoutVpc', 'guardrails');

    // Assert
    expect(plain).toBe('arn:aws:iam::111122223333:role/DataScientist');
    expect(withPath).toBe('arn:aws:iam::111122223333:role/team-a/DataScientist');
    expect(pathWithoutSlashes).toBe('arn:aws:iam::111122223333:policy/guardrails/DenyTrainingWithoutVpc');
  });

  it('builds S3 bucket and object ARNs without region or account', () => {
    // Arrange
    const bucket = 'team-a-training-data';

    // Act
    const bucketArn = buildS3Arn(bucket);
    const objectArn = buildS3Arn(bucket, 'churn/train.csv');

    // Assert
    expect(bucketArn).toBe('arn:aws:s3:::team-a-training-data');
    expect(objectArn).toBe('arn:aws:s3:::team-a-training-data/churn/train.csv');
  });

  it('round-trips: a built ARN parses back to the name it was built from', () => {
    // Arrange
    const arn = buildIamArn('111122223333', 'user', 'alice', '/people/');

    // Act
    const parsed = parseArn(arn);

    // Assert
    expect(parsed).toMatchObject({ service: 'iam', accountId: '111122223333', resourceType: 'user', resourceName: 'alice' });
  });

  it.each([
    ['us-east-1', 'aws'],
    ['cn-north-1', 'aws-cn'],
    ['us-gov-west-1', 'aws-us-gov'],
    [null, 'aws'],
  ])('places region %s in partition %s', (region, partition) => {
    // Arrange: the region above

    // Act
    const actual = partitionForRegion(region);

    // Assert
    expect(actual).toBe(partition);
  });
});
