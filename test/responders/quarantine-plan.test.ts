// The pure decisions of quarantine-instance and release-instance, tested without any SDK mock.
import { describe, expect, it } from 'vitest';
import type { ObservedInstance } from '../../lib/responders/instance-state';
import { isPlaceholderInstanceId, isTerminatedState, toObservedInstance } from '../../lib/responders/instance-state';
import { groupsReady, missingUntrackIngress, revocablePermission } from '../../lib/responders/isolation-groups';
import { revokeOlderSessionsPolicy } from '../../lib/responders/quarantine-credentials';
import { instanceProfileName } from '../../lib/responders/instance-profile-arn';
import { eniIsolationStep, isFullyQuarantined, planEvidence } from '../../lib/responders/quarantine-plan';
import { capturePreQuarantineRecord } from '../../lib/responders/quarantine-record-capture';
import { planRelease } from '../../lib/responders/release-plan';
import { ACCOUNT, INSTANCE_ID, REGION } from '../support/incidents';
import { APP_SG, ENI_A, ENI_B, ISOLATION_SG, PROFILE_ARN, UNTRACK_SG, VPC, describedInstance } from './quarantine-fixtures';

const RUNNING: ObservedInstance = toObservedInstance(
  describedInstance(),
  {
    disableApiTermination: { DisableApiTermination: { Value: false } },
    shutdownBehavior: { InstanceInitiatedShutdownBehavior: { Value: 'terminate' } },
  },
  { associationId: 'iip-assoc-1', instanceProfileArn: PROFILE_ARN, state: 'associated' },
);

const READY = {
  vpcId: VPC,
  untrack: { groupId: UNTRACK_SG, vpcId: VPC, purpose: 'untrack' as const, managed: true, ingress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] }], egress: [] },
  isolation: { groupId: ISOLATION_SG, vpcId: VPC, purpose: 'isolation' as const, managed: true, ingress: [], egress: [] },
};

describe('isPlaceholderInstanceId', () => {
  it.each(['i-99999999', 'i-00000000', 'i-99999999999999999'])('flags the sample placeholder %s', (id) => {
    expect(isPlaceholderInstanceId(id)).toBe(true);
  });
  it.each(['i-0abc1234def567890', 'i-1234abcd', 'i-99999998'])('lets the real-looking id %s through', (id) => {
    expect(isPlaceholderInstanceId(id)).toBe(false);
  });
});

describe('isTerminatedState', () => {
  it('treats terminated and shutting-down as gone, stopped and stopping as containable', () => {
    expect(['terminated', 'shutting-down', 'stopped', 'stopping', 'running', 'pending'].map(isTerminatedState)).toEqual([
      true,
      true,
      false,
      false,
      false,
      false,
    ]);
  });
});

describe('toObservedInstance', () => {
  it('reads every ENI with its VPC and groups, primary first, and only EBS mappings as volumes', () => {
    const observed = toObservedInstance(
      {
        ...describedInstance(),
        NetworkInterfaces: [
          { NetworkInterfaceId: ENI_B, Attachment: { DeviceIndex: 1 }, Groups: [{ GroupId: 'sg-b' }] },
          { NetworkInterfaceId: ENI_A, Attachment: { DeviceIndex: 0 }, VpcId: VPC, Groups: [{ GroupId: APP_SG }] },
        ],
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeId: 'vol-1', DeleteOnTermination: true } }, { DeviceName: '/dev/sdz' }],
      },
      {},
      undefined,
    );
    expect(observed.networkInterfaces).toEqual([
      { networkInterfaceId: ENI_A, vpcId: VPC, groupIds: [APP_SG], deviceIndex: 0 },
      { networkInterfaceId: ENI_B, vpcId: VPC, groupIds: ['sg-b'], deviceIndex: 1 },
    ]);
    expect(observed.ebsVolumes).toEqual([{ deviceName: '/dev/xvda', volumeId: 'vol-1', deleteOnTermination: true }]);
    // EC2's defaults when the attribute was not read: protection off, shutdown stop.
    expect([observed.disableApiTermination, observed.shutdownBehavior]).toEqual([false, 'stop']);
  });
});

