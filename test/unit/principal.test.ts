import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolvePrincipal } from '../../src/domain/cloudtrail/principal';

const SAMPLES = path.resolve(__dirname, '..', '..', '..', 'shared', 'samples', 'aws');
const haveSamples = fs.existsSync(SAMPLES);
if (!haveSamples) console.warn(`principal.test: ${SAMPLES} is absent, the tests on published records are skipped`);
const describeWithSamples = haveSamples ? describe : describe.skip;

type Json = Record<string, unknown>;

/** The first published record in `file` that `pick` accepts; fails loudly if the samples changed. */
function sample(file: string, pick: (record: Json) => boolean): Json {
  const lines = fs.readFileSync(path.join(SAMPLES, file), 'utf8').split('\n').filter((l) => l.trim() !== '');
  const found = lines.map((l) => JSON.parse(l) as Json).find(pick);
  if (!found) throw new Error(`no record in ${file} matches`);
  return found;
}

function identity(record: Json): Json {
  return record.userIdentity as Json;
}

describeWithSamples('resolvePrincipal on published records', () => {
  it('resolves an assumed-role session to its issuing role, keeping session name, key and calling service', () => {
    // Arrange: AWS Config's service-linked role listing a notebook's tags
    const record = sample('sumologic-docs.cloudtrail.jsonl', (r) => r.eventName === 'ListTags');

    // Act
    const resolved = resolvePrincipal(record);

    // Assert
    expect(resolved.principal).toEqual({
      arn: 'arn:aws:iam::956882708938:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig',
      type: 'ROLE',
      accountId: '956882708938',
      name: 'AWSServiceRoleForConfig',
      awsPrincipalId: 'AROA55SVHNHFJXEP65NAE',
    });
    expect(resolved.userIdentityArn).toBe(
      'arn:aws:sts::956882708938:assumed-role/AWSServiceRoleForConfig/ConfigResourceCompositionSession',
    );
    expect(resolved.sessionName).toBe('ConfigResourceCompositionSession');
    expect(resolved.accessKeyId).toBe('ASIA55SVHNHFHBULIL7Q');
    expect(resolved.invokedBy).toBe('config.amazonaws.com');
  });

  it('resolves an IAM user to the user ARN and name', () => {
    // Arrange: the SageMaker guide's CreateEndpoint by user "intern"
    const record = sample('awsdocs-sagemaker-developer-guide.cloudtrail.jsonl', (r) => r.eventName === 'CreateEndpoint');

    // Act
    const { principal, sessionName } = resolvePrincipal(record);

    // Assert
    expect(principal).toMatchObject({ arn: 'arn:aws:iam::123456789012:user/intern', type: 'IAM_USER', name: 'intern', accountId: '123456789012' });
    expect(sessionName).toBeNull();
  });

  it('builds the user ARN when a sign-in record gives only the user name', () => {
    // Arrange
    const record = sample(
      'awsdocs-cloudtrail-user-guide.cloudtrail.jsonl',
      (r) => identity(r)?.type === 'IAMUser' && identity(r).arn === undefined && identity(r).userName === 'anaya',
    );

    // Act
    const { principal } = resolvePrincipal(record);

    // Assert
    expect(principal).toMatchObject({ arn: 'arn:aws:iam::111122223333:user/anaya', type: 'IAM_USER', name: 'anaya' });
  });

  it('does not invent a user from the name AWS hides after a failed sign-in', () => {
    // Arrange
    const record = sample('awsdocs-iam-user-guide.cloudtrail.jsonl', (r) => identity(r)?.userName === 'HIDDEN_DUE_TO_SECURITY_REASONS');

    // Act
    const { principal } = resolvePrincipal(record);

    // Assert
    expect(principal).toBeNull();
  });

  it('resolves the root user to the account root ARN; an empty access key is no key', () => {
    // Arrange
    const record = sample('awsdocs-cloudtrail-user-guide.cloudtrail.jsonl', (r) => identity(r)?.type === 'Root' && r.eventName === 'ConsoleLogin');

    // Act
    const { principal, accessKeyId } = resolvePrincipal(record);

    // Assert
    expect(principal).toMatchObject({ arn: 'arn:aws:iam::111122223333:root', type: 'ROOT', accountId: '111122223333' });
    expect(accessKeyId).toBeNull();
  });

  it('keys a SAML user, who has no ARN, on identity provider and user name', () => {
    // Arrange: AssumeRoleWithSAML with session tags
    const record = sample('awsdocs-iam-user-guide.cloudtrail.jsonl', (r) => identity(r)?.type === 'SAMLUser' && identity(r).userName === 'SamlExample');

    // Act
    const { principal } = resolvePrincipal(record);

    // Assert
    expect(principal).toEqual({
      arn: 'saml-user:bdGOnTesti4+ExamplexL/jEvs=/SamlExample',
      type: 'SAML_USER',
      accountId: null,
      name: 'SamlExample',
      awsPrincipalId: 'SampleUkh1i4+ExamplexL/jEvs=:SamlExample',
    });
  });

  it('keys a web-identity user on identity provider and user name', () => {
    // Arrange
    const record = sample('awsdocs-iam-user-guide.cloudtrail.jsonl', (r) => r.eventName === 'AssumeRoleWithWebIdentity');

    // Act
    const { principal } = resolvePrincipal(record);

    // Assert
    expect(principal).toMatchObject({ arn: 'web-identity-user:accounts.google.com/<id of user>', type: 'WEB_IDENTITY_USER', name: '<id of user>' });
  });

  it('keys an AWS service on its service principal, with no account', () => {
    // Arrange: DynamoDB calling KMS on a table owner's behalf
    const record = sample('awsdocs-kms-developer-guide.cloudtrail.jsonl', (r) => identity(r)?.type === 'AWSService' && identity(r).invokedBy === 'dynamodb.amazonaws.com');

    // Act
    const { principal, invokedBy } = resolvePrincipal(record);

    // Assert
    expect(principal).toMatchObject({ arn: 'dynamodb.amazonaws.com', type: 'AWS_SERVICE', name: 'dynamodb.amazonaws.com', accountId: null });
    expect(invokedBy).toBe('dynamodb.amazonaws.com');
  });

  it('keys another AWS account on its root ARN', () => {
    // Arrange: a cross-account AssumeRole
    const record = sample('awsdocs-iam-user-guide.cloudtrail.jsonl', (r) => identity(r)?.type === 'AWSAccount');

    // Act
    const { principal } = resolvePrincipal(record);

    // Assert
    expect(principal).toMatchObject({ arn: 'arn:aws:iam::777788889999:root', type: 'AWS_ACCOUNT', accountId: '777788889999', name: '777788889999' });
  });

  it('keeps a session whose ARNs are malformed as the session itself, not as a made-up role', () => {
    // Arrange: a record whose session and issuer ARNs both read `arn:aws::sts:…`
    const record = sample('cloud-custodian.cloudtrail.jsonl', (r) => r.eventName === 'CreateDBInstance');

    // Act
    const { principal } = resolvePrincipal(record);

    // Assert
    expect(principal).toMatchObject({ arn: 'arn:aws::sts:101010101111:assumed-role/UserRole/userid', type: 'ASSUMED_ROLE_SESSION' });
  });

  it('gives no principal for placeholder identities ("..." and literal field names)', () => {
    // Arrange
    const placeholders = [
      sample('streamalert.cloudtrail.jsonl', (r) => identity(r)?.type === '...'),
      sample('streamalert.cloudtrail.jsonl', (r) => identity(r)?.type === 'AssumedRole' && identity(r).arn === '...'),
      sample('streamalert.cloudtrail.jsonl', (r) => identity(r)?.type === 'type'),
    ];

    // Act
    const principals = placeholders.map((r) => resolvePrincipal(r).principal);

    // Assert
    expect(principals).toEqual([null, null, null]);
  });
});

