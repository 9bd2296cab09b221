/**
 * The simulated account's environment-building APIs (what the endpoint game-day backend calls),
 * each against the behaviour its AWS API reference page states, through real SDK v3 clients.
 */
import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateSecurityGroupCommand,
  CreateSnapshotsCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteNetworkInterfaceCommand,
  DeleteSecurityGroupCommand,
  DeleteSnapshotCommand,
  DeleteSubnetCommand,
  DeleteVolumeCommand,
  DeleteVpcCommand,
  DescribeInstanceAttributeCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  DeleteInstanceProfileCommand,
  DeleteRoleCommand,
  RemoveRoleFromInstanceProfileCommand,
} from '@aws-sdk/client-iam';
import { CreateTopicCommand, DeleteTopicCommand, PublishCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { SimulatedAws } from '../../../lib/gameday/sim';
import { rejectionOf } from './fixtures';

const ACCOUNT = '111111111111';
const REGION = 'us-east-1';
const TARGET = { account: ACCOUNT, region: REGION };

function world() {
  const sim = new SimulatedAws({ seed: 'provisioning', defaultAccount: ACCOUNT, defaultRegion: REGION, instanceTransitionMs: 0 });
  const clients = sim.clientFactory();
  return { sim, clients };
}

async function network(clients: ReturnType<typeof world>['clients']) {
  const ec2 = await clients.ec2(TARGET);
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: 'prod' }] }] }));
  const vpcId = vpc.Vpc?.VpcId as string;
  const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.20.1.0/24' }));
  const subnetId = subnet.Subnet?.SubnetId as string;
  const web = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'web', VpcId: vpcId }))).GroupId as string;
  const db = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'db', Description: 'db', VpcId: vpcId }))).GroupId as string;
  return { ec2, vpcId, subnetId, web, db };
}

