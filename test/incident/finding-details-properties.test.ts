/**
 * Property tests of the new shapes: whatever an attack sequence, a malware scan, runtime details
 * or an S3 object scan result holds, the parser returns an incident or a clean EventParseError;
 * an affected resource that claims a kind has that kind's id format or is `unverified`; attacker
 * text is only ever inside `{untrusted}`; and the incident stays within a Step Functions payload.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { payloadBytes } from '../../lib/contracts/payload-size';
import { INCIDENT_BUDGET_BYTES } from '../../lib/incident/budget';
import { EventParseError, parseEvent } from '../../lib/incident/parse';
import type { AffectedResource, Incident } from '../../lib/incident/model';
import { affectedResources } from '../../lib/incident/affected';
import { incidentSignals } from '../../lib/incident/signals';
import { INSTANCE_ID_FORMAT, RESOURCE_ID_FORMAT } from '../../lib/incident/identifiers';
import { NOT_TEXT_VALUES, fixtureEvent, withField } from './events';
import { seedProperties } from '../support/property-seed';

seedProperties('test/incident/finding-details-properties.test.ts');

const receivedAt = new Date('2026-04-01T12:00:00.000Z');
const EC2_SEQUENCE = fixtureEvent('guardduty-attack-sequence-ec2-compromised-instance-group.json');
const S3_THREATS = fixtureEvent('guardduty-malware-protection-s3-threats-found.json');
const EBS_SCAN = fixtureEvent('guardduty-ec2-malware-ebs-scan-malicious-file.json');
const RUNTIME = fixtureEvent('guardduty-runtime-ec2-privilege-escalation-hostile-process.json');
const SEQUENCE = ['detail', 'service', 'detection', 'sequence'] as const;

/** The incident, or undefined for a clean EventParseError; anything else fails the property. */
function parsedOrRefused(event: unknown): Incident | undefined {
  try {
    return parseEvent(event, { receivedAt });
  } catch (error) {
    if (!(error instanceof EventParseError)) throw new Error(`threw ${String(error)} instead of an EventParseError`, { cause: error });
    if (error.cause !== undefined) throw new Error(`EventParseError wrapped ${String(error.cause)}: a parser bug`, { cause: error });
    expect(error.issues.length).toBeGreaterThan(0);
    for (const issue of error.issues) expect(issue.path.length).toBeGreaterThan(0);
    return undefined;
  }
}

/** Each typed entry has its kind's format; what does not is `unverified`. */
function assertTyped(resource: AffectedResource): void {
  switch (resource.kind) {
    case 'ec2-instance':
      expect(resource.instanceId).toMatch(INSTANCE_ID_FORMAT);
      break;
    case 'access-key':
      expect(resource.accessKeyId).toMatch(RESOURCE_ID_FORMAT.accessKeyId);
      expect(resource.temporary).toBe(resource.accessKeyId.startsWith('ASIA'));
      break;
    case 'iam-user':
      expect(resource.userName).toMatch(RESOURCE_ID_FORMAT.iamName);
      break;
    case 'role-session':
      expect(resource.roleName).toMatch(RESOURCE_ID_FORMAT.iamName);
      if (resource.sessionName !== undefined) expect(resource.sessionName).toMatch(RESOURCE_ID_FORMAT.roleSessionName);
      break;
    case 's3-bucket':
    case 's3-object':
      expect(resource.bucketName).toMatch(RESOURCE_ID_FORMAT.s3BucketName);
      break;
    case 'eks-cluster':
      expect(resource.clusterName).toMatch(RESOURCE_ID_FORMAT.eksClusterName);
      break;
    case 'ecs-cluster':
      expect(resource.clusterName).toMatch(RESOURCE_ID_FORMAT.ecsClusterName);
      break;
    case 'other':
      expect(resource.resourceType).toMatch(/^[A-Za-z0-9_:.-]{1,64}$/);
      break;
    case 'unverified':
      expect(typeof resource.value.untrusted).toBe('string');
      break;
  }
  if (resource.account !== undefined) expect(resource.account).toMatch(/^\d{12}$/);
}

function assertWellFormed(incident: Incident): void {
  affectedResources(incident).forEach(assertTyped);
  const signals = incidentSignals(incident);
  const times = signals.map((signal) => signal.firstSeen ?? signal.created ?? signal.lastSeen ?? '\uffff');
  expect(times).toEqual([...times].sort());
  const json = JSON.stringify(incident);
  // Leaves room in the 256 KiB Step Functions payload for the rest of the execution's state.
  expect(json.length).toBeLessThan(200 * 1024);
  expect(JSON.parse(json)).toEqual(incident);
}

