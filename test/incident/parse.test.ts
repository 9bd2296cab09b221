import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isGameDayIncident } from '../../lib/responders/game-day';
import { parseEvent, parseEventJson, parseEvents } from '../../lib/incident/parse';
import type { Ec2InstanceResource, Incident } from '../../lib/incident/model';
import {
  OWN_EVENT_DIRS,
  HAS_SHARED_EVENTS,
  SHARED_EVENTS_DIR,
  clone,
  eventFiles,
  fieldAt,
  fixtureEvent,
  sharedEvent,
  toPascalCase,
  withField,
} from './events';

const receivedAt = new Date('2026-04-01T12:00:00.000Z');
const RECEIVED = '2026-04-01T12:00:00.000Z';
const parse = (event: unknown): Incident => parseEvent(event, { receivedAt });

function ec2(incident: Incident): Ec2InstanceResource {
  if (incident.resource.kind !== 'ec2-instance') throw new Error(`expected an ec2-instance resource, got ${incident.resource.kind}`);
  return incident.resource;
}

describe.runIf(HAS_SHARED_EVENTS)('parseEvent over the published events in ../shared/events', () => {
  it('parses every one of them', () => {
    const files = eventFiles(SHARED_EVENTS_DIR);
    expect(files.length).toBeGreaterThanOrEqual(9);
    for (const file of files) expect(() => parse(sharedEvent(file)), file).not.toThrow();
  });

  it('reads the Cloud Custodian backdoor sample as a sample on placeholder instance i-99999999, tolerating its extra "debug" key', () => {
    const incident = parse(sharedEvent('guardduty-ec2-backdoor-c2-dns-sample.json'));
    expect(incident).toEqual({
      key: 'gd-b4b01b60fc24a199139f8f5f490edd81',
      revision: '2017-12-08T15:32:49.865Z#1',
      source: 'guardduty',
      findingType: 'Backdoor:EC2/C&CActivity.B!DNS',
      title: 'Command and Control server domain name queried by EC2 instance i-99999999.',
      description: 'EC2 instance i-99999999 is querying a domain name associated with a known Command & Control server.',
      severity: { score: 5, label: 'Medium' },
      // detail.accountId wins over the envelope's account (101010101111).
      account: '883606788610',
      region: 'us-east-1',
      resource: { kind: 'ec2-instance', instanceId: 'i-99999999', networkInterfaces: [], tags: {} },
      sample: true,
      gameDay: false,
      times: { created: '2017-12-08T15:32:49.865Z', updated: '2017-12-08T15:32:49.865Z', received: RECEIVED },
      guardDuty: {
        findingId: 'b4b01b60fc24a199139f8f5f490edd81',
        arn: 'arn:aws:guardduty:us-east-1:883606788610:detector/883606788610/finding/b4b01b60fc24a199139f8f5f490edd81',
        detectorId: 'c0b018e3eb2130078632d999e41d4f02',
        count: 1,
        resourceRole: 'TARGET',
        actionType: 'DNS_REQUEST',
        remoteIndicators: ['example.com'],
        // Issue 11: the queried domain as its own field (block-dns-domain checks it before use).
        dnsDomain: 'example.com',
        archived: false,
      },
    });
  });

  it('reads the IAM TorIPCaller sample as an access-key incident flagged sample', () => {
    const incident = parse(sharedEvent('guardduty-iam-accesskey-tor-ipcaller-sample.json'));
    expect(incident.key).toBe('gd-36b01b60fc22bb4edb19d62d9899e953');
    expect(incident.findingType).toBe('UnauthorizedAccess:IAMUser/TorIPCaller');
    expect(incident.sample).toBe(true);
    expect(incident.resource).toEqual({
      kind: 'access-key',
      accessKeyId: 'GeneratedFindingAccessKeyId',
      userName: 'GeneratedFindingUserName',
      userType: 'IAMUser',
      principalId: 'GeneratedFindingPrincipalId',
    });
    expect(incident.guardDuty?.actionType).toBe('AWS_API_CALL');
    expect(incident.guardDuty?.remoteIndicators).toEqual(['198.51.100.0']);
  });

  it('keeps the lab CryptoCurrency event whose times were redacted, with the redacted text in the revision and the received time as its clock', () => {
    const incident = parse(sharedEvent('guardduty-ec2-cryptocurrency-bitcointool-dns.json'));
    expect(incident.key).toBe('gd-92c1a1d65b221e96d6a6fae27aaaae43');
    expect(incident.revision).toBe('XXXX-XX-XXTXX:XX:XXZ#278');
    expect(incident.times).toEqual({ created: RECEIVED, updated: RECEIVED, received: RECEIVED });
    expect(incident.severity).toEqual({ score: 8, label: 'High' });
    expect(incident.sample).toBe(false);
    expect(incident.guardDuty).toMatchObject({ count: 278, actionType: 'DNS_REQUEST', remoteIndicators: ['pool.minergate.com'] });
    // `iamInstanceProfile: null` leaves the profile out rather than failing.
    expect(incident.resource).toEqual({
      kind: 'ec2-instance',
      instanceId: 'i-00aa97663294ffbbd',
      availabilityZone: 'us-east-1c',
      instanceType: 't2.nano',
      imageId: 'ami-02538f8925e3aa27a',
      instanceState: 'running',
      networkInterfaces: [
        {
          networkInterfaceId: 'eni-0b2a816e2859d3b70',
          privateIpAddress: '172.31.32.167',
          publicIp: '3.81.58.153',
          subnetId: 'subnet-19324346',
          vpcId: 'vpc-dd59d8a0',
          securityGroups: [{ groupId: 'sg-2f266b2f', groupName: 'default' }],
        },
      ],
      tags: {},
    });
  });

  it('reads the port probe with two groups on one ENI, both probing IPs and the epoch-millisecond launchTime', () => {
    const incident = parse(sharedEvent('guardduty-ec2-recon-portprobe-unprotected-port.json'));
    expect(incident.key).toBe('gd-c0b069a09b9f39764cf3d9e44251e079');
    expect(incident.severity).toEqual({ score: 2, label: 'Low' });
    expect(incident.account).toBe('726064622671');
    expect(ec2(incident)).toEqual({
      kind: 'ec2-instance',
      instanceId: 'i-036cb01d26bb09166',
      availabilityZone: 'us-east-1b',
      instanceType: 't2.micro',
      imageId: 'ami-3181d827',
      instanceState: 'running',
      instanceProfileArn: 'arn:aws:iam::726064622671:instance-profile/SimpleCloudBuilderRole',
      networkInterfaces: [
        {
          privateIpAddress: '10.0.0.128',
          publicIp: '54.91.89.220',
          subnetId: 'subnet-1b900f30',
          vpcId: 'vpc-76181913',
          securityGroups: [
            { groupId: 'sg-a534fcd9', groupName: 'wellarchitected-framework-security-group' },
            { groupId: 'sg-f736fe8b', groupName: 'stackarmor-access-group' },
          ],
        },
      ],
      tags: { Name: 'stackarmor Tools' },
    });
    expect(incident.guardDuty).toMatchObject({ actionType: 'PORT_PROBE', remoteIndicators: ['221.132.75.236', '71.6.167.142'] });
  });

  it('reads the inbound SSH brute force with its direction, count and attacker', () => {
    const incident = parse(sharedEvent('guardduty-ec2-ssh-bruteforce-inbound.json'));
    expect(incident.key).toBe('gd-70b7e42a3241b4c73d8d8cf7b1781f7e');
    expect(incident.revision).toBe('2018-08-26T14:17:23.000Z#3');
    expect(incident.guardDuty).toEqual({
      findingId: '70b7e42a3241b4c73d8d8cf7b1781f7e',
      arn: 'arn:aws:guardduty:us-east-1:123456789012:detector/6eb7d75a6563c71411485bf5e38adb2f/finding/70b7e42a3241b4c73d8d8cf7b1781f7e',
      detectorId: '6eb7d75a6563c71411485bf5e38adb2f',
      count: 3,
      resourceRole: 'TARGET',
      actionType: 'NETWORK_CONNECTION',
      connectionDirection: 'INBOUND',
      remoteIndicators: ['151.80.19.228'],
      archived: false,
    });
    expect(ec2(incident).instanceProfileArn).toBe('arn:aws:iam::123456789012:instance-profile/EC2Dev');
    expect(ec2(incident).tags).toEqual({ tag1: 'val1' });
  });

  it('reads the aws-cli GetFindings example (PascalCase, Asn as a string)', () => {
    const incident = parse(sharedEvent('guardduty-getfindings-pascalcase-recon-iamuser-userpermissions.json'));
    expect(incident).toEqual({
      key: 'gd-1ab92989eaf0e742df4a014d5example',
      revision: '2020-05-26T22:55:21.703Z#5',
      source: 'guardduty',
      findingType: 'Recon:IAMUser/UserPermissions',
      title: 'Unusual user permission reconnaissance activity by testuser.',
      description:
        'APIs commonly used to discover the users, groups, policies and permissions in an account, was invoked by IAM principal testuser under unusual circumstances. Such activity is not typically seen from this principal.',
      severity: { score: 5, label: 'Medium' },
      account: '111122223333',
      region: 'us-east-1',
      resource: {
        kind: 'access-key',
        accessKeyId: 'ASIASZ4SI7REEEXAMPLE',
        userName: 'testuser',
        userType: 'IAMUser',
        principalId: 'AIDACKCEVSQ6C2EXAMPLE',
      },
      sample: false,
      gameDay: false,
      times: { created: '2020-05-26T22:21:48.385Z', updated: '2020-05-26T22:55:21.703Z', received: RECEIVED },
      guardDuty: {
        findingId: '1ab92989eaf0e742df4a014d5example',
        arn: 'arn:aws:guardduty:us-east-1:111122223333:detector/d4b040365221be2b54a6264dcexample/finding/1ab92989eaf0e742df4a014d5example',
        detectorId: 'd4b040365221be2b54a6264dcexample',
        count: 5,
        resourceRole: 'TARGET',
        actionType: 'AWS_API_CALL',
        remoteIndicators: ['52.94.36.7'],
        archived: false,
      },
    });
  });

  it('reads the single-metric CPU alarm (OK → ALARM) as a Medium incident on instance i-12345678901234567', () => {
    const incident = parse(sharedEvent('cloudwatch-alarm-ec2-cpu.json'));
    expect(incident).toEqual({
      key: 'cw-3d759ad61d9ea5a1-20191002T170440Z',
      revision: '2019-10-02T17:04:40.989Z',
      source: 'cloudwatch',
      findingType: 'CloudWatch:Alarm/ALARM',
      title: 'CloudWatch alarm "ServerCpuTooHigh" is ALARM',
      description:
        'Threshold Crossed: 1 out of the last 1 datapoints [99.50160229693434 (02/10/19 16:59:00)] was greater than the threshold (50.0) (minimum 1 datapoint for OK -> ALARM transition).',
      severity: { score: 5, label: 'Medium' },
      account: '123456789012',
      region: 'us-east-1',
      resource: { kind: 'ec2-instance', instanceId: 'i-12345678901234567', networkInterfaces: [], tags: {} },
      sample: false,
      gameDay: false,
      times: { created: '2019-10-02T17:04:40.989Z', updated: '2019-10-02T17:04:40.989Z', received: RECEIVED },
      alarm: {
        alarmName: 'ServerCpuTooHigh',
        alarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh',
        kind: 'metric',
        state: 'ALARM',
        previousState: 'OK',
        reason:
          'Threshold Crossed: 1 out of the last 1 datapoints [99.50160229693434 (02/10/19 16:59:00)] was greater than the threshold (50.0) (minimum 1 datapoint for OK -> ALARM transition).',
        stateChangedAt: '2019-10-02T17:04:40.989Z',
        metrics: [{ namespace: 'AWS/EC2', metricName: 'CPUUtilization', dimensions: { InstanceId: 'i-12345678901234567' } }],
      },
    });
  });

  it('reads the metric-math alarm (INSUFFICIENT_DATA → ALARM) with both metricStat inputs and their instance', () => {
    const incident = parse(sharedEvent('cloudwatch-alarm-metric-math-ec2-network.json'));
    expect(incident.key).toBe('cw-23809336b1d6d766-20191002T172048Z');
    expect(incident.alarm).toMatchObject({
      kind: 'metric-math',
      state: 'ALARM',
      previousState: 'INSUFFICIENT_DATA',
      metrics: [
        { namespace: 'AWS/EC2', metricName: 'NetworkIn', dimensions: { InstanceId: 'i-12345678901234567' } },
        { namespace: 'AWS/EC2', metricName: 'NetworkOut', dimensions: { InstanceId: 'i-12345678901234567' } },
      ],
    });
    expect(incident.resource).toEqual({ kind: 'ec2-instance', instanceId: 'i-12345678901234567', networkInterfaces: [], tags: {} });
  });

  // Review of session 15: only the first InstanceId was read, so a fleet's alarm named (and the
  // instance-alarm playbook would have acted on) whichever instance came first.
  it('gives a metric-math alarm over two instances no single instance: it does not say which is wrong', () => {
    const incident = parse(fixtureEvent('cloudwatch-alarm-metric-math-two-instances.json'));
    expect(incident.alarm?.metrics.map((metric) => metric.dimensions.InstanceId)).toEqual(['i-0aaaa1111bbbb2222', 'i-0cccc3333dddd4444']);
    expect(incident.resource).toEqual({ kind: 'none' });
    const same = clone(fixtureEvent('cloudwatch-alarm-metric-math-two-instances.json')) as { detail: { configuration: { metrics: { metricStat?: { metric: { dimensions: Record<string, string> } } }[] } } };
    same.detail.configuration.metrics[2]!.metricStat!.metric.dimensions.InstanceId = 'i-0aaaa1111bbbb2222';
    expect(parse(same).resource).toEqual({ kind: 'ec2-instance', instanceId: 'i-0aaaa1111bbbb2222', networkInterfaces: [], tags: {} });
  });

  it('reads the composite alarm with its rule, no metrics and no resource', () => {
    const incident = parse(sharedEvent('cloudwatch-alarm-composite-suppressor.json'));
    expect(incident.key).toBe('cw-f21a6d02b3df29a8-20220722T155745Z');
    expect(incident.revision).toBe('2022-07-22T15:57:45.394Z');
    expect(incident.resource).toEqual({ kind: 'none' });
    expect(incident.alarm).toEqual({
      alarmName: 'ServiceAggregatedAlarm',
      alarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServiceAggregatedAlarm',
      kind: 'composite',
      state: 'ALARM',
      previousState: 'OK',
      reason:
        'arn:aws:cloudwatch:us-east-1:123456789012:alarm:SuppressionDemo.EventBridge.FirstChild transitioned to ALARM at Friday 22 July, 2022 15:57:45 UTC',
      stateChangedAt: '2022-07-22T15:57:45.394Z',
      metrics: [],
      alarmRule: 'ALARM(ServerCpuTooHigh) OR ALARM(TotalNetworkTrafficTooHigh)',
    });
  });
});

