import { Actor, cloudTrailRecord, CloudTrailRecord, createTrainingJob, sageMakerArn } from './cloudtrail-records';

/**
 * A realistic stream of CloudTrail records for load tests and the benchmark: several accounts,
 * regions and teams; assumed-role sessions and IAM users; SageMaker creates, tags, describes and
 * lists, some IAM and S3. As in an account under guard rails, most resources are created from
 * hardened templates and a minority breaks a rule (about one create in ten); a few calls are
 * denied. Deterministic for a given count and start time.
 */
export function* generateCloudTrailRecords(count: number, start = new Date(Date.UTC(2026, 9, 1))): Generator<CloudTrailRecord> {
  const accounts = ['111122223333', '444455556666', '777788889999'];
  const regions = ['us-east-1', 'eu-west-1', 'us-west-2'];
  const teams = ['TeamA', 'TeamB', 'TeamC', 'TeamD'];
  for (let i = 0; i < count; i++) {
    const accountId = accounts[i % accounts.length];
    const region = regions[(i >> 2) % regions.length];
    const team = teams[(i >> 3) % teams.length];
    const time = new Date(start.getTime() + i * 1500); // ~57,600 events a day
    const actor: Actor = i % 5 === 0
      ? { accountId, name: `ds-user-${i % 97}`, kind: 'IAMUser' }
      : { accountId, name: `SageMakerStudioDeveloper${team}Role`, kind: 'AssumedRole', sessionName: `user-${i % 211}` };
    const seed = `gen/${i}`;
    switch (i % 10) {
      case 0:
      case 1:
        // one training job in twenty without a VPC (i % 100 === 0), another one in twenty not hardened (i % 100 === 1)
        yield createTrainingJob({ actor, time, region, jobName: `${team.toLowerCase()}-train-${i}`, team, vpc: i % 100 !== 0, hardened: i % 100 !== 1, seed });
        break;
      case 2:
        yield cloudTrailRecord({
          actor, time, region, seed, eventSource: 'sagemaker.amazonaws.com', eventName: 'AddTags',
          requestParameters: { resourceArn: sageMakerArn(region, accountId, 'training-job', `${team.toLowerCase()}-train-${i - 2}`), tags: [{ key: 'project', value: `p${i % 13}` }] },
          responseElements: { tags: [{ key: 'project', value: `p${i % 13}` }] },
        });
        break;
      case 3:
        // now and then a call on another team's experiment, denied by the team-tag condition
        yield cloudTrailRecord({
          actor, time, region, seed, eventSource: 'sagemaker.amazonaws.com', eventName: i % 100 === 3 ? 'DeleteExperiment' : 'DescribeExperiment',
          requestParameters: { experimentName: `USER${i % 7}${teams[(i + 1) % 4].toUpperCase()}EXPERIMENT1` },
          ...(i % 100 === 3
            ? { errorCode: 'AccessDenied', errorMessage: `User: arn:aws:sts::${accountId}:assumed-role/${actor.name}/SageMaker is not authorized to perform: sagemaker:DeleteExperiment` }
            : {}),
        });
        break;
      case 4:
        yield cloudTrailRecord({
          actor, time, region, seed, eventSource: 'sagemaker.amazonaws.com', eventName: 'CreateNotebookInstance',
          requestParameters: {
            notebookInstanceName: `${team.toLowerCase()}-nb-${i}`, instanceType: 'ml.t3.medium', roleArn: `arn:aws:iam::${accountId}:role/${actor.name}`,
            // one notebook in ten left open (no VPC, KMS key, or closed internet and root access)
            ...(i % 100 !== 4
              ? {
                  subnetId: 'subnet-0a1b2c3d4e5f60718', securityGroupIds: ['sg-0a1b2c3d4e5f60718'], directInternetAccess: 'Disabled', rootAccess: 'Disabled',
                  kmsKeyId: `arn:aws:kms:${region}:${accountId}:key/6f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0`,
                }
              : {}),
            tags: [{ key: 'team', value: team }],
          },
          responseElements: { notebookInstanceArn: sageMakerArn(region, accountId, 'notebook-instance', `${team.toLowerCase()}-nb-${i}`) },
        });
        break;
      case 5:
        yield cloudTrailRecord({
          actor, time, region, seed, eventSource: 's3.amazonaws.com', eventName: 'GetBucketLocation',
          requestParameters: { bucketName: `ml-data-${accountId}`, Host: `ml-data-${accountId}.s3.amazonaws.com`, location: '' },
        });
        break;
      case 6:
        yield cloudTrailRecord({
          actor, time, region, seed, eventSource: 'sagemaker.amazonaws.com', eventName: 'DescribeTrainingJob',
          requestParameters: { trainingJobName: `${team.toLowerCase()}-train-${i - 6}` },
        });
        break;
      case 7:
        yield cloudTrailRecord({
          actor, time, region, seed, eventSource: 'sagemaker.amazonaws.com', eventName: 'CreatePresignedDomainUrl',
          requestParameters: { domainId: 'd-abcdefgh1234', userProfileName: `user-${i % 211}`, sessionExpirationDurationInSeconds: 43200 },
        });
        break;
      case 8:
        yield cloudTrailRecord({
          actor, time, region: 'us-east-1', seed, eventSource: 'iam.amazonaws.com', eventName: 'GetRole',
          requestParameters: { roleName: `SageMakerStudioDeveloper${team}Role` },
        });
        break;
      default:
        yield cloudTrailRecord({ actor, time, region, seed, eventSource: 'sagemaker.amazonaws.com', eventName: 'ListTrainingJobs', requestParameters: { maxResults: 100 } });
    }
  }
}
