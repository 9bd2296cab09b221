/** Builders for incidents in tests: a realistic default, overridden per case. */
import type { Ec2InstanceResource, Incident } from '../../lib/incident/model';

export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';
export const INSTANCE_ID = 'i-0abc1234def567890';

export function ec2Resource(overrides: Partial<Ec2InstanceResource> = {}): Ec2InstanceResource {
  return {
    kind: 'ec2-instance',
    instanceId: INSTANCE_ID,
    availabilityZone: `${REGION}a`,
    instanceType: 'm5.large',
    networkInterfaces: [
      {
        networkInterfaceId: 'eni-0aaa1111bbbb2222c',
        privateIpAddress: '10.0.1.10',
        subnetId: 'subnet-0123456789abcdef0',
        vpcId: 'vpc-0123456789abcdef0',
        securityGroups: [{ groupId: 'sg-0a0a000000000000a', groupName: 'app' }],
      },
    ],
    tags: { Name: 'web-1' },
    ...overrides,
  };
}

export function ec2Incident(overrides: Partial<Incident> = {}): Incident {
  return {
    key: 'gd-7ab9d1b3c0e24f8a9e0d1c2b3a4f5e6d',
    revision: '2026-11-20T10:00:00.000Z#1',
    source: 'guardduty',
    findingType: 'Backdoor:EC2/C&CActivity.B!DNS',
    title: 'EC2 instance i-0abc1234def567890 is querying a domain name associated with a known command and control server.',
    severity: { score: 8, label: 'High' },
    account: ACCOUNT,
    region: REGION,
    resource: ec2Resource(),
    sample: false,
    gameDay: false,
    times: {
      created: '2026-11-20T09:55:00.000Z',
      updated: '2026-11-20T10:00:00.000Z',
      received: '2026-11-20T10:01:00.000Z',
    },
    guardDuty: {
      findingId: '7ab9d1b3c0e24f8a9e0d1c2b3a4f5e6d',
      arn: `arn:aws:guardduty:${REGION}:${ACCOUNT}:detector/12abc34d567e8fa901bc2d34e56789f0/finding/7ab9d1b3c0e24f8a9e0d1c2b3a4f5e6d`,
      detectorId: '12abc34d567e8fa901bc2d34e56789f0',
      count: 1,
      resourceRole: 'TARGET',
      actionType: 'DNS_REQUEST',
      remoteIndicators: ['guarddutyc2activityb.com'],
    },
    ...overrides,
  };
}

/** A game-day drill as the parser reads one (source firebreak.gameday): `gameDay` and its `gameday-` key together. */
export function drillIncident(overrides: Partial<Incident> = {}): Incident {
  const real = ec2Incident();
  return ec2Incident({ key: `gameday-${real.key}`, gameDay: true, ...overrides });
}