describe('parseEvent over our own events (playbooks/events and test/fixtures/events)', () => {
  it('parses every fixture (parseEvents for the GetFindings ones)', () => {
    for (const file of OWN_EVENT_DIRS.flatMap(eventFiles)) {
      expect(parseEvents(fixtureEvent(file), { receivedAt }).length, file).toBeGreaterThanOrEqual(1);
    }
  });

  it('keeps every ENI of a multi-ENI instance with each of its security groups, not only the primary one', () => {
    const incident = parse(fixtureEvent('guardduty-ec2-backdoor-c2activity-multi-eni.json'));
    expect(incident.key).toBe('gd-4ec5f3a1b2d94e8f9a0b1c2d3e4f5a6b');
    expect(incident.revision).toBe('2025-01-02T10:47:05.912Z#4');
    expect(incident.findingType).toBe('Backdoor:EC2/C&CActivity.B');
    expect(incident.severity).toEqual({ score: 8, label: 'High' });
    expect(incident.account).toBe('111122223333');
    expect(incident.region).toBe('eu-west-1');
    expect(ec2(incident)).toEqual({
      kind: 'ec2-instance',
      instanceId: 'i-0a1b2c3d4e5f60718',
      availabilityZone: 'eu-west-1b',
      instanceType: 'm5.xlarge',
      imageId: 'ami-0a8e758f5e873d1c1',
      instanceState: 'running',
      instanceProfileArn: 'arn:aws:iam::111122223333:instance-profile/web-app-profile',
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
      tags: { Name: 'web-1', Environment: 'production', Team: 'payments' },
    });
    expect(incident.guardDuty).toEqual({
      findingId: '4ec5f3a1b2d94e8f9a0b1c2d3e4f5a6b',
      arn: 'arn:aws:guardduty:eu-west-1:111122223333:detector/12abc34d567e8fa901bc2d34e56789f0/finding/4ec5f3a1b2d94e8f9a0b1c2d3e4f5a6b',
      detectorId: '12abc34d567e8fa901bc2d34e56789f0',
      count: 4,
      resourceRole: 'TARGET',
      actionType: 'NETWORK_CONNECTION',
      connectionDirection: 'OUTBOUND',
      remoteIndicators: ['198.51.100.23'],
      archived: false,
    });
    expect(incident.times).toEqual({ created: '2025-01-02T09:12:40.377Z', updated: '2025-01-02T10:47:05.912Z', received: RECEIVED });
    expect(incident.sample).toBe(false);
    expect(incident.gameDay).toBe(false);
  });

  it("takes a member account's finding account from detail.accountId, not from the administrator's envelope", () => {
    const incident = parse(fixtureEvent('guardduty-ec2-trojan-dns-data-exfiltration.json'));
    expect(incident.findingType).toBe('Trojan:EC2/DNSDataExfiltration');
    expect(incident.account).toBe('444455556666');
    expect(incident.guardDuty).toMatchObject({ actionType: 'DNS_REQUEST', remoteIndicators: ['q7x2lp9v.tunnel.example.net'], count: 17 });
    expect(ec2(incident).instanceId).toBe('i-0d4c3b2a190817263');
  });

  it('marks a finding injected under source firebreak.gameday as a game day, otherwise parsed like GuardDuty', () => {
    const incident = parse(fixtureEvent('gameday-ec2-cryptocurrency-bitcointool.json'));
    expect(incident.gameDay).toBe(true);
    expect(incident.sample).toBe(false);
    expect(incident.source).toBe('guardduty');
    expect(incident.findingType).toBe('CryptoCurrency:EC2/BitcoinTool.B');
    expect(ec2(incident).instanceId).toBe('i-0fedcba9876543210');
    expect(ec2(incident).instanceProfileArn).toBeUndefined();
    expect(ec2(incident).tags).toEqual({ Name: 'gameday-miner', 'firebreak:gameday': 'crypto-mining' });
  });

  it('the same finding from aws.guardduty is not a game day', () => {
    const event = withField(fixtureEvent('gameday-ec2-cryptocurrency-bitcointool.json'), ['source'], 'aws.guardduty');
    expect(parse(event).gameDay).toBe(false);
  });

  it('reads resourceRole ACTOR and the outbound direction when the instance is the attacker', () => {
    const incident = parse(fixtureEvent('guardduty-ec2-ssh-bruteforce-actor.json'));
    expect(incident.findingType).toBe('UnauthorizedAccess:EC2/SSHBruteForce');
    expect(incident.guardDuty).toMatchObject({
      resourceRole: 'ACTOR',
      connectionDirection: 'OUTBOUND',
      remoteIndicators: ['192.0.2.44'],
      count: 52,
    });
    expect(incident.severity.label).toBe('High');
  });

  it('makes the instance of an InstanceCredentialExfiltration finding (typed AccessKey) the resource to contain', () => {
    const incident = parse(fixtureEvent('guardduty-iam-instance-credential-exfiltration-outside-aws.json'));
    expect(incident.findingType).toBe('UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS');
    expect(ec2(incident)).toMatchObject({
      instanceId: 'i-0b7c6d5e4f3a21908',
      instanceProfileArn: 'arn:aws:iam::111122223333:instance-profile/app-server-profile',
      networkInterfaces: [{ networkInterfaceId: 'eni-0e1f2a3b4c5d6e7f8', securityGroups: [{ groupId: 'sg-0a1a2b3c4d5e6f708', groupName: 'web-tier' }] }],
    });
    expect(incident.guardDuty).toMatchObject({ actionType: 'AWS_API_CALL', remoteIndicators: ['192.0.2.211'] });
  });

  it('an AccessKey finding without instanceDetails stays an access-key incident', () => {
    const event = withField(fixtureEvent('guardduty-iam-instance-credential-exfiltration-outside-aws.json'), ['detail', 'resource', 'instanceDetails'], undefined);
    expect(parse(event).resource).toEqual({
      kind: 'access-key',
      accessKeyId: 'ASIAQ3EGRW6JXEXAMPLE',
      principalId: 'AROAQ3EGRW6JQEXAMPLE:i-0b7c6d5e4f3a21908',
      userName: 'app-server-role',
      userType: 'AssumedRole',
    });
  });

  it('labels a 9.5 attack sequence Critical and reads it without a service.action', () => {
    const incident = parse(fixtureEvent('guardduty-attack-sequence-iam-compromised-credentials-critical.json'));
    expect(incident.severity).toEqual({ score: 9.5, label: 'Critical' });
    expect(incident.findingType).toBe('AttackSequence:IAM/CompromisedCredentials');
    expect(incident.resource).toMatchObject({ kind: 'access-key', userName: 'ci-deployer', userType: 'IAMUser' });
    expect(incident.guardDuty?.remoteIndicators).toEqual([]);
    expect(incident.guardDuty?.actionType).toBeUndefined();
  });

  it('reads an S3 finding as an "other" resource identified by the bucket ARN', () => {
    const incident = parse(fixtureEvent('guardduty-s3-exfiltration-anomalous-behavior.json'));
    expect(incident.resource).toEqual({ kind: 'other', type: 'S3Bucket', id: 'arn:aws:s3:::acme-payroll-exports' });
    expect(incident.guardDuty?.remoteIndicators).toEqual(['198.51.100.140']);
  });

  it('reads a metric alarm ALARM → OK as Informational, still on its instance', () => {
    const incident = parse(fixtureEvent('cloudwatch-alarm-ec2-status-check-alarm-to-ok.json'));
    expect(incident.key).toBe('cw-a3287243a8db2043-20250102T110612Z');
    expect(incident.findingType).toBe('CloudWatch:Alarm/OK');
    expect(incident.title).toBe('CloudWatch alarm "web-1-status-check-failed" is OK');
    expect(incident.severity).toEqual({ score: 0, label: 'Informational' });
    expect(incident.alarm).toMatchObject({ state: 'OK', previousState: 'ALARM', kind: 'metric', stateChangedAt: '2025-01-02T11:06:12.120Z' });
    expect(incident.resource).toEqual({ kind: 'ec2-instance', instanceId: 'i-0a1b2c3d4e5f60718', networkInterfaces: [], tags: {} });
  });

  it('reads an alarm on a metric without dimensions as concerning no resource', () => {
    const incident = parse(fixtureEvent('cloudwatch-alarm-no-dimensions.json'));
    expect(incident.resource).toEqual({ kind: 'none' });
    expect(incident.severity).toEqual({ score: 5, label: 'Medium' });
    expect(incident.alarm?.metrics).toEqual([{ namespace: 'Payments/API', metricName: 'ErrorRate5xx', dimensions: {} }]);
  });

  it('reads an anomaly-detection alarm going to INSUFFICIENT_DATA as metric math, Informational', () => {
    const incident = parse(fixtureEvent('cloudwatch-alarm-anomaly-detection-insufficient-data.json'));
    expect(incident.findingType).toBe('CloudWatch:Alarm/INSUFFICIENT_DATA');
    expect(incident.severity.label).toBe('Informational');
    expect(incident.alarm).toMatchObject({ kind: 'metric-math', state: 'INSUFFICIENT_DATA', previousState: 'ALARM' });
    expect(incident.resource).toEqual({ kind: 'none' });
  });

  it('marks an alarm injected under firebreak.gameday as a game day', () => {
    const incident = parse(fixtureEvent('gameday-cloudwatch-alarm-ec2-cpu.json'));
    expect(incident.gameDay).toBe(true);
    expect(incident.source).toBe('cloudwatch');
    expect(ec2(incident).instanceId).toBe('i-0fedcba9876543210');
  });

  it('detects a sample hidden in the GetFindings AdditionalInfo.Value JSON string', () => {
    const incident = parse(fixtureEvent('guardduty-getfindings-sample-backdoor-dns.json'));
    expect(incident.sample).toBe(true);
    expect(ec2(incident).instanceId).toBe('i-99999999');
  });
});

