import { describe, expect, it } from 'vitest';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateRoleCommand, GetInstanceProfileCommand, GetRoleCommand, GetRolePolicyCommand, NoSuchEntityException, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { PublishCommand } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { MemberRoleUnavailableError } from '../../../lib/contracts/responder-errors';
import type { PolicyDocument, PolicyStatement } from '../../../lib/gameday/sim/iam-policy';
import { SeededSimulatedAws } from '../../support/sim-builder';
import { rejectionOf } from './fixtures';

const SECURITY = '111111111111';
const MEMBER = '222222222222';
const RESPONDER = `arn:aws:iam::${SECURITY}:role/firebreak-responder`;

describe('simulated identities: STS, IAM and permissions', () => {
  // https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
  it('assumes a member role that trusts the caller and then acts in the member account', async () => {
    const sim = new SeededSimulatedAws({ defaultAccount: SECURITY });
    sim.addRole({ account: MEMBER, name: 'FirebreakMember', trustedPrincipals: [RESPONDER] });
    const box = sim.addInstance({ account: MEMBER });
    const clients = sim.clientFactory({ memberRoleName: 'FirebreakMember' });

    const ec2 = await clients.ec2({ account: MEMBER, region: 'us-east-1' });
    const { Reservations } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [box.instanceId] }));
    const sts = await clients.sts({ account: MEMBER, region: 'us-east-1' });
    const who = await sts.send(new GetCallerIdentityCommand({}));

    expect(Reservations?.[0]?.Instances?.[0]?.InstanceId).toBe(box.instanceId);
    expect(who.Arn).toBe(`arn:aws:sts::${MEMBER}:assumed-role/FirebreakMember/firebreak-responder`);
    // Assumed by the responders' own MemberRoleAccess: its session name and 15-minute session.
    expect(sim.calls({ api: 'sts:AssumeRole' })).toEqual([
      expect.objectContaining({ account: SECURITY, input: { RoleArn: `arn:aws:iam::${MEMBER}:role/FirebreakMember`, RoleSessionName: 'firebreak-responder', DurationSeconds: 900 } }),
    ]);
  });

  it('answers AccessDenied when the member role does not exist or does not trust the caller; the factory says MemberRoleUnavailableError', async () => {
    const sim = new SeededSimulatedAws({ defaultAccount: SECURITY });
    sim.addRole({ account: MEMBER, name: 'TrustsSomeoneElse', trustedPrincipals: ['333333333333'] });
    const sts = sim.clientFactory().sts();

    const untrusted = await rejectionOf(
      (await sts).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${MEMBER}:role/TrustsSomeoneElse`, RoleSessionName: 'firebreak' })),
    );
    const missing = await rejectionOf(sim.clientFactory({ memberRoleName: 'FirebreakMember' }).ec2({ account: MEMBER, region: 'us-east-1' }));

    expect([untrusted.name, untrusted.$metadata?.httpStatusCode]).toEqual(['AccessDenied', 403]);
    expect(untrusted.message).toBe(
      `User: arn:aws:sts::${SECURITY}:assumed-role/firebreak-responder/firebreak-gameday is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${MEMBER}:role/TrustsSomeoneElse`,
    );
    expect(missing).toBeInstanceOf(MemberRoleUnavailableError);
    expect(missing).toMatchObject({ account: MEMBER, roleName: 'FirebreakMember' });
  });

  // The role's trust policy condition on sts:ExternalId (the confused-deputy guard):
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
  it('requires the ExternalId the member role asks for', async () => {
    const sim = new SeededSimulatedAws({ defaultAccount: SECURITY });
    sim.addRole({ account: MEMBER, name: 'FirebreakMember', trustedPrincipals: [SECURITY], externalId: 'firebreak-org' });
    const sts = await sim.clientFactory().sts();
    const assume = (ExternalId?: string) =>
      sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${MEMBER}:role/FirebreakMember`, RoleSessionName: 'fb', ...(ExternalId ? { ExternalId } : {}) }));

    const without = await rejectionOf(assume());
    const answer = await assume('firebreak-org');

    expect(without.name).toBe('AccessDenied');
    expect(answer.Credentials?.AccessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
  });

  // The deployed member and forensic roles trust the security account root ON CONDITION that
  // aws:PrincipalArn is one of Firebreak's roles (lib/stack/member-role-stack.ts): the condition,
  // not the principal, is what keeps every other role of the security account out.
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
  describe('a trust policy as a template deploys it: the account root on condition of aws:PrincipalArn', () => {
    const ATTACKER = `arn:aws:iam::${SECURITY}:role/ci-deployer`;
    const templateTrust = (condition: Record<string, Record<string, unknown>>): PolicyDocument & { Statement: PolicyStatement[] } => ({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${SECURITY}:root` }, Action: 'sts:AssumeRole', Condition: condition }],
    });
    const assumeAs = async (sim: SeededSimulatedAws, principal: string, extra: { ExternalId?: string } = {}) =>
      (await sim.clientFactory({ principal }).sts()).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${MEMBER}:role/FirebreakMember`, RoleSessionName: 'fb', ...extra }));

    it('admits the named responder role and refuses another role of the same account (created through CreateRole, as a deployment does)', async () => {
      const sim = new SeededSimulatedAws({ defaultAccount: SECURITY });
      const iam = await sim.clientFactory({ principal: `arn:aws:iam::${MEMBER}:role/operator` }).iam({ account: MEMBER, region: 'us-east-1' });
      await iam.send(
        new CreateRoleCommand({ RoleName: 'FirebreakMember', AssumeRolePolicyDocument: JSON.stringify(templateTrust({ StringEquals: { 'aws:PrincipalArn': [RESPONDER] } })) }),
      );

      const admitted = await assumeAs(sim, RESPONDER);
      const attacker = await rejectionOf(assumeAs(sim, ATTACKER));

      expect(admitted.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${MEMBER}:assumed-role/FirebreakMember/fb`);
      expect([attacker.name, attacker.$metadata?.httpStatusCode]).toEqual(['AccessDenied', 403]);
      expect(attacker.message).toBe(`User: arn:aws:sts::${SECURITY}:assumed-role/ci-deployer/firebreak-gameday is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${MEMBER}:role/FirebreakMember`);
    });

    it('requires the ExternalId beside the principal condition, and an explicit Deny in the trust policy wins', async () => {
      const sim = new SeededSimulatedAws({ defaultAccount: SECURITY });
      const trust = templateTrust({ StringEquals: { 'aws:PrincipalArn': RESPONDER, 'sts:ExternalId': 'firebreak-org' } });
      const denyAfterAllow: PolicyDocument = {
        ...trust,
        Statement: [...trust.Statement, { Effect: 'Deny', Principal: '*', Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:RoleSessionName': 'blocked' } } }],
      };
      sim.addRole({ account: MEMBER, name: 'FirebreakMember', trustPolicy: denyAfterAllow });

      const without = await rejectionOf(assumeAs(sim, RESPONDER));
      const wrong = await rejectionOf(assumeAs(sim, RESPONDER, { ExternalId: 'guess' }));
      const right = await assumeAs(sim, RESPONDER, { ExternalId: 'firebreak-org' });
      const attackerWithId = await rejectionOf(assumeAs(sim, ATTACKER, { ExternalId: 'firebreak-org' }));
      const denied = await rejectionOf(
        (await sim.clientFactory({ principal: RESPONDER }).sts()).send(
          new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${MEMBER}:role/FirebreakMember`, RoleSessionName: 'blocked', ExternalId: 'firebreak-org' }),
        ),
      );

      expect([without.name, wrong.name, attackerWithId.name, denied.name]).toEqual(['AccessDenied', 'AccessDenied', 'AccessDenied', 'AccessDenied']);
      expect(right.Credentials?.AccessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
    });

    it('refuses, naming the key, when the trust policy conditions on a key the simulated account cannot evaluate', async () => {
      const sim = new SeededSimulatedAws({ defaultAccount: SECURITY });
      sim.addRole({ account: MEMBER, name: 'FirebreakMember', trustPolicy: templateTrust({ StringEquals: { 'aws:PrincipalOrgID': 'o-abc123def4' } }) });

      const refused = await rejectionOf(assumeAs(sim, RESPONDER));

      expect(refused.name).toBe('AccessDenied');
      expect(refused.message).toContain("cannot evaluate the trust policy's condition on aws:PrincipalOrgID");
    });

    it('answers MalformedPolicyDocument for a CreateRole trust policy that is not a policy, and GetRole returns the one it keeps', async () => {
      const sim = new SeededSimulatedAws({ defaultAccount: SECURITY });
      const iam = await sim.clientFactory().iam({ account: SECURITY, region: 'us-east-1' });
      const trust = JSON.stringify(templateTrust({ StringEquals: { 'aws:PrincipalArn': RESPONDER } }));

      const notJson = await rejectionOf(iam.send(new CreateRoleCommand({ RoleName: 'a', AssumeRolePolicyDocument: '{' })));
      const noStatement = await rejectionOf(iam.send(new CreateRoleCommand({ RoleName: 'b', AssumeRolePolicyDocument: '{"Version":"2012-10-17"}' })));
      await iam.send(new CreateRoleCommand({ RoleName: 'c', AssumeRolePolicyDocument: trust }));
      const { Role } = await iam.send(new GetRoleCommand({ RoleName: 'c' }));

      expect([notJson.name, noStatement.name]).toEqual(['MalformedPolicyDocumentException', 'MalformedPolicyDocumentException']);
      expect(decodeURIComponent(Role?.AssumeRolePolicyDocument ?? '')).toBe(trust);
    });
  });

  it('reuses an assumed member role until it is about to expire, then assumes it again, with one client across sessions as in Lambda', async () => {
    const sim = new SeededSimulatedAws({ defaultAccount: SECURITY });
    sim.addRole({ account: MEMBER, name: 'FirebreakMember', trustedPrincipals: [RESPONDER] });
    const box = sim.addInstance({ account: MEMBER });
    const clients = sim.clientFactory({ memberRoleName: 'FirebreakMember' });
    const target = { account: MEMBER, region: 'us-east-1' };

    const first = await clients.ec2(target);
    const second = await clients.ec2(target);
    await first.send(new DescribeInstancesCommand({ InstanceIds: [box.instanceId] }));
    expect(sim.calls({ api: 'sts:AssumeRole' })).toHaveLength(1);
    // A client held past its session (15 minutes) asks the cache again: renewed, not ExpiredToken.
    sim.advance(3_600_000);
    await first.send(new DescribeInstancesCommand({ InstanceIds: [box.instanceId] }));
    const third = await clients.ec2(target);

    expect(second).toBe(first);
    expect(third).toBe(first);
    expect(sim.calls({ api: 'sts:AssumeRole' })).toHaveLength(2);
    expect(sim.calls({ api: 'ec2:DescribeInstances' }).map((call) => call.outcome)).toEqual(['ok', 'ok']);
  });

  // https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html (DurationSeconds, default one hour)
  it('refuses calls signed with assumed-role credentials after they expire', async () => {
    const sim = new SeededSimulatedAws({ defaultAccount: SECURITY });
    const role = sim.addRole({ account: MEMBER, name: 'FirebreakMember', trustedPrincipals: [SECURITY] });
    const sts = await sim.clientFactory().sts();
    const { Credentials } = await sts.send(new AssumeRoleCommand({ RoleArn: role, RoleSessionName: 'fb', DurationSeconds: 900 }));
    const member = sim.attach(
      new EC2Client({
        region: 'us-east-1',
        credentials: { accessKeyId: Credentials?.AccessKeyId ?? '', secretAccessKey: Credentials?.SecretAccessKey ?? '', sessionToken: Credentials?.SessionToken ?? '' },
      }),
    );

    await member.send(new DescribeInstancesCommand({}));
    sim.advance(900_000);
    const expired = await rejectionOf(member.send(new DescribeInstancesCommand({})));

    expect(expired.name).toBe('RequestExpired');
    expect(sim.calls({ api: 'ec2:DescribeInstances' }).map((c) => c.account)).toEqual([MEMBER, MEMBER]);
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html (AuthFailure)
  it('refuses a client whose credentials it never issued (AuthFailure), so nothing reaches it by accident', async () => {
    const sim = new SeededSimulatedAws();
    const stranger = sim.attach(new EC2Client({ region: 'us-east-1', credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'x' } }));

    const error = await rejectionOf(stranger.send(new DescribeInstancesCommand({})));

    expect([error.name, error.$metadata?.httpStatusCode]).toEqual(['AuthFailure', 401]);
  });

  // https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetInstanceProfile.html,
  // https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRolePolicy.html (the document comes back URL-encoded)
  it('reads an instance profile and its role, writes an inline deny policy and reads it back URL-encoded', async () => {
    const sim = new SeededSimulatedAws();
    sim.addInstanceProfile({ name: 'web-profile', roleName: 'web-role' });
    const iam = await sim.clientFactory().iam({ account: sim.defaultAccount, region: sim.defaultRegion });
    const deny = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': '2025-01-15T09:00:00Z' } } }],
    });

    const { InstanceProfile } = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: 'web-profile' }));
    await iam.send(new PutRolePolicyCommand({ RoleName: 'web-role', PolicyName: 'firebreak-revoke-sessions', PolicyDocument: deny }));
    const { PolicyDocument } = await iam.send(new GetRolePolicyCommand({ RoleName: 'web-role', PolicyName: 'firebreak-revoke-sessions' }));
    const missing = await rejectionOf(iam.send(new GetInstanceProfileCommand({ InstanceProfileName: 'nope' })));
    const malformed = await rejectionOf(iam.send(new PutRolePolicyCommand({ RoleName: 'web-role', PolicyName: 'p', PolicyDocument: '{' })));

    expect(InstanceProfile?.Roles?.map((r) => r.RoleName)).toEqual(['web-role']);
    expect(decodeURIComponent(PolicyDocument ?? '')).toBe(deny);
    expect(missing).toBeInstanceOf(NoSuchEntityException);
    expect(malformed.name).toBe('MalformedPolicyDocumentException');
  });

  // Each service's own denial: SNS AuthorizationError (https://docs.aws.amazon.com/sns/latest/api/CommonErrors.html)
  it('denies an action to one principal only, with the service’s own error', async () => {
    const sim = new SeededSimulatedAws();
    const topic = sim.addTopic({ name: 'alerts' });
    const other = `arn:aws:iam::${sim.defaultAccount}:role/firebreak-triage`;
    sim.denyActions(['sns:Publish'], { principal: RESPONDER });

    const denied = await rejectionOf(sim.clientFactory().sns().send(new PublishCommand({ TopicArn: topic, Message: 'm' })));
    await sim.clientFactory({ principal: other }).sns().send(new PublishCommand({ TopicArn: topic, Message: 'm' }));

    expect([denied.name, denied.$metadata?.httpStatusCode]).toEqual(['AuthorizationErrorException', 403]);
    expect(sim.publishedMessages(topic).map((m) => m.publishedBy)).toEqual([`arn:aws:sts::${sim.defaultAccount}:assumed-role/firebreak-triage/firebreak-gameday`]);
  });
});
