import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AssumeRoleCommandOutput } from '@aws-sdk/client-sts';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  MemberAccountClientFactory,
  type MemberAccountClientFactoryOptions,
  type TargetClientConfig,
  ServedAccountClientFactory,
  clientFactoryFromEnvironment,
  memberRoleArn,
  partitionForRegion,
  roleSessionName,
} from '../../lib/aws/member-accounts';
import {
  MemberRoleUnavailableError,
  ResponderFailedError,
  ResponderInputError,
  TransientResponderError,
  UnservedAccountError,
} from '../../lib/contracts/responder-errors';
import { forensicAccessFromEnvironment, targetAccessFromEnvironment } from '../../lib/aws/clients/environment';
import { ServedAccountAccess } from '../../lib/aws/clients/access';
import { ec2ClientsFor } from '../../lib/aws/clients/ec2';
import { iamClientsFor, memberIamClientsFor } from '../../lib/aws/clients/iam';
import { autoScalingClientsFor } from '../../lib/aws/clients/autoscaling';
import { loadBalancingClientsFor } from '../../lib/aws/clients/load-balancing';
import { route53ResolverClientsFor } from '../../lib/aws/clients/route53resolver';
import { s3ClientsFor } from '../../lib/aws/clients/s3';
import { securityHubClientsFor } from '../../lib/aws/clients/securityhub';
import { silentLogger } from '../../lib/responders/logging';
import { snapshotVolumes } from '../../lib/responders/snapshot';
import { forensicTargetFromEnv } from '../../lib/responders/snapshot-copy';
import { ec2Incident } from '../support/incidents';
import { InMemoryEvidenceRecords } from '../support/evidence-records';

const SECURITY = '999988887777';
const MEMBER = '111122223333';
const OTHER_MEMBER = '444455556666';
const T0 = new Date('2025-06-01T12:00:00Z');

const sts = mockClient(STSClient);
const ec2 = mockClient(EC2Client);

function credentialsExpiringAt(expiration: Date, id = 'ASIAMEMBER0000000001'): AssumeRoleCommandOutput {
  return {
    $metadata: {},
    Credentials: {
      AccessKeyId: id,
      SecretAccessKey: `secret-${id}`,
      SessionToken: `token-${id}`,
      Expiration: expiration,
    },
  };
}

function sdkError(name: string, httpStatusCode: number): Error {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode } });
}

/** A factory with a controllable clock and client constructors that record their config. */
function factory(overrides: Partial<MemberAccountClientFactoryOptions> = {}) {
  let now = T0;
  const ec2Configs: TargetClientConfig[] = [];
  const iamConfigs: TargetClientConfig[] = [];
  const clients = new MemberAccountClientFactory({
    securityAccountId: SECURITY,
    memberRoleName: 'FirebreakResponder',
    homeRegion: 'eu-west-1',
    stsClient: new STSClient({ region: 'eu-west-1' }),
    sessionName: 'quarantine-instance',
    now: () => now,
    makeEc2: (config) => {
      ec2Configs.push(config);
      return new EC2Client({ region: config.region });
    },
    makeIam: (config) => {
      iamConfigs.push(config);
      return new IAMClient({ region: config.region });
    },
    ...overrides,
  });
  return {
    clients,
    ec2Configs,
    iamConfigs,
    advanceTo: (date: Date) => {
      now = date;
    },
  };
}

beforeEach(() => {
  sts.reset();
  ec2.reset();
});

afterEach(() => {
  sts.reset();
  ec2.reset();
});