describe('finding shapes', () => {
  const envelope = fixtureEvent('guardduty-ec2-backdoor-c2activity-multi-eni.json');
  const detail = fieldAt(envelope, ['detail']);
  const fromEnvelope = parse(envelope);

  it('parses a bare camelCase finding (the detail a person pastes) like its envelope, without the game-day flag', () => {
    expect(parse(detail)).toEqual(fromEnvelope);
  });

  it('normalizes a PascalCase finding to exactly the camelCase result', () => {
    expect(parse(toPascalCase(detail))).toEqual(fromEnvelope);
    expect(parse({ Findings: [toPascalCase(detail)] })).toEqual(fromEnvelope);
  });

  it('accepts a PascalCase detail inside an EventBridge envelope too', () => {
    expect(parse(withField(envelope, ['detail'], toPascalCase(detail)))).toEqual(fromEnvelope);
  });

  it('yields one incident per finding of a GetFindings response, equal to the camelCase events', () => {
    const incidents = parseEvents(fixtureEvent('guardduty-getfindings-two-ec2-findings.json'), { receivedAt });
    expect(incidents).toEqual([fromEnvelope, parse(fixtureEvent('guardduty-ec2-ssh-bruteforce-actor.json'))]);
  });

  it('yields no incident for an empty GetFindings response', () => {
    expect(parseEvents({ Findings: [] }, { receivedAt })).toEqual([]);
  });

  it('reads the raw API shape `{"findings": [...]}` (camelCase wire format) as well', () => {
    expect(parseEvents({ findings: [detail] }, { receivedAt })).toEqual([fromEnvelope]);
  });

  it('parseEvents wraps a single event in a list', () => {
    expect(parseEvents(envelope, { receivedAt })).toEqual([fromEnvelope]);
  });

  it('accepts a numeric-string severity', () => {
    expect(parse(withField(detail, ['severity'], '8.0')).severity).toEqual({ score: 8, label: 'High' });
  });

  it('accepts sample as the string "true"', () => {
    expect(parse(withField(detail, ['service', 'additionalInfo'], { sample: 'true' })).sample).toBe(true);
    expect(parse(withField(detail, ['service', 'additionalInfo'], { sample: false })).sample).toBe(false);
  });

  it('treats a [SAMPLE] title as a sample even without the flag (never mutate when in doubt)', () => {
    expect(parse(withField(detail, ['title'], '[SAMPLE] EC2 instance is communicating with a C&C server.')).sample).toBe(true);
  });

  it('defaults the count to 1 when service.count is absent', () => {
    const incident = parse(withField(detail, ['service', 'count'], undefined));
    expect(incident.guardDuty?.count).toBe(1);
    expect(incident.revision).toBe('2025-01-02T10:47:05.912Z#1');
  });

  it('falls back to the envelope account and region when the finding has none', () => {
    const bare = withField(withField(envelope, ['detail', 'accountId'], undefined), ['detail', 'region'], undefined);
    expect(parse(bare)).toMatchObject({ account: '111122223333', region: 'eu-west-1' });
  });

  it('accepts epoch milliseconds and +0000 offsets for the finding times', () => {
    const epoch = withField(withField(detail, ['createdAt'], 1_735_809_160_377), ['updatedAt'], '2025-01-02T10:47:05.912+0000');
    const incident = parse(epoch);
    expect(incident.times.created).toBe('2025-01-02T09:12:40.377Z');
    expect(incident.times.updated).toBe('2025-01-02T10:47:05.912Z');
    expect(incident.revision).toBe(fromEnvelope.revision);
  });

  it('reads an "other" resource with nothing to identify it as a bare type', () => {
    const incident = parse(withField(detail, ['resource'], { resourceType: 'EKSCluster' }));
    expect(incident.resource).toEqual({ kind: 'other', type: 'EKSCluster' });
  });

  it('reads a finding with no resource as concerning none', () => {
    expect(parse(withField(detail, ['resource'], undefined)).resource).toEqual({ kind: 'none' });
  });

  it('uses now as the received time when none is given', () => {
    const before = Date.now();
    const received = Date.parse(parseEvent(detail).times.received);
    expect(received).toBeGreaterThanOrEqual(before);
    expect(received).toBeLessThanOrEqual(Date.now());
  });

  it('parseEventJson reads JSON text', () => {
    expect(parseEventJson(JSON.stringify(envelope), { receivedAt })).toEqual(fromEnvelope);
  });

  it('caps an overlong title and description so the incident fits a Step Functions payload', () => {
    const incident = parse(withField(withField(detail, ['title'], 'T'.repeat(100_000)), ['description'], 'D'.repeat(1_000_000)));
    expect(incident.title.length).toBe(1024);
    expect(incident.title.endsWith('…')).toBe(true);
    expect(incident.description?.length).toBe(8192);
  });

  it('drops a __proto__ tag key instead of letting it reach the tags record', () => {
    const tags = [{ key: '__proto__', value: 'polluted' }, { key: 'Name', value: 'web-1' }];
    const incident = parse(withField(detail, ['resource', 'instanceDetails', 'tags'], tags));
    expect(ec2(incident).tags).toEqual({ Name: 'web-1' });
    expect(Object.getPrototypeOf(ec2(incident).tags)).toBe(Object.prototype);
  });
});

