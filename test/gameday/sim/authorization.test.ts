/**
 * The simulated account evaluates each call against the identity policies of the role that makes
 * it: the resource ARNs the call names, the condition keys of those resources and of the request,
 * and each service's own denial (through the real SDK deserializers).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  AssociateIamInstanceProfileCommand,
  CreateSecurityGroupCommand,
  DescribeInstancesCommand,
  DisassociateIamInstanceProfileCommand,
  DescribeIamInstanceProfileAssociationsCommand,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  RevokeSecurityGroupEgressCommand,
} from '@aws-sdk/client-ec2';
import { AttachUserPolicyCommand, CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, ListInstanceProfilesForRoleCommand, PutRolePolicyCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { GenerateMacCommand } from '@aws-sdk/client-kms';
import { PublishCommand } from '@aws-sdk/client-sns';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { SeededSimulatedAws } from '../../support/sim-builder';
import { loadIamCatalog } from '../../../lib/gameday/sim/iam-catalog';
import type { IamCatalog } from '../../../lib/gameday/sim/iam-catalog';
import type { PolicyDocument, PolicyStatement } from '../../../lib/gameday/sim/iam-policy';
import { rejectionOf } from './fixtures';
import type { ScopeArns } from '../../../lib/stack/iam-scopes';
import { planStatements } from '../../../lib/stack/iam-scopes';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/firebreak-responder-${REGION}-quarantine-instance`;
const ec2Arn = (type: string) => `arn:aws:ec2:*:${ACCOUNT}:${type}/*`;

/** Where a member role of ACCOUNT points (lib/stack/member-role-stack.ts), to plan the deployed statements. */
const MEMBER_ARNS: ScopeArns = {
  ec2: (type) => ec2Arn(type),
  route53resolver: (type) => `arn:aws:route53resolver:*:${ACCOUNT}:${type}/*`,
  snapshots: 'arn:aws:ec2:*::snapshot/*',
  iam: (type) => `arn:aws:iam::${ACCOUNT}:${type}/*`,
  ownRoles: [`arn:aws:iam::${ACCOUNT}:role/FirebreakResponder-quarantine-instance`],
};

/** The statements Firebreak deploys for `actions` in a member role (planStatements), as IAM JSON. */
function deployed(actions: string[], options: Parameters<typeof planStatements>[2] = {}): PolicyStatement[] {
  return planStatements(actions, MEMBER_ARNS, options).map(({ statement }) => statement.toStatementJson() as PolicyStatement);
}

let catalog: IamCatalog;
beforeAll(async () => {
  catalog = await loadIamCatalog();
});

function world(statements: PolicyStatement[]) {
  const sim = new SeededSimulatedAws({ seed: 'authorization', defaultAccount: ACCOUNT, defaultRegion: REGION });
  const vpc = sim.addVpc();
  const app = sim.addSecurityGroup({ vpcId: vpc.id, name: 'web-tier' });
  const managed = sim.addSecurityGroup({ vpcId: vpc.id, name: 'firebreak-isolation', tags: { 'firebreak:managed': 'true' } });
  const box = sim.addInstance({ vpcId: vpc.id, enis: [{ groupIds: [app] }], instanceProfile: 'web-app' });
  sim.enforceIdentityPolicies(ROLE, [{ Version: '2012-10-17', Statement: statements }], catalog);
  const clients = sim.clientFactory({ principal: ROLE });
  return { sim, vpc, app, managed, box, clients, ec2: () => clients.ec2({ account: ACCOUNT, region: REGION }) };
}