describe('MemberAccountClientFactory', () => {
  it('assumes the member role in the finding account with the exact AssumeRole input', async () => {
    sts.on(AssumeRoleCommand).resolves(credentialsExpiringAt(new Date(T0.getTime() + 15 * 60_000)));
    const { clients, ec2Configs } = factory({ externalId: 'firebreak-org-7f3a' });

    await clients.ec2({ account: MEMBER, region: 'ap-southeast-2' });

    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
    expect(sts.commandCalls(AssumeRoleCommand)[0]!.args[0].input).toEqual({
      RoleArn: 'arn:aws:iam::111122223333:role/FirebreakResponder',
      RoleSessionName: 'firebreak-quarantine-instance',
      DurationSeconds: 900,
      ExternalId: 'firebreak-org-7f3a',
    });
    expect(ec2Configs).toHaveLength(1);
    expect(ec2Configs[0]!.region).toBe('ap-southeast-2');
  });

  it('omits ExternalId when none is configured', async () => {
    sts.on(AssumeRoleCommand).resolves(credentialsExpiringAt(new Date(T0.getTime() + 15 * 60_000)));
    const { clients } = factory({ sessionDurationSeconds: 3600 });

    await clients.iam({ account: MEMBER, region: 'eu-west-1' });

    expect(sts.commandCalls(AssumeRoleCommand)[0]!.args[0].input).toEqual({
      RoleArn: 'arn:aws:iam::111122223333:role/FirebreakResponder',
      RoleSessionName: 'firebreak-quarantine-instance',
      DurationSeconds: 3600,
    });
  });

  it('builds member clients whose credentials are the assumed role session', async () => {
    const expiration = new Date(T0.getTime() + 15 * 60_000);
    sts.on(AssumeRoleCommand).resolves(credentialsExpiringAt(expiration, 'ASIAASSUMED000000001'));
    const { clients, ec2Configs, iamConfigs } = factory();

    await clients.ec2({ account: MEMBER, region: 'eu-central-1' });
    await clients.iam({ account: MEMBER, region: 'eu-central-1' });

    for (const config of [ec2Configs[0]!, iamConfigs[0]!]) {
      expect(config.region).toBe('eu-central-1');
      await expect(config.credentials!()).resolves.toEqual({
        accessKeyId: 'ASIAASSUMED000000001',
        secretAccessKey: 'secret-ASIAASSUMED000000001',
        sessionToken: 'token-ASIAASSUMED000000001',
        expiration,
      });
    }
    // Both clients and the credential lookups were served by one session.
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
  });

  it('builds IAM clients of member accounts from the session-revoker role, EC2 clients from the member role', async () => {
    sts.on(AssumeRoleCommand).callsFake((input: { RoleArn: string }) =>
      credentialsExpiringAt(new Date(T0.getTime() + 15 * 60_000), input.RoleArn.endsWith('/FirebreakSessionRevoker') ? 'ASIAREVOKER000000001' : 'ASIAMEMBER0000000001'),
    );
    const { clients, ec2Configs, iamConfigs } = factory({ sessionRevokerRoleName: 'FirebreakSessionRevoker' });

    await clients.ec2({ account: MEMBER, region: 'eu-west-1' });
    await clients.iam({ account: MEMBER, region: 'eu-west-1' });

    // Writing a role policy is the session revoker's power alone (lib/stack/member-role-stack.ts).
    expect(sts.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input.RoleArn)).toEqual([
      'arn:aws:iam::111122223333:role/FirebreakResponder',
      'arn:aws:iam::111122223333:role/FirebreakSessionRevoker',
    ]);
    await expect(ec2Configs[0]!.credentials!()).resolves.toMatchObject({ accessKeyId: 'ASIAMEMBER0000000001' });
    await expect(iamConfigs[0]!.credentials!()).resolves.toMatchObject({ accessKeyId: 'ASIAREVOKER000000001' });
  });

  it('names the session-revoker role when it is missing in the member account', async () => {
    sts.on(AssumeRoleCommand).rejects(sdkError('AccessDenied', 403));
    const { clients } = factory({ sessionRevokerRoleName: 'FirebreakSessionRevoker' });

    const error = await clients.iam({ account: MEMBER, region: 'eu-west-1' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MemberRoleUnavailableError);
    expect((error as Error).message).toContain("The member role 'FirebreakSessionRevoker' is missing in account 111122223333");
  });

  it('uses its own credentials in the security account and never calls AssumeRole there', async () => {
    const { clients, ec2Configs, iamConfigs } = factory();

    const first = await clients.ec2({ account: SECURITY, region: 'us-east-2' });
    const second = await clients.ec2({ account: SECURITY, region: 'us-east-2' });
    await clients.iam({ account: SECURITY, region: 'us-east-2' });

    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
    expect(first).toBe(second);
    expect(ec2Configs).toEqual([{ region: 'us-east-2' }]);
    expect(iamConfigs).toEqual([{ region: 'us-east-2' }]);
  });

  it('caches the session for its lifetime: two calls, one AssumeRole', async () => {
    sts.on(AssumeRoleCommand).resolves(credentialsExpiringAt(new Date(T0.getTime() + 15 * 60_000)));
    const { clients, advanceTo } = factory();

    const first = await clients.ec2({ account: MEMBER, region: 'eu-west-1' });
    advanceTo(new Date(T0.getTime() + 9 * 60_000));
    const second = await clients.ec2({ account: MEMBER, region: 'eu-west-1' });
    await clients.ec2({ account: MEMBER, region: 'us-west-2' });

    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
    expect(first).toBe(second);
  });

  it('assumes the role again once the session is within the safety margin of its expiration', async () => {
    sts
      .on(AssumeRoleCommand)
      .resolvesOnce(credentialsExpiringAt(new Date(T0.getTime() + 15 * 60_000), 'ASIAFIRST00000000001'))
      .resolvesOnce(credentialsExpiringAt(new Date(T0.getTime() + 30 * 60_000), 'ASIASECOND0000000001'));
    const { clients, ec2Configs, advanceTo } = factory();

    await clients.ec2({ account: MEMBER, region: 'eu-west-1' });
    // 10 minutes in: 5 minutes before expiry, inside the refresh margin.
    advanceTo(new Date(T0.getTime() + 10 * 60_000));
    await clients.ec2({ account: MEMBER, region: 'eu-west-1' });

    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
    // The cached client picks up the new session rather than being rebuilt.
    expect(ec2Configs).toHaveLength(1);
    await expect(ec2Configs[0]!.credentials!()).resolves.toMatchObject({ accessKeyId: 'ASIASECOND0000000001' });
  });

  it('shares one in-flight AssumeRole between concurrent requests for the same account', async () => {
    let answer: (output: AssumeRoleCommandOutput) => void = () => undefined;
    const stsAnswer = new Promise<AssumeRoleCommandOutput>((resolve) => {
      answer = resolve;
    });
    sts.on(AssumeRoleCommand).callsFake(() => stsAnswer);
    const { clients } = factory();

    const pending = [
      clients.ec2({ account: MEMBER, region: 'eu-west-1' }),
      clients.iam({ account: MEMBER, region: 'eu-west-1' }),
      clients.ec2({ account: MEMBER, region: 'eu-west-1' }),
    ];
    answer(credentialsExpiringAt(new Date(T0.getTime() + 15 * 60_000)));
    const [ec2a, , ec2b] = await Promise.all(pending);

    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
    expect(ec2a).toBe(ec2b);
  });

  it('assumes one session per member account, never sharing credentials across accounts', async () => {
    sts.on(AssumeRoleCommand).resolves(credentialsExpiringAt(new Date(T0.getTime() + 15 * 60_000)));
    const { clients } = factory();

    await clients.ec2({ account: MEMBER, region: 'eu-west-1' });
    await clients.ec2({ account: OTHER_MEMBER, region: 'eu-west-1' });

    expect(sts.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input.RoleArn)).toEqual([
      'arn:aws:iam::111122223333:role/FirebreakResponder',
      'arn:aws:iam::444455556666:role/FirebreakResponder',
    ]);
  });

  it('fails with MemberRoleUnavailableError naming the account, the role and the stack to deploy when the role is missing', async () => {
    sts.on(AssumeRoleCommand).rejects(sdkError('AccessDenied', 403));
    const { clients } = factory();

    const failure = await clients.ec2({ account: MEMBER, region: 'eu-west-1' }).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(MemberRoleUnavailableError);
    const error = failure as MemberRoleUnavailableError;
    expect(error.name).toBe('MemberRoleUnavailableError');
    expect(error.account).toBe(MEMBER);
    expect(error.roleName).toBe('FirebreakResponder');
    expect(error.message).toContain('account 111122223333');
    expect(error.message).toContain("'FirebreakResponder'");
    expect(error.message).toContain('member-role stack');
    expect((error.cause as Error).name).toBe('AccessDenied');
  });

  it('reports NoSuchEntity as an unavailable member role too', async () => {
    sts.on(AssumeRoleCommand).rejects(sdkError('NoSuchEntity', 404));
    const { clients } = factory();

    await expect(clients.iam({ account: MEMBER, region: 'eu-west-1' })).rejects.toBeInstanceOf(
      MemberRoleUnavailableError,
    );
  });

  it('does not cache a failure, so the next incident succeeds once the member role is deployed', async () => {
    sts
      .on(AssumeRoleCommand)
      .rejectsOnce(sdkError('AccessDenied', 403))
      .resolves(credentialsExpiringAt(new Date(T0.getTime() + 15 * 60_000)));
    const { clients } = factory();

    await expect(clients.ec2({ account: MEMBER, region: 'eu-west-1' })).rejects.toBeInstanceOf(
      MemberRoleUnavailableError,
    );
    await expect(clients.ec2({ account: MEMBER, region: 'eu-west-1' })).resolves.toBeInstanceOf(EC2Client);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
  });

  it('turns STS throttling into the retryable TransientResponderError, not a missing role', async () => {
    sts.on(AssumeRoleCommand).rejects(sdkError('Throttling', 400));
    const { clients } = factory();

    await expect(clients.ec2({ account: MEMBER, region: 'eu-west-1' })).rejects.toBeInstanceOf(
      TransientResponderError,
    );
  });

  it('fails rather than building a client when STS answers without credentials', async () => {
    sts.on(AssumeRoleCommand).resolves({ $metadata: {} });
    const { clients } = factory();

    await expect(clients.ec2({ account: MEMBER, region: 'eu-west-1' })).rejects.toBeInstanceOf(ResponderFailedError);
  });

  it('rejects a malformed account id before any AWS call', async () => {
    const { clients } = factory();

    await expect(clients.ec2({ account: '1234', region: 'eu-west-1' })).rejects.toBeInstanceOf(ResponderInputError);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  it('builds the role ARN in the partition of the finding region', async () => {
    sts.on(AssumeRoleCommand).resolves(credentialsExpiringAt(new Date(T0.getTime() + 15 * 60_000)));
    const { clients } = factory({ homeRegion: 'cn-north-1' });

    await clients.ec2({ account: MEMBER, region: 'cn-northwest-1' });

    expect(sts.commandCalls(AssumeRoleCommand)[0]!.args[0].input.RoleArn).toBe(
      'arn:aws-cn:iam::111122223333:role/FirebreakResponder',
    );
  });

  it('refuses a session duration outside 900..3600 seconds', () => {
    expect(() => factory({ sessionDurationSeconds: 600 })).toThrow(RangeError);
    expect(() => factory({ sessionDurationSeconds: 7200 })).toThrow(RangeError);
  });

  it('keeps SNS, Step Functions and DynamoDB in the security account home region', async () => {
    const { clients } = factory();

    await expect(clients.sns().config.region()).resolves.toBe('eu-west-1');
    await expect(clients.sfn().config.region()).resolves.toBe('eu-west-1');
    await expect(clients.dynamodb().config.region()).resolves.toBe('eu-west-1');
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });
});

describe('partitionForRegion', () => {
  it.each([
    ['eu-west-1', 'aws'],
    ['cn-north-1', 'aws-cn'],
    ['us-gov-west-1', 'aws-us-gov'],
    ['us-iso-east-1', 'aws-iso'],
    ['us-isob-east-1', 'aws-iso-b'],
  ])('maps %s to %s', (region, partition) => {
    expect(partitionForRegion(region)).toBe(partition);
  });
});

describe('memberRoleArn', () => {
  it('names the role in the member account of the region partition', () => {
    expect(memberRoleArn(MEMBER, 'us-gov-east-1', 'FirebreakResponder')).toBe(
      'arn:aws-us-gov:iam::111122223333:role/FirebreakResponder',
    );
  });
});

describe('roleSessionName', () => {
  it('prefixes firebreak- and replaces characters STS refuses', () => {
    expect(roleSessionName('Firebreak Quarantine/Instance:1')).toBe('firebreak-Firebreak-Quarantine-Instance-1');
  });

  it('keeps an existing firebreak- prefix and never exceeds 64 characters', () => {
    const name = roleSessionName(`firebreak-${'x'.repeat(100)}`);
    expect(name).toHaveLength(64);
    expect(name).toMatch(/^firebreak-x+$/);
    expect(name).toMatch(/^[\w+=,.@-]{2,64}$/);
  });
});

describe('clientFactoryFromEnvironment', () => {
  // Issue 8: without a member role, another account's incident is never acted upon in the security account.
  it('without a member role, serves the security account only, with the function credentials', async () => {
    const clients = clientFactoryFromEnvironment({ AWS_REGION: 'eu-west-1', FIREBREAK_SECURITY_ACCOUNT_ID: SECURITY });
    expect(clients).toBeInstanceOf(ServedAccountClientFactory);
    expect(await clients.ec2({ account: SECURITY, region: 'eu-west-1' })).toBeInstanceOf(EC2Client);
    await expect(clients.ec2({ account: MEMBER, region: 'eu-west-1' })).rejects.toMatchObject({
      name: 'UnservedAccountError',
      account: MEMBER,
      message: expect.stringContaining(`account ${MEMBER} is not the security account (${SECURITY}) and no member role is configured`) as unknown,
    });
    await expect(clients.iam({ account: MEMBER, region: 'eu-west-1' })).rejects.toBeInstanceOf(UnservedAccountError);
  });

  it('refuses to build without FIREBREAK_SECURITY_ACCOUNT_ID: it could not tell which account it may act in', () => {
    expect(() => clientFactoryFromEnvironment({ AWS_REGION: 'eu-west-1' })).toThrow(/FIREBREAK_SECURITY_ACCOUNT_ID is not set/);
  });

  it('with a member role, serves the allowlist or the organization, and refuses any other account before assuming a role', async () => {
    sts.on(AssumeRoleCommand).resolves(credentialsExpiringAt(new Date(Date.now() + 60 * 60_000)));
    const base = { AWS_REGION: 'eu-west-1', FIREBREAK_MEMBER_ROLE_NAME: 'FirebreakResponder', FIREBREAK_SECURITY_ACCOUNT_ID: SECURITY };
    const allowlisted = clientFactoryFromEnvironment({ ...base, FIREBREAK_SERVED_ACCOUNT_IDS: MEMBER });
    await allowlisted.ec2({ account: MEMBER, region: 'eu-west-1' });
    await expect(allowlisted.ec2({ account: OTHER_MEMBER, region: 'eu-west-1' })).rejects.toBeInstanceOf(UnservedAccountError);
    expect(sts.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input.RoleArn)).toEqual([`arn:aws:iam::${MEMBER}:role/FirebreakResponder`]);
    const organization = clientFactoryFromEnvironment({ ...base, FIREBREAK_ORGANIZATION_ID: 'o-a1b2c3d4e5' });
    await organization.ec2({ account: OTHER_MEMBER, region: 'eu-west-1' });
    expect(() => clientFactoryFromEnvironment({ ...base, FIREBREAK_SERVED_ACCOUNT_IDS: '12345' })).toThrow(/not a 12-digit account id/);
  });

  it('with an organization and servedAccountIds, acts in the listed accounts only: another account of the organization is refused before any AssumeRole', async () => {
    sts.on(AssumeRoleCommand).resolves(credentialsExpiringAt(new Date(Date.now() + 60 * 60_000)));
    const pilot = clientFactoryFromEnvironment({
      AWS_REGION: 'eu-west-1',
      FIREBREAK_MEMBER_ROLE_NAME: 'FirebreakResponder',
      FIREBREAK_SECURITY_ACCOUNT_ID: SECURITY,
      FIREBREAK_ORGANIZATION_ID: 'o-a1b2c3d4e5',
      FIREBREAK_SERVED_ACCOUNT_IDS: MEMBER,
    });
    await expect(pilot.ec2({ account: OTHER_MEMBER, region: 'eu-west-1' })).rejects.toMatchObject({
      name: 'UnservedAccountError',
      message: expect.stringContaining('which narrows the organization o-a1b2c3d4e5 to the accounts it lists') as unknown,
    });
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
    await pilot.ec2({ account: MEMBER, region: 'eu-west-1' });
    expect(sts.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input.RoleArn)).toEqual([`arn:aws:iam::${MEMBER}:role/FirebreakResponder`]);
  });

  it('an incident of another account with no member role: the responder makes no EC2 call at all and fails with the reason', async () => {
    const clients = clientFactoryFromEnvironment({ AWS_REGION: 'eu-west-1', FIREBREAK_SECURITY_ACCOUNT_ID: SECURITY });
    const error = await snapshotVolumes(
      { incident: ec2Incident({ account: MEMBER, region: 'eu-west-1' }), mode: 'enforce', options: { tags: {} } },
      { clients, records: new InMemoryEvidenceRecords(), logger: silentLogger, environment: { FIREBREAK_MODE: 'enforce' } },
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnservedAccountError);
    expect((error as Error).message).toContain('no member role is configured');
    expect(ec2.calls()).toHaveLength(0);
  });

  it('assumes the configured member role, with the external id, when FIREBREAK_MEMBER_ROLE_NAME is set', async () => {
    sts.on(AssumeRoleCommand).resolves(credentialsExpiringAt(new Date(Date.now() + 60 * 60_000)));
    const clients = clientFactoryFromEnvironment({
      AWS_REGION: 'eu-west-1',
      AWS_LAMBDA_FUNCTION_NAME: 'Firebreak-QuarantineInstance',
      FIREBREAK_MEMBER_ROLE_NAME: 'OrgFirebreak',
      FIREBREAK_SECURITY_ACCOUNT_ID: SECURITY,
      FIREBREAK_MEMBER_ROLE_EXTERNAL_ID: 'ext-123',
    });

    expect(clients).toBeInstanceOf(ServedAccountClientFactory);
    expect((clients as ServedAccountClientFactory).served).toEqual({ securityAccountId: SECURITY, allowlist: [], memberRoles: true });
    // Neither an allowlist nor an organization: no member account is served.
    await expect(clients.ec2({ account: MEMBER, region: 'eu-west-1' })).rejects.toBeInstanceOf(UnservedAccountError);
    const served = clientFactoryFromEnvironment({
      AWS_REGION: 'eu-west-1',
      AWS_LAMBDA_FUNCTION_NAME: 'Firebreak-QuarantineInstance',
      FIREBREAK_MEMBER_ROLE_NAME: 'OrgFirebreak',
      FIREBREAK_SECURITY_ACCOUNT_ID: SECURITY,
      FIREBREAK_MEMBER_ROLE_EXTERNAL_ID: 'ext-123',
      FIREBREAK_SERVED_ACCOUNT_IDS: MEMBER,
    });
    await served.ec2({ account: MEMBER, region: 'eu-west-1' });
    expect(sts.commandCalls(AssumeRoleCommand)[0]!.args[0].input).toEqual({
      RoleArn: 'arn:aws:iam::111122223333:role/OrgFirebreak',
      RoleSessionName: 'firebreak-Firebreak-QuarantineInstance',
      DurationSeconds: 900,
      ExternalId: 'ext-123',
    });
  });

  it('takes the session-revoker role from FIREBREAK_SESSION_REVOKER_ROLE_NAME for IAM clients', async () => {
    sts.on(AssumeRoleCommand).resolves(credentialsExpiringAt(new Date(Date.now() + 60 * 60_000)));
    const clients = clientFactoryFromEnvironment({
      AWS_REGION: 'eu-west-1',
      FIREBREAK_MEMBER_ROLE_NAME: 'OrgFirebreak',
      FIREBREAK_SECURITY_ACCOUNT_ID: SECURITY,
      FIREBREAK_SESSION_REVOKER_ROLE_NAME: 'OrgRevoker',
      FIREBREAK_SERVED_ACCOUNT_IDS: MEMBER,
    });

    await clients.iam({ account: MEMBER, region: 'eu-west-1' });
    expect(sts.commandCalls(AssumeRoleCommand)[0]!.args[0].input.RoleArn).toBe('arn:aws:iam::111122223333:role/OrgRevoker');
  });

  it('refuses a member role without the security account id, which it needs to recognise its own account', () => {
    expect(() =>
      clientFactoryFromEnvironment({ AWS_REGION: 'eu-west-1', FIREBREAK_MEMBER_ROLE_NAME: 'FirebreakResponder' }),
    ).toThrow(/FIREBREAK_SECURITY_ACCOUNT_ID/);
  });

  it('refuses a malformed security account id', () => {
    expect(() =>
      clientFactoryFromEnvironment({
        FIREBREAK_MEMBER_ROLE_NAME: 'FirebreakResponder',
        FIREBREAK_SECURITY_ACCOUNT_ID: '12345',
      }),
    ).toThrow(/12-digit/);
  });
});