describe('EC2 CreateVpc / CreateSubnet / DeleteSubnet / DeleteVpc', () => {
  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVpc.html
  it('CreateVpc answers an available VPC with its CIDR and tags, and gives it a default group', async () => {
    const { sim, clients } = world();
    const { vpcId } = await network(clients);
    expect(sim.securityGroupsInVpc(vpcId).map((group) => group.name).sort()).toEqual(['db', 'default', 'web']);
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteVpc.html: "you must ... delete or detach any resources that are associated with the VPC".
  it('DeleteVpc answers DependencyViolation while a subnet or a non-default group remains, then deletes the VPC and its default group', async () => {
    const { sim, clients } = world();
    const { ec2, vpcId, subnetId, web, db } = await network(clients);
    expect((await rejectionOf(ec2.send(new DeleteVpcCommand({ VpcId: vpcId })))).name).toBe('DependencyViolation');
    await ec2.send(new DeleteSubnetCommand({ SubnetId: subnetId }));
    await ec2.send(new DeleteSecurityGroupCommand({ GroupId: web }));
    await ec2.send(new DeleteSecurityGroupCommand({ GroupId: db }));
    await ec2.send(new DeleteVpcCommand({ VpcId: vpcId }));
    expect(sim.securityGroupsInVpc(vpcId)).toEqual([]);
    expect((await rejectionOf(ec2.send(new DeleteVpcCommand({ VpcId: vpcId })))).name).toBe('InvalidVpcID.NotFound');
  });
});

describe('EC2 RunInstances', () => {
  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RunInstances.html
  it('launches one instance with its ENIs by device index, volumes, instance profile, tags and protections', async () => {
    const { sim, clients } = world();
    const { ec2, subnetId, web, db } = await network(clients);
    const iam = await clients.iam(TARGET);
    await iam.send(new CreateRoleCommand({ RoleName: 'web-app', AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [] }) }));
    await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'web-app' }));
    await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'web-app', RoleName: 'web-app' }));
    const answer = await ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-0123456789abcdef0',
        InstanceType: 'm5.xlarge',
        MinCount: 1,
        MaxCount: 1,
        NetworkInterfaces: [
          { DeviceIndex: 1, SubnetId: subnetId, Groups: [db], DeleteOnTermination: false },
          { DeviceIndex: 0, SubnetId: subnetId, Groups: [web] },
        ],
        BlockDeviceMappings: [
          { DeviceName: '/dev/xvda', Ebs: { VolumeSize: 8, VolumeType: 'gp3' } },
          { DeviceName: '/dev/sdf', Ebs: { VolumeSize: 100, VolumeType: 'gp3' } },
        ],
        IamInstanceProfile: { Name: 'web-app' },
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'web' }] }],
        DisableApiTermination: true,
      }),
    );
    const instanceId = answer.Instances?.[0]?.InstanceId as string;
    const state = sim.instance(instanceId);
    expect(state?.instanceType).toBe('m5.xlarge');
    expect(state?.tags).toEqual({ Name: 'web' });
    expect(state?.disableApiTermination).toBe(true);
    expect(state?.instanceProfileArn).toBe(`arn:aws:iam::${ACCOUNT}:instance-profile/web-app`);
    expect([...(state?.networkInterfaces ?? [])].sort((a, b) => (a.deviceIndex ?? 0) - (b.deviceIndex ?? 0)).map((eni) => eni.groupIds)).toEqual([[web], [db]]);
    expect(state?.volumes.map((volume) => volume.device)).toEqual(['/dev/xvda', '/dev/sdf']);
    const termination = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'disableApiTermination' }));
    expect(termination.DisableApiTermination?.Value).toBe(true);
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_BlockDeviceMapping.html (NoDevice: "Suppresses the specified device included in the block device mapping of the AMI")
  it("launches without an EBS volume when the AMI's root device is suppressed with NoDevice", async () => {
    const { sim, clients } = world();
    const { ec2, subnetId } = await network(clients);
    const answer = await ec2.send(
      new RunInstancesCommand({ ImageId: 'ami-1', MinCount: 1, MaxCount: 1, SubnetId: subnetId, BlockDeviceMappings: [{ DeviceName: '/dev/xvda', NoDevice: '' }] }),
    );
    expect(sim.instance(answer.Instances?.[0]?.InstanceId as string)?.volumes).toEqual([]);
  });

  it('refuses an instance profile that does not exist, as EC2 words it', async () => {
    const { clients } = world();
    const { ec2, subnetId } = await network(clients);
    const error = await rejectionOf(
      ec2.send(new RunInstancesCommand({ ImageId: 'ami-1', MinCount: 1, MaxCount: 1, SubnetId: subnetId, IamInstanceProfile: { Name: 'missing' } })),
    );
    expect(error.name).toBe('InvalidParameterValue');
    expect(error.message).toBe('Value (missing) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name');
  });

  it('refuses NetworkInterfaces together with an instance-level SubnetId (InvalidParameterCombination)', async () => {
    const { clients } = world();
    const { ec2, subnetId } = await network(clients);
    const error = await rejectionOf(
      ec2.send(new RunInstancesCommand({ ImageId: 'ami-1', MinCount: 1, MaxCount: 1, SubnetId: subnetId, NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: subnetId }] })),
    );
    expect(error.name).toBe('InvalidParameterCombination');
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/CommonParameters.html (DryRun)
  it('answers DryRunOperation to a permitted dry run and launches nothing', async () => {
    const { sim, clients } = world();
    const { ec2, subnetId } = await network(clients);
    const error = await rejectionOf(ec2.send(new RunInstancesCommand({ ImageId: 'ami-1', MinCount: 1, MaxCount: 1, SubnetId: subnetId, DryRun: true })));
    expect(error.name).toBe('DryRunOperation');
    expect((sim.state() as { instances: unknown[] }).instances).toEqual([]);
  });
});