describe('identity policies in the simulated account', () => {
  it('authorizes ModifyNetworkInterfaceAttribute on the ENI and on every group it names; a resource outside the grant is UnauthorizedOperation with an encoded message', async () => {
    const allowed = world([{ Effect: 'Allow', Action: 'ec2:ModifyNetworkInterfaceAttribute', Resource: [ec2Arn('network-interface'), ec2Arn('security-group')] }]);
    const ec2 = await allowed.ec2();
    const eni = allowed.box.networkInterfaceIds[0] as string;
    await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni, Groups: [allowed.managed] }));
    expect(allowed.sim.networkInterface(eni)?.groupIds).toEqual([allowed.managed]);

    const enisOnly = world([{ Effect: 'Allow', Action: 'ec2:ModifyNetworkInterfaceAttribute', Resource: ec2Arn('network-interface') }]);
    const refused = await rejectionOf(
      (await enisOnly.ec2()).send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: enisOnly.box.networkInterfaceIds[0], Groups: [enisOnly.managed] })),
    );
    expect(refused.name).toBe('UnauthorizedOperation');
    expect(refused.$metadata?.httpStatusCode).toBe(403);
    expect(refused.message).toContain(`on resource: arn:aws:ec2:${REGION}:${ACCOUNT}:security-group/${enisOnly.managed}`);
    expect(refused.message).toMatch(/because no identity-based policy allows the ec2:ModifyNetworkInterfaceAttribute action\. Encoded authorization failure message: [A-Za-z0-9_-]+$/);
  });

  it("FIDELITY (review-9b): a group another account shares into the VPC is authorized under its owner's ARN, so the member role's IntoFirebreakGroupsOnly (groups of its own account) refuses it, tag or no tag", async () => {
    // An ARN names the account that owns the resource: a shared VPC owner's group is
    // arn:aws:ec2:<region>:<owner>:security-group/sg-…, whoever calls. The simulator named every
    // resource of a call under the caller's account, so the owner's group, tagged firebreak:managed
    // by the owner, passed the member role's tag-conditioned grant as if it were the account's.
    const { sim, ec2, box, vpc, managed } = world(deployed(['ec2:ModifyNetworkInterfaceAttribute', 'ec2:CreateSecurityGroup']));
    const shared = sim.addSecurityGroup({ vpcId: vpc.id, name: 'firebreak-isolation-0wner000', tags: { 'firebreak:managed': 'true' } });
    sim.shareSecurityGroupFrom(shared, '444455556666');
    const client = await ec2();
    // The account's own tagged group: allowed, as before.
    await client.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: box.networkInterfaceIds[0], Groups: [managed] }));
    const refused = await rejectionOf(client.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: box.networkInterfaceIds[0], Groups: [shared] })));
    expect(refused.name).toBe('UnauthorizedOperation');
    expect(refused.message).toContain(`on resource: arn:aws:ec2:${REGION}:444455556666:security-group/${shared}`);
  });

  it('reads aws:ResourceTag from the group itself: Firebreak may change its own groups, never an application group', async () => {
    const { ec2, app, managed } = world([
      {
        Effect: 'Allow',
        Action: 'ec2:RevokeSecurityGroupEgress',
        Resource: ec2Arn('security-group'),
        Condition: { StringEquals: { 'aws:ResourceTag/firebreak:managed': 'true' } },
      },
    ]);
    const client = await ec2();
    const egress = [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }];
    await client.send(new RevokeSecurityGroupEgressCommand({ GroupId: managed, IpPermissions: egress }));
    const refused = await rejectionOf(client.send(new RevokeSecurityGroupEgressCommand({ GroupId: app, IpPermissions: egress })));
    expect(refused.name).toBe('UnauthorizedOperation');
  });

  it('authorizes creation-time tags as ec2:CreateTags on the new resource with ec2:CreateAction', async () => {
    const create = { Effect: 'Allow', Action: 'ec2:CreateSecurityGroup', Resource: [ec2Arn('security-group'), ec2Arn('vpc')] } as const;
    const tagging = {
      Effect: 'Allow',
      Action: 'ec2:CreateTags',
      Resource: ec2Arn('security-group'),
      Condition: { StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup' } },
    } as const;
    const input = (vpcId: string) =>
      new CreateSecurityGroupCommand({
        GroupName: 'firebreak-isolation-2',
        Description: 'isolation',
        VpcId: vpcId,
        TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'firebreak:managed', Value: 'true' }] }],
      });
    const withTagging = world([create, tagging]);
    await (await withTagging.ec2()).send(input(withTagging.vpc.id));

    const without = world([create]);
    const refused = await rejectionOf((await without.ec2()).send(input(without.vpc.id)));
    expect(refused.name).toBe('UnauthorizedOperation');
    expect(refused.message).toContain('ec2:CreateTags');
  });

  it('needs iam:PassRole (to EC2) on the profile’s role to associate it', async () => {
    const base: PolicyStatement[] = [
      { Effect: 'Allow', Action: ['ec2:AssociateIamInstanceProfile', 'ec2:DisassociateIamInstanceProfile'], Resource: ec2Arn('instance') },
      { Effect: 'Allow', Action: 'ec2:DescribeIamInstanceProfileAssociations', Resource: '*' },
    ];
    const detach = async (w: ReturnType<typeof world>) => {
      const client = await w.ec2();
      const { IamInstanceProfileAssociations } = await client.send(new DescribeIamInstanceProfileAssociationsCommand({}));
      await client.send(new DisassociateIamInstanceProfileCommand({ AssociationId: IamInstanceProfileAssociations?.[0]?.AssociationId }));
      return client;
    };
    const toEc2 = world([...base, { Effect: 'Allow', Action: 'iam:PassRole', Resource: `arn:aws:iam::${ACCOUNT}:role/*`, Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } } }]);
    await (await detach(toEc2)).send(new AssociateIamInstanceProfileCommand({ InstanceId: toEc2.box.instanceId, IamInstanceProfile: { Name: 'web-app' } }));

    const toLambda = world([...base, { Effect: 'Allow', Action: 'iam:PassRole', Resource: '*', Condition: { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } } }]);
    const client = await detach(toLambda);
    const refused = await rejectionOf(client.send(new AssociateIamInstanceProfileCommand({ InstanceId: toLambda.box.instanceId, IamInstanceProfile: { Name: 'web-app' } })));
    expect(refused.name).toBe('UnauthorizedOperation');
    expect(refused.message).toContain(`iam:PassRole on resource: arn:aws:iam::${ACCOUNT}:role/web-app`);
  });

  it("FIDELITY (holders): authorizes iam:ListInstanceProfilesForRole on the role it names, as IAM does (Service Authorization Reference: role*), so the deployed ReadNamedRoles (role/*) allows it", async () => {
    const granted = world(deployed(['iam:ListInstanceProfilesForRole']));
    const iam = await granted.clients.iam({ account: ACCOUNT, region: REGION });
    const { InstanceProfiles } = await iam.send(new ListInstanceProfilesForRoleCommand({ RoleName: 'web-app' }));
    expect(InstanceProfiles?.map((profile) => profile.InstanceProfileName)).toEqual(['web-app']);
    // A grant on another role's ARN does not reach it.
    const other = world([{ Effect: 'Allow', Action: 'iam:ListInstanceProfilesForRole', Resource: `arn:aws:iam::${ACCOUNT}:role/ci-*` }]);
    const refused = await rejectionOf((await other.clients.iam({ account: ACCOUNT, region: REGION })).send(new ListInstanceProfilesForRoleCommand({ RoleName: 'web-app' })));
    expect(refused.message).toContain(`iam:ListInstanceProfilesForRole on resource: arn:aws:iam::${ACCOUNT}:role/web-app`);
  });

  it('reads ec2:Attribute from the request: the deployed statements refuse an attribute Firebreak never sets and leave nothing unevaluated', async () => {
    const w = world(deployed(['ec2:ModifyInstanceAttribute']));
    const client = await w.ec2();
    const InstanceId = w.box.instanceId;
    await client.send(new ModifyInstanceAttributeCommand({ InstanceId, DisableApiTermination: { Value: true } }));
    await client.send(new ModifyInstanceAttributeCommand({ InstanceId, Attribute: 'instanceInitiatedShutdownBehavior', Value: 'stop' }));
    expect(w.sim.instance(InstanceId)).toMatchObject({ disableApiTermination: true, shutdownBehavior: 'stop' });
    for (const request of [{ SourceDestCheck: { Value: false } }, { Attribute: 'userData' as const, Value: 'IyEvYmluL3NoCg==' }, { Groups: [w.managed] }]) {
      const refused = await rejectionOf(client.send(new ModifyInstanceAttributeCommand({ InstanceId, ...request })));
      expect(refused.name).toBe('UnauthorizedOperation');
      expect(refused.message).toContain('explicit deny in an identity-based policy (DenyInstanceAttributesFirebreakNeverSets)');
    }
    expect(w.sim.authorizationFindings()).toEqual([]);
  });

  it('reads the tags of the role, user and instance a containing call names: the deployed DenyProtectedTagKey refuses the call when the code rail is bypassed', async () => {
    const KEY = 'firebreak:protected';
    // quarantine-instance's, revoke-role-sessions' and disable-access-key's containing calls, in one role, as planned with the key.
    const w = world(deployed(['ec2:DescribeIamInstanceProfileAssociations', 'ec2:DisassociateIamInstanceProfile', 'iam:PutRolePolicy', 'iam:UpdateAccessKey', 'iam:AttachUserPolicy'], { protectedTagKey: KEY }));
    const guarded = w.sim.addInstance({ vpcId: w.vpc.id, enis: [{ groupIds: [w.app] }], instanceProfile: 'payments-app', tags: { [KEY]: '' } });
    // The account's administrator (no enforced policy) prepares a tagged role and user, and a plain user.
    const admin = await w.sim.clientFactory({ principal: `arn:aws:iam::${ACCOUNT}:role/Admin` }).iam({ account: ACCOUNT, region: REGION });
    await admin.send(new CreateRoleCommand({ RoleName: 'payments-batch', AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [] }), Tags: [{ Key: KEY, Value: 'true' }] }));
    const keys: Record<string, string> = {};
    for (const [name, tags] of [['payments-user', [{ Key: KEY, Value: 'true' }]], ['web-user', []]] as const) {
      await admin.send(new CreateUserCommand({ UserName: name, Tags: [...tags] }));
      keys[name] = (await admin.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!.AccessKeyId!;
    }

    // As the responder's role, calling the APIs directly: no guard, no grant, no tag read.
    const iam = await w.clients.iam({ account: ACCOUNT, region: REGION });
    const ec2 = await w.ec2();
    const policy = { PolicyName: 'FirebreakRevokeOlderSessions', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] }) };
    const denyAll = 'arn:aws:iam::aws:policy/AWSDenyAll';
    const association = async (instanceId: string) =>
      (await ec2.send(new DescribeIamInstanceProfileAssociationsCommand({ Filters: [{ Name: 'instance-id', Values: [instanceId] }] }))).IamInstanceProfileAssociations?.[0]?.AssociationId;

    await iam.send(new PutRolePolicyCommand({ RoleName: 'web-app', ...policy }));
    await iam.send(new UpdateAccessKeyCommand({ UserName: 'web-user', AccessKeyId: keys['web-user'], Status: 'Inactive' }));
    await iam.send(new AttachUserPolicyCommand({ UserName: 'web-user', PolicyArn: denyAll }));
    await ec2.send(new DisassociateIamInstanceProfileCommand({ AssociationId: await association(w.box.instanceId) }));

    for (const refused of [
      await rejectionOf(iam.send(new PutRolePolicyCommand({ RoleName: 'payments-batch', ...policy }))),
      await rejectionOf(iam.send(new UpdateAccessKeyCommand({ UserName: 'payments-user', AccessKeyId: keys['payments-user'], Status: 'Inactive' }))),
      await rejectionOf(iam.send(new AttachUserPolicyCommand({ UserName: 'payments-user', PolicyArn: denyAll }))),
      await rejectionOf(ec2.send(new DisassociateIamInstanceProfileCommand({ AssociationId: await association(guarded.instanceId) }))),
    ]) {
      expect(refused.message).toContain('explicit deny in an identity-based policy (DenyProtectedTagKey)');
    }
    expect(w.sim.authorizationFindings()).toEqual([]);
  });

  it('lets an explicit Deny win (IAM answers AccessDenied naming the statement)', async () => {
    const { sim, clients } = world([
      { Effect: 'Allow', Action: 'iam:PutRolePolicy', Resource: `arn:aws:iam::${ACCOUNT}:role/*` },
      { Sid: 'DenyChangesToFirebreakRoles', Effect: 'Deny', Action: 'iam:PutRolePolicy', Resource: `arn:aws:iam::${ACCOUNT}:role/firebreak-responder-*` },
    ]);
    sim.addRole({ account: ACCOUNT, name: 'firebreak-responder-x', trustedPrincipals: [] });
    const iam = await clients.iam({ account: ACCOUNT, region: REGION });
    await iam.send(new PutRolePolicyCommand({ RoleName: 'web-app', PolicyName: 'deny-old', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] }) }));
    const refused = await rejectionOf(iam.send(new PutRolePolicyCommand({ RoleName: 'firebreak-responder-x', PolicyName: 'admin', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }) })));
    expect(refused.name).toBe('AccessDenied');
    expect(refused.message).toContain('explicit deny in an identity-based policy (DenyChangesToFirebreakRoles)');
  });

  it('checks dynamodb:LeadingKeys against the partition keys the request touches (AccessDeniedException)', async () => {
    const table = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/firebreak-state`;
    const { sim, clients } = world([
      { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: table, Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': 'blast#*' } } },
    ]);
    sim.addTable({ name: 'firebreak-state', partitionKey: 'pk' });
    await clients.dynamodb().send(new PutItemCommand({ TableName: 'firebreak-state', Item: { pk: { S: 'blast#111122223333#1' } } }));
    const refused = await rejectionOf(clients.dynamodb().send(new PutItemCommand({ TableName: 'firebreak-state', Item: { pk: { S: 'quarantine#x' } } })));
    expect(refused.name).toBe('AccessDeniedException');
  });

  it('publishing to an encrypted topic needs the topic key (SNS answers AuthorizationError)', async () => {
    const key = `arn:aws:kms:${REGION}:${ACCOUNT}:key/0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9`;
    const publish = { Effect: 'Allow', Action: 'sns:Publish', Resource: `arn:aws:sns:${REGION}:${ACCOUNT}:alerts` } as const;
    const withKey = world([publish, { Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: key }]);
    const topic = withKey.sim.addTopic({ name: 'alerts', kmsKeyArn: key });
    await withKey.clients.sns().send(new PublishCommand({ TopicArn: topic, Message: 'hello' }));

    const withoutKey = world([publish]);
    const other = withoutKey.sim.addTopic({ name: 'alerts', kmsKeyArn: key });
    const refused = await rejectionOf(withoutKey.clients.sns().send(new PublishCommand({ TopicArn: other, Message: 'hello' })));
    // SNS's AuthorizationError, as the SDK v3 names its exception class.
    expect(refused.name).toBe('AuthorizationErrorException');
    expect(refused.message).toContain('kms:GenerateDataKey');
  });

  /** The responder roles' grant on member roles, confined to the organization (lib/stack/member-role-stack.ts). */
  const assumeMemberRoleInOrganization = {
    Sid: 'AssumeFirebreakMemberRole',
    Effect: 'Allow',
    Action: 'sts:AssumeRole',
    Resource: 'arn:aws:iam::*:role/FirebreakResponder',
    Condition: { StringEquals: { 'aws:ResourceOrgID': 'o-a1b2c3d4e5' } },
  } as const;

  it('reports a condition key it cannot evaluate (aws:ResourceOrgID without an organization) instead of judging it silently', async () => {
    const statement = assumeMemberRoleInOrganization;
    const unknownOrg = world([statement]);
    unknownOrg.sim.addRole({ account: '444455556666', name: 'FirebreakResponder', trustedPrincipals: [ROLE] });
    const sts = await unknownOrg.clients.sts();
    await sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::444455556666:role/FirebreakResponder', RoleSessionName: 'firebreak' }));
    expect(unknownOrg.sim.authorizationFindings()).toEqual([
      expect.objectContaining({ kind: 'unevaluated-condition', key: 'aws:ResourceOrgID', action: 'sts:AssumeRole', principal: ROLE }),
    ]);

    const otherOrg = world([statement]);
    otherOrg.sim.setOrganization('o-zzzzzzzzzz');
    otherOrg.sim.addRole({ account: '444455556666', name: 'FirebreakResponder', trustedPrincipals: [ROLE] });
    const refused = await rejectionOf(
      (await otherOrg.clients.sts()).send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::444455556666:role/FirebreakResponder', RoleSessionName: 'firebreak' })),
    );
    expect(refused.name).toBe('AccessDenied');
    expect(otherOrg.sim.authorizationFindings()).toEqual([]);
  });

  it('knows which accounts are in the organization when told: a role outside it cannot be assumed under aws:ResourceOrgID', async () => {
    const organization = world([assumeMemberRoleInOrganization]);
    organization.sim.setOrganization('o-a1b2c3d4e5', [ACCOUNT, '444455556666']);
    for (const account of ['444455556666', '999988887777']) organization.sim.addRole({ account, name: 'FirebreakResponder', trustedPrincipals: [ROLE] });
    const sts = await organization.clients.sts();
    const assume = (account: string) => sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/FirebreakResponder`, RoleSessionName: 'firebreak' }));
    expect((await assume('444455556666')).AssumedRoleUser?.Arn).toBe('arn:aws:sts::444455556666:assumed-role/FirebreakResponder/firebreak');
    // The role there trusts the caller: only the caller's own policy, by the organization, refuses.
    expect((await rejectionOf(assume('999988887777'))).name).toBe('AccessDenied');
    expect(organization.sim.authorizationFindings()).toEqual([]);
  });

  it('leaves roles without policies permissive, and deniedActions still deny on top of policies', async () => {
    const sim = new SeededSimulatedAws({ seed: 'authorization', defaultAccount: ACCOUNT, defaultRegion: REGION });
    const box = sim.addInstance();
    const ec2 = await sim.clientFactory().ec2({ account: ACCOUNT, region: REGION });
    await ec2.send(new DescribeInstancesCommand({ InstanceIds: [box.instanceId] }));

    const enforced = world([{ Effect: 'Allow', Action: 'ec2:DescribeInstances', Resource: '*' }]);
    enforced.sim.denyActions(['ec2:DescribeInstances']);
    const refused = await rejectionOf((await enforced.ec2()).send(new DescribeInstancesCommand({})));
    expect(refused.name).toBe('UnauthorizedOperation');
  });

  it('authorizes the calls a state machine makes itself (lambda:InvokeFunction) as its role', () => {
    const fn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:firebreak-triage`;
    const { sim } = world([{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: fn }]);
    expect(sim.authorizeServiceCall(ROLE, 'lambda:InvokeFunction', fn)).toBeUndefined();
    expect(sim.authorizeServiceCall(ROLE, 'lambda:InvokeFunction', `${fn}-other`)).toMatch(/not authorized to perform: lambda:InvokeFunction/);
  });

  it('a KMS key policy decides on its own: a role it names may MAC with no identity grant; an identity grant alone is not enough', async () => {
    const sealer = world([]);
    const key = sealer.sim.addHmacKey();
    const keyPolicy = (principal: string): PolicyDocument => ({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'AccountAdministersTheKey', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:DescribeKey', Resource: '*' },
        { Sid: 'QuarantineSealsRecords', Effect: 'Allow', Principal: { AWS: principal }, Action: 'kms:GenerateMac', Resource: '*', Condition: { StringEquals: { 'kms:MacAlgorithm': 'HMAC_SHA_256' } } },
      ],
    });
    const mac = (algorithm: 'HMAC_SHA_256' | 'HMAC_SHA_512' = 'HMAC_SHA_256') => new GenerateMacCommand({ KeyId: key, Message: new TextEncoder().encode('record'), MacAlgorithm: algorithm });
    sealer.sim.enforceResourcePolicy(key, keyPolicy(ROLE), true);
    await sealer.clients.kms().send(mac());
    // The key policy's condition is evaluated too.
    expect((await rejectionOf(sealer.clients.kms().send(mac('HMAC_SHA_512')))).name).toBe('AccessDeniedException');

    const other = world([{ Effect: 'Allow', Action: 'kms:GenerateMac', Resource: '*' }]);
    const otherKey = other.sim.addHmacKey();
    other.sim.enforceResourcePolicy(otherKey, keyPolicy(`arn:aws:iam::${ACCOUNT}:role/someone-else`), true);
    const refused = await rejectionOf(other.clients.kms().send(new GenerateMacCommand({ KeyId: otherKey, Message: new TextEncoder().encode('record'), MacAlgorithm: 'HMAC_SHA_256' })));
    expect(refused.name).toBe('AccessDeniedException');
    expect(refused.message).toContain('because no resource-based policy allows the kms:GenerateMac action');
  });

  it('a table policy’s Deny binds a principal with no enforced policies (an administrator) as well; its writers and the rehearsal’s operator pass', async () => {
    const table = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/firebreak-state`;
    const { sim, clients } = world([{ Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: table }]);
    sim.addTable({ name: 'firebreak-state', partitionKey: 'pk' });
    sim.enforceResourcePolicy(
      table,
      {
        Version: '2012-10-17',
        Statement: [{ Sid: 'OnlyFirebreakRolesWriteItems', Effect: 'Deny', Principal: { AWS: '*' }, Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem'], Resource: '*', Condition: { ArnNotEquals: { 'aws:PrincipalArn': [ROLE] } } }],
      },
      false,
    );
    const unrelease = new UpdateItemCommand({ TableName: 'firebreak-state', Key: { pk: { S: 'credential#x' } }, UpdateExpression: 'SET released = :false', ExpressionAttributeValues: { ':false': { BOOL: false } } });
    await clients.dynamodb().send(unrelease);
    const admin = sim.clientFactory({ principal: `arn:aws:iam::${ACCOUNT}:role/SecurityAdmin` }).dynamodb();
    const refused = await rejectionOf(admin.send(unrelease));
    expect(refused.name).toBe('AccessDeniedException');
    expect(refused.message).toContain('explicit deny in a resource-based policy (OnlyFirebreakRolesWriteItems)');
    // Reads are not the policy's concern.
    await admin.send(new GetItemCommand({ TableName: 'firebreak-state', Key: { pk: { S: 'credential#x' } } }));
    const operator = `arn:aws:iam::${ACCOUNT}:role/firebreak-gameday-operator`;
    sim.addOperator(operator);
    await sim.clientFactory({ principal: operator }).dynamodb().send(unrelease);
  });

  it('FIDELITY (fid-iam) every role session carries aws:TokenIssueTime: a revoke-older-sessions Deny refuses a session issued before its cut-off', async () => {
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-tokenissuetime:
    // present in every request signed with temporary credentials, which a role session's are.
    const describe = { Effect: 'Allow', Action: 'ec2:DescribeInstances', Resource: '*' } as const;
    const revoke = (cutOff: string): PolicyStatement => ({ Sid: 'FirebreakRevokeOlderSessions', Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': cutOff } } });
    const revoked = world([describe, revoke('2999-01-01T00:00:00Z')]);
    const refused = await rejectionOf((await revoked.ec2()).send(new DescribeInstancesCommand({})));
    expect(refused.name).toBe('UnauthorizedOperation');
    expect(refused.message).toContain('explicit deny in an identity-based policy (FirebreakRevokeOlderSessions)');

    const issuedAfter = world([describe, revoke('2000-01-01T00:00:00Z')]);
    await (await issuedAfter.ec2()).send(new DescribeInstancesCommand({}));
    expect(issuedAfter.sim.authorizationFindings()).toEqual([]);

    // A call whose session the account did not issue (a state machine's own call) has no known issue time: reported, never judged absent.
    const fn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:firebreak-triage`;
    const machine = world([{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: fn }, revoke('2000-01-01T00:00:00Z')]);
    machine.sim.authorizeServiceCall(ROLE, 'lambda:InvokeFunction', fn);
    expect(machine.sim.authorizationFindings()).toEqual([expect.objectContaining({ kind: 'unevaluated-condition', key: 'aws:TokenIssueTime', action: 'lambda:InvokeFunction' })]);
  });

  it('FIDELITY (fid-iam) a role session carries its role’s tags as aws:PrincipalTag: a Deny on a principal tag binds it', async () => {
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principaltag
    const sim = new SeededSimulatedAws({ seed: 'authorization', defaultAccount: ACCOUNT, defaultRegion: REGION });
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
    const iam = await sim.clientFactory().iam({ account: ACCOUNT, region: REGION });
    await iam.send(new CreateRoleCommand({ RoleName: 'tagged-responder', AssumeRolePolicyDocument: trust, Tags: [{ Key: 'quarantined', Value: 'true' }] }));
    await iam.send(new CreateRoleCommand({ RoleName: 'untagged-responder', AssumeRolePolicyDocument: trust }));
    const statements: PolicyStatement[] = [
      { Effect: 'Allow', Action: 'ec2:DescribeInstances', Resource: '*' },
      { Sid: 'DenyQuarantinedPrincipals', Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/quarantined': 'true' } } },
    ];
    const ec2Of = async (name: string) => {
      const role = `arn:aws:iam::${ACCOUNT}:role/${name}`;
      sim.enforceIdentityPolicies(role, [{ Version: '2012-10-17', Statement: statements }], catalog);
      return sim.clientFactory({ principal: role }).ec2({ account: ACCOUNT, region: REGION });
    };
    const refused = await rejectionOf((await ec2Of('tagged-responder')).send(new DescribeInstancesCommand({})));
    expect(refused.name).toBe('UnauthorizedOperation');
    expect(refused.message).toContain('explicit deny in an identity-based policy (DenyQuarantinedPrincipals)');
    await (await ec2Of('untagged-responder')).send(new DescribeInstancesCommand({}));
    expect(sim.authorizationFindings()).toEqual([]);
  });

  it('FIDELITY (fid-iam) across accounts the identity policy and the resource policy must both allow: neither grants alone, a key policy included', () => {
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
    const other = '444455556666';
    const fn = `arn:aws:lambda:${REGION}:${other}:function:shared-intake`;
    const invoke = { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: fn } as const;
    const naming = (principal: string): PolicyDocument => ({ Version: '2012-10-17', Statement: [{ Sid: 'InvokeFromSecurityAccount', Effect: 'Allow', Principal: { AWS: principal }, Action: 'lambda:InvokeFunction', Resource: fn }] });

    const resourceOnly = world([]);
    resourceOnly.sim.enforceResourcePolicy(fn, naming(ROLE), false);
    expect(resourceOnly.sim.authorizeServiceCall(ROLE, 'lambda:InvokeFunction', fn)).toMatch(/because no identity-based policy allows the lambda:InvokeFunction action/);

    const identityOnly = world([invoke]);
    identityOnly.sim.enforceResourcePolicy(fn, naming(`arn:aws:iam::${other}:root`), false);
    expect(identityOnly.sim.authorizeServiceCall(ROLE, 'lambda:InvokeFunction', fn)).toMatch(/because no resource-based policy allows the lambda:InvokeFunction action/);

    for (const principal of [ROLE, `arn:aws:iam::${ACCOUNT}:root`]) {
      const both = world([invoke]);
      both.sim.enforceResourcePolicy(fn, naming(principal), false);
      expect(both.sim.authorizeServiceCall(ROLE, 'lambda:InvokeFunction', fn)).toBeUndefined();
    }

    // A key policy naming the role of another account grants nothing without that role's own grant.
    const key = `arn:aws:kms:${REGION}:${other}:key/0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9`;
    const keyOnly = world([]);
    keyOnly.sim.enforceResourcePolicy(key, { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: ROLE }, Action: 'kms:GenerateMac', Resource: '*' }] }, true);
    expect(keyOnly.sim.authorizeServiceCall(ROLE, 'kms:GenerateMac', key)).toMatch(/not authorized to perform: kms:GenerateMac/);

    // A principal without modelled policies (an administrator of a third account) is not let in by an Allow naming someone else.
    expect(resourceOnly.sim.authorizeServiceCall('arn:aws:iam::999988887777:role/Admin', 'lambda:InvokeFunction', fn)).toMatch(/because no resource-based policy allows/);
  });

  it('FIDELITY (fid-iam) an IAM call carries aws:RequestedRegion us-east-1 (IAM’s one endpoint), whatever Region its client names', async () => {
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-requestedregion
    const { sim, clients, ec2 } = world([
      { Effect: 'Allow', Action: ['iam:PutRolePolicy', 'ec2:DescribeInstances'], Resource: '*' },
      { Sid: 'StayInIreland', Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringNotEquals: { 'aws:RequestedRegion': REGION } } },
    ]);
    sim.addRole({ account: ACCOUNT, name: 'web-app-2', trustedPrincipals: [] });
    const iam = await clients.iam({ account: ACCOUNT, region: REGION });
    const refused = await rejectionOf(iam.send(new PutRolePolicyCommand({ RoleName: 'web-app-2', PolicyName: 'p', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] }) })));
    expect(refused.name).toBe('AccessDenied');
    expect(refused.message).toContain('explicit deny in an identity-based policy (StayInIreland)');
    // A regional service's call in the Region the policy names passes.
    await (await ec2()).send(new DescribeInstancesCommand({}));
  });
});