// What every Lambda builds its clients from (lambdas/*/index.ts): the served-account check there is
// the one that runs in a deployment, at the time of action, whatever the guard and triage decided.
describe('targetAccessFromEnvironment (the Lambdas\' clients)', () => {
  it('without a member role, serves the security account only: another account gets no client, EC2 or IAM', async () => {
    const access = targetAccessFromEnvironment({ AWS_REGION: 'eu-west-1', FIREBREAK_SECURITY_ACCOUNT_ID: SECURITY });
    expect(access).toBeInstanceOf(ServedAccountAccess);
    expect(await ec2ClientsFor(access).ec2({ account: SECURITY, region: 'eu-west-1' })).toBeInstanceOf(EC2Client);
    await expect(ec2ClientsFor(access).ec2({ account: MEMBER, region: 'eu-west-1' })).rejects.toMatchObject({
      name: 'UnservedAccountError',
      account: MEMBER,
      message: expect.stringContaining(`account ${MEMBER} is not the security account (${SECURITY}) and no member role is configured`) as unknown,
    });
    await expect(iamClientsFor(access).iam({ account: MEMBER, region: 'eu-west-1' })).rejects.toBeInstanceOf(UnservedAccountError);
    await expect(memberIamClientsFor(access).iam({ account: MEMBER, region: 'eu-west-1' })).rejects.toBeInstanceOf(UnservedAccountError);
  });

  it('with a member role, refuses an account outside the allowlist before assuming any role there', async () => {
    sts.on(AssumeRoleCommand).resolves(credentialsExpiringAt(new Date(Date.now() + 60 * 60_000)));
    const access = targetAccessFromEnvironment({ AWS_REGION: 'eu-west-1', FIREBREAK_MEMBER_ROLE_NAME: 'FirebreakResponder', FIREBREAK_SECURITY_ACCOUNT_ID: SECURITY, FIREBREAK_SERVED_ACCOUNT_IDS: MEMBER });
    await ec2ClientsFor(access).ec2({ account: MEMBER, region: 'eu-west-1' });
    await expect(ec2ClientsFor(access).ec2({ account: OTHER_MEMBER, region: 'eu-west-1' })).rejects.toBeInstanceOf(UnservedAccountError);
    await expect(iamClientsFor(access).iam({ account: OTHER_MEMBER, region: 'eu-west-1' })).rejects.toBeInstanceOf(UnservedAccountError);
    expect(sts.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input.RoleArn)).toEqual([`arn:aws:iam::${MEMBER}:role/FirebreakResponder`]);
  });
});

