/** Game-day events: templates aimed at an instance of the prepared environment, then overridden by path. */
import { describe, expect, it } from 'vitest';
import type { ResolvedEnvironment } from '../../lib/gameday/backend';
import { aimEventAt, buildInjectedEvent, GameDayEventError, loadTemplate, setPath } from '../../lib/gameday/templates';
import { parseEvent } from '../../lib/incident/parse';

const web = {
  name: 'web',
  instanceId: 'i-0123456789abcdef0',
  account: '444455556666',
  region: 'us-west-2',
  vpcId: 'vpc-0aaaaaaaaaaaaaaaa',
  state: 'running',
  instanceType: 't3.micro',
  availabilityZone: 'us-west-2a',
  networkInterfaceIds: ['eni-0bbbbbbbbbbbbbbbb'],
  networkInterfaces: [
    {
      networkInterfaceId: 'eni-0bbbbbbbbbbbbbbbb',
      vpcId: 'vpc-0aaaaaaaaaaaaaaaa',
      subnetId: 'subnet-0cccccccccccccccc',
      privateIp: '10.0.1.10',
      groups: [{ groupId: 'sg-0dddddddddddddddd', name: 'web-tier' }],
    },
  ],
  volumes: [{ volumeId: 'vol-0eeeeeeeeeeeeeeee', device: '/dev/xvda' }],
  tags: { Name: 'web' },
} as const;

const environment: ResolvedEnvironment = {
  account: web.account,
  region: web.region,
  vpcs: { main: web.vpcId },
  securityGroups: { 'web-tier': 'sg-0dddddddddddddddd' },
  instances: { web },
  deployment: {
    account: web.account,
    region: web.region,
    alertTopicArn: `arn:aws:sns:${web.region}:${web.account}:firebreak-alerts`,
    unprocessableEventsQueueUrl: `https://sqs.${web.region}.amazonaws.com/${web.account}/q`,
    recordKeyArn: `arn:aws:kms:${web.region}:${web.account}:key/00000000-0000-4000-8000-000000000000`,
    stateTableName: 'firebreak-state',
  },
};

describe('aimEventAt', () => {
  it('makes a GuardDuty finding name the instance as GuardDuty would: id everywhere, ENIs with groups, no profile, tags, account and region', async () => {
    const event = aimEventAt(await loadTemplate('guardduty-ec2-backdoor-c2activity-multi-eni'), web);
    const incident = parseEvent(event);
    expect(incident).toMatchObject({
      account: '444455556666',
      region: 'us-west-2',
      resource: {
        kind: 'ec2-instance',
        instanceId: 'i-0123456789abcdef0',
        networkInterfaces: [
          { networkInterfaceId: 'eni-0bbbbbbbbbbbbbbbb', vpcId: 'vpc-0aaaaaaaaaaaaaaaa', securityGroups: [{ groupId: 'sg-0dddddddddddddddd', groupName: 'web-tier' }] },
        ],
        tags: { Name: 'web' },
      },
    });
    expect(JSON.stringify(event)).not.toContain('i-0a1b2c3d4e5f60718');
    expect(incident.title).toContain('i-0123456789abcdef0');
  });

  it("points a CloudWatch alarm's InstanceId dimension at the instance", async () => {
    const incident = parseEvent(aimEventAt(await loadTemplate('gameday-cloudwatch-alarm-ec2-cpu'), web));
    expect(incident.resource).toMatchObject({ kind: 'ec2-instance', instanceId: 'i-0123456789abcdef0' });
  });
});

describe('setPath and references', () => {
  it('sets nested values, indexing lists by number and creating objects on the way', () => {
    const event: Record<string, unknown> = { detail: { list: [{ a: 1 }] } };
    setPath(event, 'detail.list.0.a', 2);
    setPath(event, 'detail.service.additionalInfo.sample', true);
    expect(event).toEqual({ detail: { list: [{ a: 2 }], service: { additionalInfo: { sample: true } } } });
    expect(() => setPath({ detail: 'text' }, 'detail.type', 'x')).toThrow(GameDayEventError);
  });

  it('resolves ${…} references against the prepared environment, whole values keeping their type', async () => {
    const event = (await buildInjectedEvent(
      { event: { detail: {} }, set: { 'detail.id': '${instances.web.instanceId}', 'detail.title': 'probe on ${instances.web.instanceId}', 'detail.enis': '${instances.web.networkInterfaceIds}' } },
      environment,
    )) as { detail: Record<string, unknown> };
    expect(event.detail).toEqual({ id: 'i-0123456789abcdef0', title: 'probe on i-0123456789abcdef0', enis: ['eni-0bbbbbbbbbbbbbbbb'] });
    await expect(buildInjectedEvent({ event: {}, set: { x: '${instances.db.instanceId}' } }, environment)).rejects.toThrow("refers to nothing in the prepared environment (at 'db')");
  });

  it('delivers raw text as it is (the unparseable case)', async () => {
    expect(await buildInjectedEvent({ raw: 'not an event', set: {} }, environment)).toBe('not an event');
  });
});