describe('planEvidence', () => {
  it('asks for every missing protection, and only volumes deleted on termination', () => {
    expect(planEvidence(RUNNING)).toEqual({
      enableTerminationProtection: true,
      setShutdownToStop: true,
      keepVolumes: [{ deviceName: '/dev/xvda', volumeId: 'vol-0root000000000001', deleteOnTermination: true }],
    });
  });
});

describe('eniIsolationStep', () => {
  const groups = { untrackGroupId: UNTRACK_SG, isolationGroupId: ISOLATION_SG };
  it('goes through the untrack group from any other group set', () => {
    expect(eniIsolationStep({ networkInterfaceId: ENI_A, groupIds: [APP_SG] }, groups)).toBe('untrack-then-isolate');
    expect(eniIsolationStep({ networkInterfaceId: ENI_A, groupIds: [APP_SG, ISOLATION_SG] }, groups)).toBe('untrack-then-isolate');
  });
  it('goes straight to isolation from the untrack group, and nowhere once isolated', () => {
    expect(eniIsolationStep({ networkInterfaceId: ENI_A, groupIds: [UNTRACK_SG] }, groups)).toBe('isolate-only');
    expect(eniIsolationStep({ networkInterfaceId: ENI_A, groupIds: [ISOLATION_SG] }, groups)).toBe('isolated');
  });
});

describe('isFullyQuarantined', () => {
  const quarantined: ObservedInstance = {
    ...RUNNING,
    networkInterfaces: RUNNING.networkInterfaces.map((e) => ({ ...e, groupIds: [ISOLATION_SG] })),
    profileAssociation: undefined,
    disableApiTermination: true,
    shutdownBehavior: 'stop',
    ebsVolumes: RUNNING.ebsVolumes.map((v) => ({ ...v, deleteOnTermination: false })),
    tags: { 'firebreak:status': 'quarantined' },
  };
  const vpcGroups = new Map([[VPC, READY]]);
  const options = { detachInstanceProfile: true, revokeRoleSessions: false };

  it('is true only when tag, every ENI, profile and protections all say quarantined', () => {
    expect(isFullyQuarantined(quarantined, vpcGroups, options)).toBe(true);
    expect(isFullyQuarantined({ ...quarantined, tags: {} }, vpcGroups, options)).toBe(false);
    expect(isFullyQuarantined({ ...quarantined, profileAssociation: RUNNING.profileAssociation }, vpcGroups, options)).toBe(false);
    expect(isFullyQuarantined({ ...quarantined, disableApiTermination: false }, vpcGroups, options)).toBe(false);
    const oneOpen = { ...quarantined, networkInterfaces: [quarantined.networkInterfaces[0]!, { ...quarantined.networkInterfaces[1]!, groupIds: [APP_SG] }] };
    expect(isFullyQuarantined(oneOpen, vpcGroups, options)).toBe(false);
  });

  it('ignores the profile when the step keeps it', () => {
    expect(isFullyQuarantined({ ...quarantined, profileAssociation: RUNNING.profileAssociation }, vpcGroups, { ...options, detachInstanceProfile: false })).toBe(true);
  });

  it('is false when the isolation group itself has gained a rule', () => {
    const leaky = new Map([[VPC, { ...READY, isolation: { ...READY.isolation, egress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] } }]]);
    expect(isFullyQuarantined(quarantined, leaky, options)).toBe(false);
  });
});