describe('every client module a Lambda composes (review-members)', () => {
  const ENVIRONMENT = { AWS_REGION: 'eu-west-1', FIREBREAK_MEMBER_ROLE_NAME: 'FirebreakResponder-quarantine-instance', FIREBREAK_SECURITY_ACCOUNT_ID: SECURITY, FIREBREAK_SERVED_ACCOUNT_IDS: MEMBER, FIREBREAK_FORENSIC_ACCOUNT_ID: '777788889999' };
  /** Each service's client for a target, as the Lambdas compose them over targetAccessFromEnvironment. */
  const everyModule = (access: ReturnType<typeof targetAccessFromEnvironment>) => {
    const elb = loadBalancingClientsFor(access);
    return {
      ec2: ec2ClientsFor(access).ec2,
      iam: iamClientsFor(access).iam,
      memberIam: memberIamClientsFor(access).iam,
      autoScaling: autoScalingClientsFor(access).autoScaling,
      elbv2: elb.elbv2,
      elb: elb.elb,
      route53resolver: route53ResolverClientsFor(access).route53resolver,
      s3: s3ClientsFor(access).s3,
      securityhub: securityHubClientsFor(access).securityhub,
    };
  };

  it('tried (review-members): none hands out a client for an unserved account or the forensic account, nor assumes a role there, in any region a finding names', async () => {
    sts.on(AssumeRoleCommand).resolves(credentialsExpiringAt(new Date(Date.now() + 60 * 60_000)));
    const modules = everyModule(targetAccessFromEnvironment(ENVIRONMENT));
    for (const [name, clientFor] of Object.entries(modules)) {
      for (const account of [OTHER_MEMBER, '777788889999']) {
        for (const region of ['eu-west-1', 'me-central-1', 'cn-north-1']) {
          await expect(clientFor({ account, region }), `${name} ${account} ${region}`).rejects.toMatchObject({ name: 'UnservedAccountError', account });
        }
      }
    }
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
    // The served member account gets each, through its member role only.
    for (const clientFor of Object.values(modules)) await clientFor({ account: MEMBER, region: 'eu-west-1' });
    expect(new Set(sts.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input.RoleArn))).toEqual(new Set([`arn:aws:iam::${MEMBER}:role/FirebreakResponder-quarantine-instance`]));
  });
});