describe('EC2 deletions after termination', () => {
  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteVolume.html: "The volume must be in the available state (not attached to an instance)."
  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteNetworkInterface.html: "You must detach the network interface before you can delete it."
  it('DeleteVolume and DeleteNetworkInterface refuse attached resources and delete them once the instance is terminated', async () => {
    const { clients } = world();
    const { ec2, subnetId, web, db } = await network(clients);
    const answer = await ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-1',
        MinCount: 1,
        MaxCount: 1,
        NetworkInterfaces: [
          { DeviceIndex: 0, SubnetId: subnetId, Groups: [web] },
          { DeviceIndex: 1, SubnetId: subnetId, Groups: [db], DeleteOnTermination: false },
        ],
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 8 } }, { DeviceName: '/dev/sdf', Ebs: { VolumeSize: 20, DeleteOnTermination: false } }],
      }),
    );
    const instance = answer.Instances?.[0];
    const instanceId = instance?.InstanceId as string;
    const dataVolume = instance?.BlockDeviceMappings?.find((m) => m.DeviceName === '/dev/sdf')?.Ebs?.VolumeId as string;
    const secondEni = instance?.NetworkInterfaces?.find((eni) => eni.Attachment?.DeviceIndex === 1)?.NetworkInterfaceId as string;
    expect((await rejectionOf(ec2.send(new DeleteVolumeCommand({ VolumeId: dataVolume })))).name).toBe('VolumeInUse');
    expect((await rejectionOf(ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: secondEni })))).name).toBe('InvalidNetworkInterface.InUse');
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    await ec2.send(new DescribeVolumesCommand({})); // the transition completes on the next call
    await ec2.send(new DeleteVolumeCommand({ VolumeId: dataVolume }));
    await ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: secondEni }));
    expect((await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'volume-id', Values: [dataVolume] }] }))).Volumes).toEqual([]);
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSnapshot.html
  it('DeleteSnapshot removes a snapshot; a second delete is InvalidSnapshot.NotFound', async () => {
    const { clients } = world();
    const { ec2, subnetId } = await network(clients);
    const answer = await ec2.send(new RunInstancesCommand({ ImageId: 'ami-1', MinCount: 1, MaxCount: 1, SubnetId: subnetId }));
    const instanceId = answer.Instances?.[0]?.InstanceId as string;
    const created = await ec2.send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: instanceId } }));
    const snapshotId = created.Snapshots?.[0]?.SnapshotId as string;
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
    expect((await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))).Snapshots).toEqual([]);
    expect((await rejectionOf(ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId })))).name).toBe('InvalidSnapshot.NotFound');
  });
});

describe('IAM roles and instance profiles', () => {
  // The SDK maps IAM's wire codes to its modeled exceptions (EntityAlreadyExists → EntityAlreadyExistsException).
  // https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteRole.html and API_DeleteInstanceProfile.html (DeleteConflict);
  // API_AddRoleToInstanceProfile.html ("an instance profile can contain only one role": LimitExceeded); API_CreateRole.html (EntityAlreadyExists)
  it('refuses a second role in a profile, deleting a role still in a profile or a profile still holding a role, and a duplicate role', async () => {
    const { clients } = world();
    const iam = await clients.iam(TARGET);
    await iam.send(new CreateRoleCommand({ RoleName: 'app', AssumeRolePolicyDocument: '{"Statement":[]}' }));
    await iam.send(new CreateRoleCommand({ RoleName: 'other', AssumeRolePolicyDocument: '{"Statement":[]}' }));
    expect((await rejectionOf(iam.send(new CreateRoleCommand({ RoleName: 'app', AssumeRolePolicyDocument: '{}' })))).name).toBe('EntityAlreadyExistsException');
    await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'app' }));
    await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'app', RoleName: 'app' }));
    expect((await rejectionOf(iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'app', RoleName: 'other' })))).name).toBe('LimitExceededException');
    expect((await rejectionOf(iam.send(new DeleteRoleCommand({ RoleName: 'app' })))).name).toBe('DeleteConflictException');
    expect((await rejectionOf(iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: 'app' })))).name).toBe('DeleteConflictException');
    await iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: 'app', RoleName: 'app' }));
    await iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: 'app' }));
    await iam.send(new DeleteRoleCommand({ RoleName: 'app' }));
    expect((await rejectionOf(iam.send(new DeleteRoleCommand({ RoleName: 'app' })))).name).toBe('NoSuchEntityException');
  });
});

