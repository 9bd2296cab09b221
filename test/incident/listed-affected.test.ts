import { describe, expect, it } from 'vitest';
import { affectedFromPrimary, affectedResources } from '../../lib/incident/affected';
import { LISTED_ONLY_KINDS, listedAffected } from '../../lib/incident/listed-affected';
import type { IncidentResource } from '../../lib/incident/model';
import { parseEvent } from '../../lib/incident/parse';
import { fixtureEvent } from './events';

// Every shape of `resource` affectedFromPrimary has a branch for, with well-formed and malformed ids.
const PRIMARY_RESOURCES: readonly IncidentResource[] = [
  { kind: 'ec2-instance', instanceId: 'i-0123456789abcdef0', networkInterfaces: [], tags: {} },
  { kind: 'ec2-instance', instanceId: 'not-an-instance', networkInterfaces: [], tags: {} },
  { kind: 'access-key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', userName: 'alice', userType: 'IAMUser', principalId: 'AIDAEXAMPLE' },
  { kind: 'access-key', accessKeyId: 'ASIAIOSFODNN7EXAMPLE', userName: 'deploy', userType: 'AssumedRole', principalId: 'AROAEXAMPLE:session' },
  { kind: 'access-key', accessKeyId: 'bad key', userName: 'bad/name', userType: 'IAMUser' },
  { kind: 'other', type: 'S3Bucket', id: 'acme-customer-uploads' },
  { kind: 'other', type: 'S3Bucket', id: 'arn:aws:s3:::acme-customer-uploads/incoming/invoice.pdf' },
  { kind: 'other', type: 'EKSCluster', id: 'prod' },
  { kind: 'other', type: 'ECSCluster', id: 'arn:aws:ecs:eu-west-1:111122223333:cluster/prod' },
  { kind: 'other', type: 'S3Object', id: 'acme-customer-uploads/incoming/invoice.pdf' },
  { kind: 'other', type: 'Lambda' },
  { kind: 'none' },
];

describe('listedAffected', () => {
  it.each(PRIMARY_RESOURCES.map((resource) => [`${resource.kind} ${JSON.stringify(resource).slice(0, 60)}`, resource] as const))(
    'affectedFromPrimary never derives a listed-only kind from %s, so the list alone names one',
    (_name, resource) => {
      for (const sample of [false, true]) {
        const kinds = affectedFromPrimary({ resource, sample, source: 'guardduty' }).map((entry) => entry.kind);
        expect(kinds.filter((kind) => (LISTED_ONLY_KINDS as readonly string[]).includes(kind))).toEqual([]);
      }
    },
  );

  it.each(['guardduty-malware-protection-s3-threats-found.json', 'guardduty-malware-protection-s3-hostile-key.json', 'guardduty-attack-sequence-s3-compromised-data.json'])(
    'gives the S3 objects affectedResources gives for %s',
    (file) => {
      const incident = parseEvent(fixtureEvent(file));
      expect(listedAffected(incident, 's3-object')).toEqual(affectedResources(incident).filter((entry) => entry.kind === 's3-object'));
    },
  );

  it('finds the one scanned object of a scan result, and none in an incident without a list', () => {
    const incident = parseEvent(fixtureEvent('guardduty-malware-protection-s3-threats-found.json'));
    expect(listedAffected(incident, 's3-object')).toHaveLength(1);
    expect(listedAffected({ affected: undefined }, 's3-object')).toEqual([]);
  });
});