describe('isolation group rules', () => {
  it('asks only for the all-traffic ingress still missing', () => {
    expect(missingUntrackIngress([])).toMatchObject({ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] });
    expect(missingUntrackIngress([{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }])).toEqual({
      IpProtocol: '-1',
      Ipv6Ranges: [{ CidrIpv6: '::/0', Description: 'Firebreak: all traffic, so that flows become untracked' }],
    });
    expect(missingUntrackIngress(READY.untrack.ingress)).toBeUndefined();
    // A TCP-only rule does not untrack UDP or other protocols.
    expect(missingUntrackIngress([{ IpProtocol: 'tcp', FromPort: 0, ToPort: 65535, IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] }])).toBeDefined();
  });

  it('reduces a described rule to what Revoke matches on', () => {
    expect(
      revocablePermission({
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'x' }],
        Ipv6Ranges: [],
        PrefixListIds: [{ PrefixListId: 'pl-1', Description: 'y' }],
        UserIdGroupPairs: [{ GroupId: 'sg-peer', UserId: ACCOUNT, Description: 'z' }],
      }),
    ).toEqual({
      IpProtocol: 'tcp',
      FromPort: 443,
      ToPort: 443,
      IpRanges: [{ CidrIp: '10.0.0.0/8' }],
      PrefixListIds: [{ PrefixListId: 'pl-1' }],
      UserIdGroupPairs: [{ GroupId: 'sg-peer', UserId: ACCOUNT }],
    });
  });

  it('calls groups ready only when both exist and isolation has no rule', () => {
    expect(groupsReady(READY)).toBe(true);
    expect(groupsReady({ vpcId: VPC, untrack: READY.untrack })).toBe(false);
    expect(groupsReady({ ...READY, isolation: { ...READY.isolation, ingress: [{ IpProtocol: 'tcp' }] } })).toBe(false);
  });
});

describe('credentials helpers', () => {
  it('takes the profile name from the end of a pathed ARN', () => {
    expect(instanceProfileName(PROFILE_ARN)).toBe('web-server');
    expect(instanceProfileName('arn:aws:iam::111122223333:instance-profile/plain')).toBe('plain');
  });

  it('writes the documented deny-older-sessions policy', () => {
    expect(JSON.parse(revokeOlderSessionsPolicy('2026-11-20T10:02:00.000Z'))).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'FirebreakRevokeOlderSessions',
          Effect: 'Deny',
          Action: ['*'],
          Resource: ['*'],
          Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-11-20T10:02:00.000Z' } },
        },
      ],
    });
  });
});

describe('capturePreQuarantineRecord and planRelease', () => {
  const record = capturePreQuarantineRecord(
    { ...RUNNING, tags: { Name: 'web-1', 'firebreak:status': 'released', 'firebreak:released-at': 'before' } },
    { account: ACCOUNT, region: REGION, incidentKey: 'gd-1' },
    '2026-11-20T10:02:00.000Z',
  );

  it('records only the firebreak:* tags', () => {
    expect(record.tags).toEqual({ 'firebreak:status': 'released', 'firebreak:released-at': 'before' });
    expect(record.instanceId).toBe(INSTANCE_ID);
  });

  it('plans nothing but the release markers when the instance is as recorded', () => {
    const plan = planRelease(record, RUNNING, { restoreInstanceProfile: true }, 'now');
    expect(plan).toEqual({
      networkInterfaces: [],
      unchangedInterfaces: [
        { id: ENI_A, why: 'already' },
        { id: ENI_B, why: 'already' },
      ],
      deleteOnTermination: [],
      profile: { action: 'none', outcome: 'already-done', why: `${PROFILE_ARN} is associated already` },
      setTags: { 'firebreak:status': 'released', 'firebreak:released-at': 'now' },
      removeTags: [],
    });
  });

  it('leaves a volume replaced since quarantine alone (another volume on the recorded device)', () => {
    const replaced = { ...RUNNING, ebsVolumes: [{ deviceName: '/dev/xvda', volumeId: 'vol-new', deleteOnTermination: false }] };
    expect(planRelease(record, replaced, { restoreInstanceProfile: true }, 'now').deleteOnTermination).toEqual([]);
  });
});