// The forensic account is the evidence vault: in an organization deployment it is an account of
// the organization like any other, yet no responder may act there on a finding; copy-evidence's own
// client (the forensic role) still copies into it.
describe('the forensic account (the evidence vault)', () => {
  const FORENSIC = '777788889999';
  const ORGANIZATION_ENVIRONMENT = {
    AWS_REGION: 'eu-west-1',
    AWS_LAMBDA_FUNCTION_NAME: 'Firebreak-CopyEvidence',
    FIREBREAK_MEMBER_ROLE_NAME: 'FirebreakResponder',
    FIREBREAK_SECURITY_ACCOUNT_ID: SECURITY,
    FIREBREAK_ORGANIZATION_ID: 'o-a1b2c3d4e5',
    FIREBREAK_FORENSIC_ACCOUNT_ID: FORENSIC,
    FIREBREAK_FORENSIC_ROLE_NAME: 'FirebreakForensicCopier',
    FIREBREAK_FORENSIC_KMS_KEY_ARN: `arn:aws:kms:eu-west-1:${FORENSIC}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
  };

  it('gets no EC2 or IAM client, before any role is assumed there, while the organization\'s other accounts do', async () => {
    sts.on(AssumeRoleCommand).resolves(credentialsExpiringAt(new Date(Date.now() + 60 * 60_000)));
    const access = targetAccessFromEnvironment(ORGANIZATION_ENVIRONMENT);
    const refusal = { name: 'UnservedAccountError', account: FORENSIC, message: expect.stringContaining(`account ${FORENSIC} is the deployment's forensic account (the evidence vault)`) as unknown };
    await expect(ec2ClientsFor(access).ec2({ account: FORENSIC, region: 'eu-west-1' })).rejects.toMatchObject(refusal);
    await expect(iamClientsFor(access).iam({ account: FORENSIC, region: 'eu-west-1' })).rejects.toMatchObject(refusal);
    await expect(memberIamClientsFor(access).iam({ account: FORENSIC, region: 'eu-west-1' })).rejects.toMatchObject(refusal);
    await expect(clientFactoryFromEnvironment(ORGANIZATION_ENVIRONMENT).ec2({ account: FORENSIC, region: 'eu-west-1' })).rejects.toMatchObject(refusal);
    await ec2ClientsFor(access).ec2({ account: MEMBER, region: 'eu-west-1' });
    expect(sts.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input.RoleArn)).toEqual([`arn:aws:iam::${MEMBER}:role/FirebreakResponder`]);
  });

  it("still gives copy-evidence its client in the forensic account, through the forensic role (the copies' destination)", async () => {
    sts.on(AssumeRoleCommand).resolves(credentialsExpiringAt(new Date(Date.now() + 60 * 60_000)));
    const forensic = ec2ClientsFor(forensicAccessFromEnvironment(forensicTargetFromEnv(ORGANIZATION_ENVIRONMENT), ORGANIZATION_ENVIRONMENT));
    expect(await forensic.ec2({ account: FORENSIC, region: 'eu-west-1' })).toBeInstanceOf(EC2Client);
    expect(sts.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input.RoleArn)).toEqual([`arn:aws:iam::${FORENSIC}:role/FirebreakForensicCopier`]);
  });
});

