import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LIVE_TEMPLATES, LIVE_TEMPLATE_NAMES, findLiveTemplate } from '../../../lib/gameday/live/catalogue';
import type { LiveTemplate } from '../../../lib/gameday/live/catalogue';
import { LiveSetupError } from '../../../lib/operator/errors';
import { GAMEDAY_DETECTOR_ID, buildInjection, checkFindingType, gameDayAlarmName } from '../../../lib/gameday/live/injection';
import type { DescribedInstance, InjectionBus, InjectionIds, InjectionTarget } from '../../../lib/gameday/live/injection';
import { executionNameFor, parseEvent } from '../../../lib/incident/parse';
import { loadPlaybookDirectory } from '../../../lib/playbooks/loader';
import type { Playbook } from '../../../lib/playbooks/model';
import { routingTableFor } from '../../../lib/playbooks/routing';
import { triage } from '../../../lib/playbooks/triage';

const NOW = new Date('2026-11-20T10:15:30.250Z');
const FINDING_ID = '9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const EVENT_ID = '0b6f4e2a-3c1d-4e5f-8a9b-7c6d5e4f3a2b';
const ids = (overrides: Partial<InjectionIds> = {}): InjectionIds => ({ findingId: FINDING_ID, eventId: EVENT_ID, now: NOW, ...overrides });
const target: InjectionTarget = { instanceId: 'i-0123456789abcdef0', account: '111122223333', region: 'eu-west-1', partition: 'aws' };
const bus: InjectionBus = { account: '111122223333', region: 'eu-west-1', eventBusName: 'default' };

const described: DescribedInstance = {
  instanceType: 't3.small',
  availabilityZone: 'eu-west-1a',
  imageId: 'ami-0a8e758f5e873d1c1',
  state: 'running',
  launchTime: '2026-11-01T08:00:00.000Z',
  instanceProfile: { arn: 'arn:aws:iam::111122223333:instance-profile/web-app-profile', id: 'AIPAQ3EGRW6J5EXAMPLE' },
  networkInterfaces: [
    {
      networkInterfaceId: 'eni-0f1e2d3c4b5a69788',
      privateIpAddress: '10.20.1.15',
      publicIp: '34.245.10.22',
      subnetId: 'subnet-0aa11bb22cc33dd44',
      vpcId: 'vpc-0123abcd4567ef890',
      securityGroups: [
        { groupId: 'sg-0a1a2b3c4d5e6f708', groupName: 'web-tier' },
        { groupId: 'sg-0b2b3c4d5e6f70819', groupName: 'monitoring-agents' },
      ],
    },
    {
      networkInterfaceId: 'eni-0a9b8c7d6e5f40312',
      privateIpAddress: '10.20.2.31',
      subnetId: 'subnet-0ee55ff66aa77bb88',
      vpcId: 'vpc-0123abcd4567ef890',
      securityGroups: [{ groupId: 'sg-0c3c4d5e6f7081920', groupName: 'data-replication' }],
    },
  ],
  tags: { Name: 'web-1', Environment: 'staging' },
};

function template(name: string): LiveTemplate {
  const found = findLiveTemplate(name);
  if (!found) throw new Error(`no template ${name}`);
  return found;
}

let playbooks: Playbook[];
beforeAll(async () => {
  playbooks = await loadPlaybookDirectory(path.resolve(import.meta.dirname, '../../../playbooks'));
});

function routeWithShippedPlaybooks(event: unknown) {
  return triage(parseEvent(event, { receivedAt: NOW }), routingTableFor(playbooks, { forceDryRun: false }));
}