describe('SNS topics with an SQS subscription, SQS queues', () => {
  // https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html (the Notification envelope);
  // https://docs.aws.amazon.com/sns/latest/dg/sns-large-payload-raw-message-delivery.html (RawMessageDelivery)
  it('delivers what the topic publishes to a subscribed queue in the JSON envelope, with subject and attributes', async () => {
    const { clients } = world();
    const sns = clients.sns();
    const sqs = clients.sqs();
    const topicArn = (await sns.send(new CreateTopicCommand({ Name: 'alerts' }))).TopicArn as string;
    expect((await sns.send(new CreateTopicCommand({ Name: 'alerts' }))).TopicArn).toBe(topicArn);
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'alert-feed' }))).QueueUrl as string;
    const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
    expect(queueArn).toBe(`arn:aws:sqs:${REGION}:${ACCOUNT}:alert-feed`);
    await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn, Attributes: { RawMessageDelivery: 'false' } }));
    await sns.send(
      new PublishCommand({ TopicArn: topicArn, Subject: 'Quarantined i-1', Message: 'body', MessageAttributes: { severity: { DataType: 'String', StringValue: 'high' } } }),
    );
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
    expect(received.Messages).toHaveLength(1);
    const envelope = JSON.parse(received.Messages?.[0]?.Body ?? '{}') as Record<string, unknown>;
    expect(envelope).toMatchObject({
      Type: 'Notification',
      TopicArn: topicArn,
      Subject: 'Quarantined i-1',
      Message: 'body',
      MessageAttributes: { severity: { Type: 'String', Value: 'high' } },
    });
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html (VisibilityTimeout)
  it('hides a received message for its visibility timeout, and DeleteQueue makes the queue unknown', async () => {
    const { sim, clients } = world();
    const sqs = clients.sqs();
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'kept' }))).QueueUrl as string;
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'not json' }));
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, VisibilityTimeout: 60 }))).Messages?.map((m) => m.Body)).toEqual(['not json']);
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl }))).Messages).toBeUndefined();
    sim.advance(61_000);
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl }))).Messages).toHaveLength(1);
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    expect((await rejectionOf(sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl })))).name).toBe('QueueDoesNotExist');
  });

  // https://docs.aws.amazon.com/sns/latest/api/API_DeleteTopic.html
  it('DeleteTopic removes the topic and its subscriptions', async () => {
    const { sim, clients } = world();
    const topicArn = (await clients.sns().send(new CreateTopicCommand({ Name: 'gone' }))).TopicArn as string;
    await clients.sns().send(new DeleteTopicCommand({ TopicArn: topicArn }));
    expect(sim.publishedMessages(topicArn)).toEqual([]);
    expect((await rejectionOf(clients.sns().send(new PublishCommand({ TopicArn: topicArn, Message: 'x' })))).name).toBe('NotFoundException');
  });
});

describe('DynamoDB CreateTable / DeleteTable', () => {
  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html and API_DeleteTable.html
  it('creates a table keyed by its HASH attribute, refuses a duplicate (ResourceInUseException) and deletes it', async () => {
    const { clients } = world();
    const dynamodb = clients.dynamodb();
    const input = {
      TableName: 'state',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' as const }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' as const }],
      BillingMode: 'PAY_PER_REQUEST' as const,
    };
    const created = await dynamodb.send(new CreateTableCommand(input));
    expect(created.TableDescription?.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
    expect((await dynamodb.send(new DescribeTableCommand({ TableName: 'state' }))).Table?.TableStatus).toBe('ACTIVE');
    expect((await rejectionOf(dynamodb.send(new CreateTableCommand(input)))).name).toBe('ResourceInUseException');
    await dynamodb.send(new DeleteTableCommand({ TableName: 'state' }));
    expect((await rejectionOf(dynamodb.send(new DeleteTableCommand({ TableName: 'state' })))).name).toBe('ResourceNotFoundException');
  });

  it('refuses a key attribute missing from AttributeDefinitions (ValidationException)', async () => {
    const { clients } = world();
    const error = await rejectionOf(
      clients.dynamodb().send(new CreateTableCommand({ TableName: 't', AttributeDefinitions: [], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] })),
    );
    expect(error.name).toBe('ValidationException');
  });
});