describe('alarm state transitions', () => {
  const STATES = ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const;
  const base = fixtureEvent('cloudwatch-alarm-ec2-status-check-alarm-to-ok.json');

  for (const previous of STATES) {
    for (const current of STATES) {
      if (previous === current) continue;
      it(`parses ${previous} → ${current}, scored ${current === 'ALARM' ? 'Medium' : 'Informational'}`, () => {
        const event = withField(withField(base, ['detail', 'previousState', 'value'], previous), ['detail', 'state', 'value'], current);
        const incident = parse(event);
        expect(incident.findingType).toBe(`CloudWatch:Alarm/${current}`);
        expect(incident.alarm).toMatchObject({ state: current, previousState: previous });
        expect(incident.severity).toEqual(current === 'ALARM' ? { score: 5, label: 'Medium' } : { score: 0, label: 'Informational' });
      });
    }
  }

  it('gives each state change of one alarm its own key, and the same change the same key', () => {
    const first = parse(base);
    const later = parse(withField(base, ['detail', 'state', 'timestamp'], '2019-10-02T17:09:41.001+0000'));
    expect(later.key).not.toBe(first.key);
    expect(later.key.slice(0, 20)).toBe(first.key.slice(0, 20));
    expect(parse(structuredClone(base)).key).toBe(first.key);
  });

  it('reads an alarm without previousState or configuration as a metric alarm with no metrics', () => {
    const event = withField(withField(base, ['detail', 'previousState'], undefined), ['detail', 'configuration'], undefined);
    const incident = parse(event);
    expect(incident.alarm).toMatchObject({ kind: 'metric', metrics: [] });
    expect(incident.alarm?.previousState).toBeUndefined();
    expect(incident.resource).toEqual({ kind: 'none' });
  });

  it('leaves alarmArn out when resources[0] is not an alarm ARN', () => {
    expect(parse(withField(base, ['resources'], [])).alarm?.alarmArn).toBeUndefined();
    expect(parse(withField(base, ['resources'], ['arn:aws:ec2:us-east-1:123456789012:instance/i-1'])).alarm?.alarmArn).toBeUndefined();
  });
});