describe('resolvePrincipal on written records', () => {
  it('derives the role from the session ARN when the record has no session issuer', () => {
    // Arrange
    const record: Json = {
      awsRegion: 'us-east-1',
      userIdentity: {
        type: 'AssumedRole',
        principalId: 'AROAEXAMPLEROLEID1234:alice@example.com',
        arn: 'arn:aws:sts::111122223333:assumed-role/TeamADataScientist/alice@example.com',
        accountId: '111122223333',
        accessKeyId: 'ASIAEXAMPLEKEY123456',
      },
    };

    // Act
    const resolved = resolvePrincipal(record);

    // Assert
    expect(resolved.principal).toEqual({
      arn: 'arn:aws:iam::111122223333:role/TeamADataScientist',
      type: 'ROLE',
      accountId: '111122223333',
      name: 'TeamADataScientist',
      awsPrincipalId: 'AROAEXAMPLEROLEID1234',
    });
    expect(resolved.sessionName).toBe('alice@example.com');
    expect(resolved.accessKeyId).toBe('ASIAEXAMPLEKEY123456');
  });

  it('derives a GovCloud role in the GovCloud partition', () => {
    // Arrange
    const record: Json = {
      awsRegion: 'us-gov-west-1',
      userIdentity: { type: 'AssumedRole', arn: 'arn:aws-us-gov:sts::111122223333:assumed-role/Analyst/s1', accountId: '111122223333' },
    };

    // Act
    const { principal } = resolvePrincipal(record);

    // Assert
    expect(principal?.arn).toBe('arn:aws-us-gov:iam::111122223333:role/Analyst');
  });

  it('resolves a federated user to the federated-user ARN', () => {
    // Arrange: a GetFederationToken session, shaped as CloudTrail documents it
    const record: Json = {
      userIdentity: {
        type: 'FederatedUser',
        principalId: '111122223333:Alice',
        arn: 'arn:aws:sts::111122223333:federated-user/Alice',
        accountId: '111122223333',
        accessKeyId: 'ASIAEXAMPLEFEDKEY123',
        sessionContext: {
          attributes: { creationDate: '2024-05-02T10:00:00Z', mfaAuthenticated: 'false' },
          sessionIssuer: { type: 'IAMUser', principalId: 'AIDAEXAMPLEUSERID123', arn: 'arn:aws:iam::111122223333:user/Bob', accountId: '111122223333', userName: 'Bob' },
        },
      },
    };

    // Act
    const { principal, accessKeyId } = resolvePrincipal(record);

    // Assert
    expect(principal).toEqual({
      arn: 'arn:aws:sts::111122223333:federated-user/Alice',
      type: 'FEDERATED_USER',
      accountId: '111122223333',
      name: 'Alice',
      awsPrincipalId: '111122223333:Alice',
    });
    expect(accessKeyId).toBe('ASIAEXAMPLEFEDKEY123');
  });

  it('keys an IAM Identity Center user on identity store and user id', () => {
    // Arrange
    const record: Json = {
      userIdentity: {
        type: 'IdentityCenterUser',
        accountId: '111122223333',
        onBehalfOf: { userId: '544894e8-80c1-707f-60e3-3ba6510dfac1', identityStoreArn: 'arn:aws:identitystore::111122223333:identitystore/d-9067642ac7' },
        credentialId: 'EXAMPLECREDENTIALID',
      },
    };

    // Act
    const { principal } = resolvePrincipal(record);

    // Assert
    expect(principal).toMatchObject({
      arn: 'identity-center-user:d-9067642ac7/544894e8-80c1-707f-60e3-3ba6510dfac1',
      type: 'IDENTITY_CENTER_USER',
      name: '544894e8-80c1-707f-60e3-3ba6510dfac1',
      accountId: '111122223333',
    });
  });

  it('keeps an unmodelled identity type as UNKNOWN when it has an ARN', () => {
    // Arrange
    const record: Json = { userIdentity: { type: 'Directory', arn: 'arn:aws:iam::111122223333:user/svc-sync', accountId: '111122223333' } };

    // Act
    const { principal } = resolvePrincipal(record);

    // Assert
    expect(principal).toMatchObject({ arn: 'arn:aws:iam::111122223333:user/svc-sync', type: 'UNKNOWN', name: 'svc-sync' });
  });

  it.each<[string, Json]>([
    ['no userIdentity', { eventName: 'RotateKey' }],
    ['a userIdentity that is not an object', { userIdentity: 'root' }],
    ['a service event naming only the account', { userIdentity: { accountId: '123456789012', invokedBy: 'AWS Internal' } }],
    ['an assumed role with nothing usable', { userIdentity: { type: 'AssumedRole', arn: 42, sessionContext: 'x' } }],
    ['a SAML user without provider', { userIdentity: { type: 'SAMLUser', userName: 'someone' } }],
  ])('gives no principal, and does not throw, for %s', (_label, record) => {
    // Arrange: the record above

    // Act
    const resolved = resolvePrincipal(record);

    // Assert
    expect(resolved.principal).toBeNull();
  });
});