describe('the live template catalogue', () => {
  it('has unique names and starts with the default, backdoor-c2', () => {
    expect(new Set(LIVE_TEMPLATE_NAMES).size).toBe(LIVE_TEMPLATE_NAMES.length);
    expect(LIVE_TEMPLATE_NAMES[0]).toBe('backdoor-c2');
    expect(LIVE_TEMPLATE_NAMES).toEqual(
      expect.arrayContaining(['backdoor-c2', 'cryptocurrency', 'ssh-brute-force-actor', 'recon-port-probe', 'cpu-alarm']),
    );
  });

  it('names only finding types GuardDuty really raises', () => {
    for (const entry of LIVE_TEMPLATES) if (entry.kind === 'guardduty') expect(() => checkFindingType(entry.findingType)).not.toThrow();
  });

  it.each(LIVE_TEMPLATES.map((entry) => [entry.name, entry.expectedPlaybook] as const))(
    '%s starts %s with the shipped playbooks, in enforce, about the named instance',
    (name, expectedPlaybook) => {
      const injection = buildInjection(template(name), target, bus, ids());
      const decision = routeWithShippedPlaybooks(injection.event);

      expect(decision.outcome).toBe('start-playbook');
      expect(decision.playbook).toBe(expectedPlaybook);
      expect(decision.mode).toBe('enforce');
      expect(decision.executionName).toBe(injection.executionName);
      expect(injection.incident.gameDay).toBe(true);
      expect(injection.incident.sample).toBe(false);
      expect(injection.incident.resource).toMatchObject({ kind: 'ec2-instance', instanceId: 'i-0123456789abcdef0' });
    },
  );

  it('uses only documentation IP ranges for the remote side, so an alert never points at a real host', () => {
    for (const entry of LIVE_TEMPLATES) {
      const detail = buildInjection(entry, target, bus, ids()).entry.Detail;
      const ips = detail.match(/\b\d{1,3}(?:\.\d{1,3}){3}\b/g) ?? [];
      for (const ip of ips) expect(ip).toMatch(/^(192\.0\.2|198\.51\.100|203\.0\.113)\./);
    }
  });
});