describe('alarms naming an instance', () => {
  // Review of the front door (triage-review): an alarm named the instance of its InstanceId dimension
  // whatever the metric's namespace. Anyone with cloudwatch:PutMetricData writes any data point to a
  // custom namespace, with any InstanceId (the CloudWatch agent's policy allows it on every
  // namespace): an attacker on instance A pushed CWAgent data for web-2, web-2's own memory alarm
  // fired, and the incident named web-2 for the instance-alarm playbook to act on. Only namespaces
  // starting with AWS/ are the services' own: PutMetricData refuses them.
  type AlarmEvent = { detail: { configuration: { metrics: Record<string, unknown>[] } } };
  const WEB_2 = 'i-0aaaa1111bbbb2222';
  function alarmOn(metrics: Record<string, unknown>[]): AlarmEvent {
    const event = clone(fixtureEvent('cloudwatch-alarm-metric-math-two-instances.json')) as AlarmEvent;
    event.detail.configuration.metrics = metrics;
    return event;
  }
  const metricOf = (id: string, namespace: string, dimensions: Record<string, string>) => ({
    id,
    metricStat: { metric: { namespace, name: 'mem_used_percent', dimensions }, period: 60, stat: 'Average' },
    returnData: true,
  });

  it('names no instance for an alarm on a metric outside the AWS/ namespaces, which any PutMetricData caller writes', () => {
    const incident = parse(alarmOn([metricOf('m1', 'CWAgent', { InstanceId: WEB_2 })]));
    expect(incident.alarm?.metrics).toEqual([{ namespace: 'CWAgent', metricName: 'mem_used_percent', dimensions: { InstanceId: WEB_2 } }]);
    expect(incident.resource).toEqual({ kind: 'none' });
  });

  it('names no instance for a metric-math alarm that also reads a custom metric, or fetches metrics in its expression', () => {
    const ec2 = { ...metricOf('m1', 'AWS/EC2', { InstanceId: WEB_2 }), returnData: false };
    expect(parse(alarmOn([ec2, metricOf('m2', 'Attacker/Knob', {}), { id: 'e1', expression: 'm1 + m2', returnData: true }])).resource).toEqual({ kind: 'none' });
    for (const expression of [
      "MAX(SEARCH('{CWAgent,InstanceId} mem_used_percent', 'Average', 60)) + m1",
      'SELECT MAX(mem_used_percent) FROM CWAgent',
      "LAMBDA('knob') + m1",
      "INSIGHT_RULE_METRIC('rule', 'MaxContributorValue') + m1",
    ]) {
      expect(parse(alarmOn([ec2, { id: 'e1', expression, returnData: true }])).resource, expression).toEqual({ kind: 'none' });
    }
  });

  it('still names the instance of an alarm whose every metric is in an AWS/ namespace, math over them included', () => {
    expect(parse(alarmOn([metricOf('m1', 'AWS/EC2', { InstanceId: WEB_2 })])).resource).toEqual({ kind: 'ec2-instance', instanceId: WEB_2, networkInterfaces: [], tags: {} });
    const ec2 = { ...metricOf('m1', 'AWS/EC2', { InstanceId: WEB_2 }), returnData: false };
    const ebs = { ...metricOf('m2', 'AWS/EBS', { VolumeId: 'vol-0abc1234def567890' }), returnData: false };
    expect(parse(alarmOn([ec2, ebs, { id: 'e1', expression: 'RATE(m1) * 100 / MAX(METRICS())', returnData: true }])).resource).toMatchObject({ kind: 'ec2-instance', instanceId: WEB_2 });
  });
});