describe('a responder on a member-account finding', () => {
  const memberIncident = ec2Incident({ account: MEMBER, region: 'eu-west-1' });

  it('assumes the member role, then describes the instance in the finding region with that session', async () => {
    sts.on(AssumeRoleCommand).resolves(credentialsExpiringAt(new Date(T0.getTime() + 15 * 60_000)));
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    const { clients, ec2Configs } = factory();

    const result = await snapshotVolumes(
      { incident: memberIncident, mode: 'enforce', options: { tags: {} } },
      { clients, records: new InMemoryEvidenceRecords(), logger: silentLogger, now: () => T0 },
    );

    expect(sts.commandCalls(AssumeRoleCommand)[0]!.args[0].input).toEqual({
      RoleArn: 'arn:aws:iam::111122223333:role/FirebreakResponder',
      RoleSessionName: 'firebreak-quarantine-instance',
      DurationSeconds: 900,
    });
    expect(ec2Configs.map((config) => config.region)).toEqual(['eu-west-1']);
    expect(ec2Configs[0]!.credentials).toBeDefined();
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(1);
    expect(result.status).toBe('not-found');
  });

  it('fails with MemberRoleUnavailableError, before any EC2 call, when the account has no member role', async () => {
    sts.on(AssumeRoleCommand).rejects(sdkError('AccessDenied', 403));
    const { clients } = factory();

    const failure = await snapshotVolumes(
      { incident: memberIncident, mode: 'enforce', options: { tags: {} } },
      { clients, records: new InMemoryEvidenceRecords(), logger: silentLogger, now: () => T0 },
    ).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(MemberRoleUnavailableError);
    expect((failure as MemberRoleUnavailableError).account).toBe(MEMBER);
    expect(ec2.calls()).toHaveLength(0);
  });
});