describe('buildInjection', () => {
  it('builds the PutEvents entry: source firebreak.gameday, detail-type GuardDuty Finding, the default bus, the time in whole seconds', () => {
    const injection = buildInjection(template('backdoor-c2'), target, bus, ids());

    expect(injection.entry).toEqual({
      Source: 'firebreak.gameday',
      DetailType: 'GuardDuty Finding',
      Detail: JSON.stringify(injection.event.detail),
      Resources: [],
      Time: new Date('2026-11-20T10:15:30.000Z'),
      EventBusName: 'default',
    });
    expect(injection.event).toMatchObject({
      version: '0',
      id: EVENT_ID,
      'detail-type': 'GuardDuty Finding',
      source: 'firebreak.gameday',
      account: '111122223333',
      time: '2026-11-20T10:15:30Z',
      region: 'eu-west-1',
      resources: [],
    });
  });

  it('writes a finding in GuardDuty camelCase with a fresh id, createdAt and updatedAt of now, count 1', () => {
    const detail = buildInjection(template('backdoor-c2'), target, bus, ids()).event.detail;

    expect(detail).toMatchObject({
      schemaVersion: '2.0',
      accountId: '111122223333',
      region: 'eu-west-1',
      partition: 'aws',
      id: FINDING_ID,
      arn: `arn:aws:guardduty:eu-west-1:111122223333:detector/${GAMEDAY_DETECTOR_ID}/finding/${FINDING_ID}`,
      type: 'Backdoor:EC2/C&CActivity.B',
      resource: { resourceType: 'Instance', instanceDetails: { instanceId: 'i-0123456789abcdef0' } },
      service: { serviceName: 'guardduty', resourceRole: 'TARGET', count: 1, archived: false, additionalInfo: { value: '{}', type: 'default' } },
      severity: 8,
      createdAt: '2026-11-20T10:15:30.250Z',
      updatedAt: '2026-11-20T10:15:30.250Z',
      title: 'EC2 instance i-0123456789abcdef0 is communicating with a known command and control server.',
    });
  });

  it('gives the execution name the parser derives from the delivered event (gameday-gd-<finding id>-<revision hash>: the game-day namespace)', () => {
    const injection = buildInjection(template('cryptocurrency'), target, bus, ids());

    expect(injection.executionName).toBe(executionNameFor(parseEvent(injection.event)));
    expect(injection.executionName).toMatch(new RegExp(`^gameday-gd-${FINDING_ID}-[0-9a-f]{12}$`));
  });

  it('gives a new execution name to every injection: a new finding id or a new updatedAt is enough', () => {
    const first = buildInjection(template('backdoor-c2'), target, bus, ids());
    const otherId = buildInjection(template('backdoor-c2'), target, bus, ids({ findingId: 'aaaabbbbccccddddeeeeffff00001111' }));
    const later = buildInjection(template('backdoor-c2'), target, bus, ids({ now: new Date(NOW.getTime() + 1) }));
    const same = buildInjection(template('backdoor-c2'), target, bus, ids());

    expect(new Set([first.executionName, otherId.executionName, later.executionName]).size).toBe(3);
    expect(same.executionName).toBe(first.executionName);
  });

  it('fills ENIs, VPC, groups, public IP, profile and tags from --describe, and the local IP of the connection', () => {
    const injection = buildInjection(template('backdoor-c2'), { ...target, described }, bus, ids());
    const resource = injection.incident.resource;

    expect(resource).toMatchObject({
      kind: 'ec2-instance',
      instanceId: 'i-0123456789abcdef0',
      instanceType: 't3.small',
      availabilityZone: 'eu-west-1a',
      instanceProfileArn: 'arn:aws:iam::111122223333:instance-profile/web-app-profile',
      tags: { Name: 'web-1', Environment: 'staging' },
    });
    expect(resource.kind === 'ec2-instance' ? resource.networkInterfaces : []).toEqual([
      {
        networkInterfaceId: 'eni-0f1e2d3c4b5a69788',
        privateIpAddress: '10.20.1.15',
        publicIp: '34.245.10.22',
        subnetId: 'subnet-0aa11bb22cc33dd44',
        vpcId: 'vpc-0123abcd4567ef890',
        securityGroups: [
          { groupId: 'sg-0a1a2b3c4d5e6f708', groupName: 'web-tier' },
          { groupId: 'sg-0b2b3c4d5e6f70819', groupName: 'monitoring-agents' },
        ],
      },
      {
        networkInterfaceId: 'eni-0a9b8c7d6e5f40312',
        privateIpAddress: '10.20.2.31',
        subnetId: 'subnet-0ee55ff66aa77bb88',
        vpcId: 'vpc-0123abcd4567ef890',
        securityGroups: [{ groupId: 'sg-0c3c4d5e6f7081920', groupName: 'data-replication' }],
      },
    ]);
    expect(JSON.parse(injection.entry.Detail)).toMatchObject({
      service: { action: { networkConnectionAction: { localIpDetails: { ipAddressV4: '10.20.1.15' } } } },
    });
  });

  it('keeps the finding to the instance id without --describe (the responders describe the instance themselves)', () => {
    const detail = JSON.parse(buildInjection(template('backdoor-c2'), target, bus, ids()).entry.Detail) as {
      resource: unknown;
      service: { action: { networkConnectionAction: Record<string, unknown> } };
    };

    expect(detail.resource).toEqual({ resourceType: 'Instance', instanceDetails: { instanceId: 'i-0123456789abcdef0' } });
    expect(detail.service.action.networkConnectionAction).not.toHaveProperty('localIpDetails');
  });

  it("puts a member account's finding on the security account's bus: the finding names the member account", () => {
    const injection = buildInjection(template('backdoor-c2'), { ...target, account: '444455556666' }, bus, ids());

    expect(injection.event.account).toBe('111122223333');
    expect(injection.incident.account).toBe('444455556666');
  });

  it('types instance-credential exfiltration as AccessKey with the instance details, as GuardDuty does', () => {
    const injection = buildInjection(template('credential-exfiltration'), { ...target, described }, bus, ids());

    expect(JSON.parse(injection.entry.Detail)).toMatchObject({
      resource: { resourceType: 'AccessKey', accessKeyDetails: { userName: 'web-app-profile', userType: 'AssumedRole' }, instanceDetails: { instanceId: target.instanceId } },
    });
    expect(injection.incident.resource.kind).toBe('ec2-instance');
  });

  it('overrides the severity and the finding type', () => {
    const injection = buildInjection(template('backdoor-c2'), target, bus, ids(), { severity: 5.5, findingType: 'Trojan:EC2/DropPoint' });

    expect(injection.incident.severity).toEqual({ score: 5.5, label: 'Medium' });
    expect(injection.incident.findingType).toBe('Trojan:EC2/DropPoint');
  });

  it('refuses an unknown --type with the closest known one', () => {
    expect(() => buildInjection(template('backdoor-c2'), target, bus, ids(), { findingType: 'Backdor:EC2/C&CActivity.B' })).toThrow(
      new LiveSetupError(
        "--type Backdor:EC2/C&CActivity.B is not a GuardDuty finding type (did you mean 'Backdoor:EC2/C&CActivity.B'?); the types are listed at https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-active.html",
      ),
    );
  });

  it('refuses a severity outside 1.0–10.0, and accepts both ends', () => {
    expect(() => buildInjection(template('backdoor-c2'), target, bus, ids(), { severity: 10.5 })).toThrow(/outside GuardDuty's scale/);
    expect(() => buildInjection(template('backdoor-c2'), target, bus, ids(), { severity: 0.5 })).toThrow(LiveSetupError);
    expect(buildInjection(template('backdoor-c2'), target, bus, ids(), { severity: 1 }).incident.severity.score).toBe(1);
    expect(buildInjection(template('backdoor-c2'), target, bus, ids(), { severity: 10 }).incident.severity.score).toBe(10);
  });
});

describe('buildInjection of an alarm template', () => {
  it('puts a CloudWatch Alarm State Change OK → ALARM on the InstanceId dimension, with the alarm ARN as resource', () => {
    const alarm = template('cpu-alarm');
    const injection = buildInjection(alarm, target, bus, ids());
    const name = alarm.kind === 'cloudwatch' ? gameDayAlarmName(alarm, target.instanceId) : '';

    expect(name).toBe('firebreak-gameday-cpuutilization-i-0123456789abcdef0');
    expect(injection.entry).toMatchObject({
      Source: 'firebreak.gameday',
      DetailType: 'CloudWatch Alarm State Change',
      Resources: [`arn:aws:cloudwatch:eu-west-1:111122223333:alarm:${name}`],
    });
    expect(injection.incident.alarm).toMatchObject({ alarmName: name, state: 'ALARM', previousState: 'OK', kind: 'metric' });
    expect(injection.incident.resource).toMatchObject({ kind: 'ec2-instance', instanceId: target.instanceId });
  });

  it('gives a new execution name per injection (the state time is the revision)', () => {
    const first = buildInjection(template('cpu-alarm'), target, bus, ids());
    const later = buildInjection(template('cpu-alarm'), target, bus, ids({ now: new Date(NOW.getTime() + 1000) }));

    expect(first.executionName).not.toBe(later.executionName);
  });

  it('refuses --severity and --type, which only GuardDuty findings have', () => {
    expect(() => buildInjection(template('cpu-alarm'), target, bus, ids(), { severity: 8, findingType: 'Trojan:EC2/DropPoint' })).toThrow(
      new LiveSetupError('--severity and --type apply to GuardDuty templates only; cpu-alarm is a CloudWatch alarm'),
    );
  });

  it("refuses an instance of another account: EventBridge stamps the bus's account on the event", () => {
    expect(() => buildInjection(template('cpu-alarm'), { ...target, account: '444455556666' }, bus, ids())).toThrow(
      /alarm templates can only aim at instances in the stack's own account/,
    );
  });
});