describe('a real finding is never taken for a drill or a sample by its text (review-gameday)', () => {
  // Whoever controls an instance, a custom threat list's name or a user agent writes text into the
  // finding: none of it may make GuardDuty's own event a drill (opt-in rails, game-day pool) or a
  // sample (dry-run). Only the envelope's source (which EventBridge refuses to custom events for
  // aws.*) and GuardDuty's own sample flag or title prefix decide.
  const real = (): unknown => JSON.parse(readFileSync(new URL('../../playbooks/events/guardduty-ec2-backdoor-c2activity-multi-eni.json', import.meta.url), 'utf8')) as unknown;

  it('ATTACK: instance tags, a threat list name, a user agent and a title tail that say game day or sample', () => {
    let event = real();
    event = withField(event, ['detail', 'resource', 'instanceDetails', 'tags'], [
      { key: 'firebreak:gameday-target', value: 'true' },
      { key: 'source', value: 'firebreak.gameday' },
      { key: 'sample', value: 'true' },
    ]);
    event = withField(event, ['detail', 'service', 'additionalInfo'], {
      value: JSON.stringify({ threatListName: 'gameday- {"sample":true} firebreak.gameday', userAgent: { fullUserAgent: '{"sample":true}', userAgentCategory: 'sample' } }),
      type: 'default',
      threatListName: 'gameday-drill "sample": true',
    });
    event = withField(event, ['detail', 'title'], 'EC2 instance i-0a1b2c3d4e5f60718 is communicating with gameday-c2.example [SAMPLE]');
    const incident = parse(event);
    expect(incident.gameDay).toBe(false);
    expect(incident.key.startsWith('gd-')).toBe(true);
    expect(isGameDayIncident(incident)).toBe(false);
    expect(incident.sample).toBe(false);
  });

  it('takes the same finding for a drill when the game-day bus delivered it, and for a sample when GuardDuty says so', () => {
    expect(isGameDayIncident(parse(withField(real(), ['source'], 'firebreak.gameday')))).toBe(true);
    expect(parse(withField(real(), ['detail', 'service', 'additionalInfo', 'sample'], true)).sample).toBe(true);
  });
});