const anyJson = fc.jsonValue({ maxDepth: 4 });
const hostileText = fc.oneof(
  fc.string(),
  fc.constantFrom('i-99999999', 'i-0a1b2c3d4e5f60718; rm -rf /', 'AKIA<b>', '__proto__', 'arn:aws:s3:::', 'x'.repeat(5000), '\u202e<!channel> http://evil.example.com'),
);

describe('new shapes: never throw, clear errors', () => {
  it('any JSON in place of the attack sequence, or of any one of its lists', () => {
    const target = fc.constantFrom<readonly (string | number)[]>([], ['resources'], ['signals'], ['actors'], ['endpoints'], ['sequenceIndicators'], ['resources', 0], ['signals', 1], ['resources', 3, 'data']);
    fc.assert(
      fc.property(target, anyJson, (path, value) => {
        const incident = parsedOrRefused(withField(EC2_SEQUENCE, [...SEQUENCE, ...path], value));
        // A sequence is read best-effort: whatever it holds, the finding itself still parses.
        expect(incident).toBeDefined();
        assertWellFormed(incident!);
      }),
      { numRuns: 400 },
    );
  });

  it('any text as a sequence resource id or type: typed with its format, or unverified', () => {
    const types = fc.constantFrom('EC2_INSTANCE', 'ACCESS_KEY', 'S3_BUCKET', 'S3_OBJECT', 'EKS_CLUSTER', 'ECS_CLUSTER', 'SOMETHING_NEW', 'not a type');
    fc.assert(
      fc.property(types, hostileText, hostileText, (type, uid, userName) => {
        let event = withField(EC2_SEQUENCE, [...SEQUENCE, 'resources', 1, 'resourceType'], type);
        event = withField(event, [...SEQUENCE, 'resources', 1, 'uid'], uid);
        event = withField(event, [...SEQUENCE, 'resources', 1, 'data'], { accessKey: { userName, userType: 'IAMUser', principalId: userName } });
        const incident = parsedOrRefused(event)!;
        assertWellFormed(incident);
        const fromIt = affectedResources(incident).filter((resource) => resource.from === 'service.detection.sequence.resources[1]');
        for (const resource of fromIt) {
          if (resource.kind === 'unverified') expect(resource.value.untrusted.length).toBeLessThanOrEqual(256);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('a finding at every maximum at once (a full sequence, scan and runtime details, long text) stays within its budget, counting what it left out', () => {
    const long = 'x'.repeat(4096);
    const sequence = {
      uid: 'u',
      description: long,
      resources: Array.from({ length: 400 }, (_, index) => ({
        uid: `i-${index.toString(16).padStart(17, '0')}`,
        resourceType: 'EC2_INSTANCE',
        data: { autoscalingAutoScalingGroup: { ec2InstanceUids: Array.from({ length: 25 }, (__, n) => `i-${(index * 25 + n + 100_000).toString(16).padStart(17, '0')}`) } },
      })),
      signals: Array.from({ length: 100 }, (_, index) => ({ uid: `s${index}`, type: 'FINDING', name: long, description: long, firstSeenAt: 1_700_000_000 + index, resourceUids: Array.from({ length: 50 }, () => 'r'.repeat(200)) })),
      actors: Array.from({ length: 400 }, (_, index) => ({ id: `a${index}`, process: { name: long, path: long } })),
      endpoints: Array.from({ length: 400 }, (_, index) => ({ id: `e${index}`, domain: long, ip: '198.51.100.1' })),
      sequenceIndicators: Array.from({ length: 100 }, () => ({ key: 'ATTACK_TACTIC', title: long, values: Array.from({ length: 100 }, () => long) })),
    };
    const process = { name: long, executablePath: long, pwd: long, user: long, lineage: Array.from({ length: 50 }, () => ({ name: long, executablePath: long })) };
    const runtimeDetails = {
      process,
      context: {
        ...Object.fromEntries(['commandLineExample', 'scriptPath', 'libraryPath', 'ldPreloadValue', 'socketPath', 'moduleName', 'moduleFilePath', 'toolName', 'filePath', 'threatFilePath', 'mountSource', 'mountTarget'].map((key) => [key, long])),
        relatedFilePaths: Array.from({ length: 100 }, () => long),
        modifyingProcess: process,
        targetProcess: process,
      },
    };
    const ebsVolumeScanDetails = {
      scanId: 'scan',
      scanDetections: {
        threatDetectedByName: {
          threatNames: Array.from({ length: 100 }, () => ({ name: long, filePaths: Array.from({ length: 100 }, () => ({ filePath: long, fileName: long })) })),
        },
      },
    };
    let event = withField(EC2_SEQUENCE, [...SEQUENCE], sequence);
    event = withField(event, ['detail', 'service', 'runtimeDetails'], runtimeDetails);
    event = withField(event, ['detail', 'service', 'ebsVolumeScanDetails'], ebsVolumeScanDetails);
    event = withField(event, ['detail', 'title'], long.repeat(4));
    event = withField(event, ['detail', 'description'], long.repeat(4));
    const incident = parsedOrRefused(event)!;
    assertWellFormed(incident);
    // Every section at its own maximum is over the incident's budget: alert-only sections go, named.
    expect(payloadBytes(incident)).toBeLessThanOrEqual(INCIDENT_BUDGET_BYTES);
    expect(incident.clipped?.sections).toContain('signals');
    expect(incident.malwareScan).toMatchObject({ kind: 'ebs-volumes', shortened: true });
    expect(incident.sequence?.omitted.resources).toBeGreaterThan(0);
    expect(incident.sequence?.omitted.signals).toBeGreaterThan(0);
    expect(incident.sequence?.omitted.actors).toBeGreaterThan(0);
    expect(incident.sequence?.omitted.endpoints).toBeGreaterThan(0);
  });

  it('any JSON in place of the EBS scan details or the runtime details', () => {
    const cases = fc.oneof(
      fc.record({ event: fc.constant(EBS_SCAN), path: fc.constantFrom<readonly (string | number)[]>(['ebsVolumeScanDetails'], ['ebsVolumeScanDetails', 'scanDetections'], ['ebsVolumeScanDetails', 'scanDetections', 'threatDetectedByName', 'threatNames', 0]) }),
      fc.record({ event: fc.constant(RUNTIME), path: fc.constantFrom<readonly (string | number)[]>(['runtimeDetails'], ['runtimeDetails', 'process'], ['runtimeDetails', 'context'], ['runtimeDetails', 'process', 'lineage']) }),
    );
    fc.assert(
      fc.property(cases, anyJson, ({ event, path }, value) => {
        const incident = parsedOrRefused(withField(event, ['detail', 'service', ...path], value));
        expect(incident).toBeDefined();
        assertWellFormed(incident!);
      }),
      { numRuns: 400 },
    );
  });

  it('any text in the runtime fields is only ever found inside {untrusted}', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 12, maxLength: 40 }).map((text) => `ZQ${text}QZ`), (marker) => {
        let event = withField(RUNTIME, ['detail', 'service', 'runtimeDetails', 'process', 'name'], marker);
        event = withField(event, ['detail', 'service', 'runtimeDetails', 'context', 'commandLineExample'], marker);
        event = withField(event, ['detail', 'service', 'runtimeDetails', 'process', 'executablePath'], marker);
        const runtime = parsedOrRefused(event)!.runtime;
        const outside = JSON.stringify(runtime, (key, value: unknown) => (key === 'untrusted' ? null : value));
        expect(outside.includes(JSON.stringify(marker).slice(1, -1))).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('an S3 object scan result with anything as its detail, or any one field replaced: an incident or a clean refusal', () => {
    const paths = fc.constantFrom<readonly (string | number)[]>(
      ['detail'],
      ['detail', 's3ObjectDetails'],
      ['detail', 's3ObjectDetails', 'objectKey'],
      ['detail', 's3ObjectDetails', 'bucketName'],
      ['detail', 's3ObjectDetails', 'versionId'],
      ['detail', 'scanResultDetails'],
      ['detail', 'scanResultDetails', 'threats'],
      ['detail', 'scanResultDetails', 'scanResultStatus'],
      ['detail', 'scanStatus'],
      ['account'],
      ['region'],
      ['time'],
      ['resources'],
    );
    fc.assert(
      fc.property(paths, fc.oneof(anyJson, hostileText, fc.constant(undefined), fc.constantFrom(...NOT_TEXT_VALUES)), (path, value) => {
        const incident = parsedOrRefused(withField(S3_THREATS, path, value));
        if (incident === undefined) return;
        assertWellFormed(incident);
        expect(incident.key).toMatch(/^s3scan-[0-9a-f]{32}$/);
        expect(incident.findingType).toMatch(/^MalwareScan:S3\/[A-Za-z0-9]+$/);
        const object = affectedResources(incident).find((resource) => resource.kind === 's3-object' || resource.kind === 'unverified');
        expect(object).toBeDefined();
      }),
      { numRuns: 500 },
    );
  });
});