describe('forensicAccessFromEnvironment (copy-evidence into the forensic account)', () => {
  const FORENSIC = '444455556666';
  const ENVIRONMENT = { AWS_REGION: 'eu-west-1', AWS_LAMBDA_FUNCTION_NAME: 'Firebreak-CopyEvidence', FIREBREAK_SECURITY_ACCOUNT_ID: SECURITY };

  it("assumes the forensic role with the deployment's ExternalId, which the ForensicRoleStack's trust then requires", async () => {
    sts.on(AssumeRoleCommand).resolves(credentialsExpiringAt(new Date(Date.now() + 60 * 60_000)));
    const access = forensicAccessFromEnvironment({ roleName: 'FirebreakForensicCopier', externalId: 'firebreak-org-7f3a' }, ENVIRONMENT);
    await access.clientConfig({ account: FORENSIC, region: 'eu-west-1' }, { role: 'member' });
    expect(sts.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input)).toEqual([
      { RoleArn: 'arn:aws:iam::444455556666:role/FirebreakForensicCopier', RoleSessionName: 'firebreak-copy-evidence', DurationSeconds: 900, ExternalId: 'firebreak-org-7f3a' },
    ]);
  });

  it('sends none when the deployment has none', async () => {
    sts.on(AssumeRoleCommand).resolves(credentialsExpiringAt(new Date(Date.now() + 60 * 60_000)));
    await forensicAccessFromEnvironment({ roleName: 'FirebreakForensicCopier' }, ENVIRONMENT).clientConfig({ account: FORENSIC, region: 'eu-west-1' }, { role: 'member' });
    expect(sts.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input)).toEqual([
      { RoleArn: 'arn:aws:iam::444455556666:role/FirebreakForensicCopier', RoleSessionName: 'firebreak-copy-evidence', DurationSeconds: 900 },
    ]);
  });
});
