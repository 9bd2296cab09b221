import { describe, expect, it } from 'vitest';
import type { DeployedStack } from '../../lib/operator/stack';
import { ReleaseSetupError } from '../../lib/operator/release/errors';
import type { ManualRequestParts } from '../../lib/operator/manual-request';
import { approveCommand, buildManualRequest, compactSecond, manualMode, manualPlaybookStateMachineOf, requesterOf, toSecond } from '../../lib/operator/manual-request';
import { buildReleaseRequest } from '../../lib/operator/release/request';
import { buildS3ObjectReleaseRequest } from '../../lib/operator/release/s3-object';
import { buildCredentialReleaseRequest } from '../../lib/operator/credential-release';
import { buildDnsUnblockRequest } from '../../lib/operator/dns-unblock';

const CALLER = 'arn:aws:sts::999988887777:assumed-role/IncidentResponder/alice';
const AT = new Date('2026-11-20T10:15:30.789Z');
const PARTS: ManualRequestParts = { account: '111122223333', region: 'eu-west-1', incidentKey: 'gd-6ac3f0e9a1b2c3d4', mode: 'enforce', requestedBy: CALLER, reason: 'INC-4711: rebuilt', at: AT };
const RESOURCE = { kind: 'ec2-instance' as const, instanceId: 'i-0123456789abcdef0', networkInterfaces: [], tags: {} };

describe('toSecond and compactSecond', () => {
  it('keep the instant to the second, compact without the characters an execution name may not hold', () => {
    expect(toSecond(AT).toISOString()).toBe('2026-11-20T10:15:30.000Z');
    expect(compactSecond(AT)).toBe('20261120T101530Z');
    expect(compactSecond(new Date('2026-11-20T10:15:30.001Z'))).toBe(compactSecond(AT));
  });
});

describe('buildManualRequest', () => {
  const target = { executionName: (second: Date) => `thing-${compactSecond(second)}`, findingType: 'Firebreak:Thing', asked: 'Thing of x', resource: RESOURCE };

  it('raises a Firebreak incident naming who asked, why and for which incident, at the second, and the input every manual playbook reads', () => {
    let nameAskedFor: Date | undefined;
    const request = buildManualRequest('thing-playbook', PARTS, { ...target, executionName: (second) => ((nameAskedFor = second), target.executionName(second)) });

    expect(nameAskedFor?.toISOString()).toBe('2026-11-20T10:15:30.000Z');
    expect(request).toEqual({
      executionName: 'thing-20261120T101530Z',
      input: {
        incident: {
          key: 'gd-6ac3f0e9a1b2c3d4',
          revision: 'thing-20261120T101530Z',
          source: 'firebreak',
          findingType: 'Firebreak:Thing',
          title: `Thing of x requested by ${CALLER}`,
          description: 'INC-4711: rebuilt',
          severity: { score: 0, label: 'Informational' },
          account: '111122223333',
          region: 'eu-west-1',
          resource: RESOURCE,
          sample: false,
          gameDay: false,
          times: { created: '2026-11-20T10:15:30.000Z', updated: '2026-11-20T10:15:30.000Z', received: '2026-11-20T10:15:30.000Z' },
        },
        mode: 'enforce',
        playbook: 'thing-playbook',
        requestedBy: CALLER,
        reason: 'INC-4711: rebuilt',
      },
    });
  });

  it('without a reason: no description, and reason null (always present, so a JSONPath to it never fails)', () => {
    const { reason: _reason, ...withoutReason } = PARTS;
    const { input } = buildManualRequest('thing-playbook', withoutReason, target);
    expect(input.reason).toBeNull();
    expect(input.incident).not.toHaveProperty('description');
  });

  it("puts the target's details after the common fields, in that order", () => {
    const affected = [{ kind: 'ec2-instance' as const, from: 'here', instanceId: 'i-0123456789abcdef0' }];
    const { input } = buildManualRequest('thing-playbook', PARTS, { ...target, details: { affected } });
    expect(input.incident.affected).toEqual(affected);
    expect(Object.keys(input.incident).slice(-2)).toEqual(['times', 'affected']);
  });
});

describe('the four manual requests share the base', () => {
  const requests = [
    buildReleaseRequest({ ...PARTS, instanceId: 'i-0123456789abcdef0' }),
    buildS3ObjectReleaseRequest({ ...PARTS, bucketName: 'acme-uploads', key: 'incoming/a.pdf' }),
    buildCredentialReleaseRequest({ ...PARTS, reason: 'INC-4711: rebuilt', credential: { kind: 'access-key', accessKeyId: 'AKIAQ3EGRW6JCEXAMPLE', userName: 'ci' } }),
    buildDnsUnblockRequest({ ...PARTS, reason: 'INC-4711: rebuilt', domain: 'c2.example.com', claim: { incidentKey: 'gd-6ac3f0e9a1b2c3d4', instanceId: 'i-0123456789abcdef0' }, force: false }),
  ];

  it('each names who asked, why, the incident, the mode and the second the same way; only the target differs', () => {
    for (const { executionName, input } of requests) {
      expect(input).toMatchObject({ mode: 'enforce', requestedBy: CALLER, reason: 'INC-4711: rebuilt' });
      expect(input.incident).toMatchObject({
        key: 'gd-6ac3f0e9a1b2c3d4',
        revision: executionName,
        source: 'firebreak',
        description: 'INC-4711: rebuilt',
        severity: { score: 0, label: 'Informational' },
        account: '111122223333',
        region: 'eu-west-1',
        sample: false,
        gameDay: false,
        times: { created: '2026-11-20T10:15:30.000Z', updated: '2026-11-20T10:15:30.000Z', received: '2026-11-20T10:15:30.000Z' },
      });
      expect(input.incident.title.endsWith(` requested by ${CALLER}`)).toBe(true);
      // A release adds its incident key's digest (two incidents holding one instance).
      expect(executionName).toMatch(/-20261120T101530Z(?:-[0-9a-f]{8})?$/);
      expect(executionName).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    }
    expect(requests.map(({ input }) => input.playbook)).toEqual(['release-instance', 'release-s3-object', 'release-credentials', 'unblock-dns-domain']);
  });
});

describe('the game-day flag of a manual request', () => {
  const DRILL = 'gameday-gd-6ac3f0e9a1b2c3d4';
  const build = (incidentKey: string) => [
    buildReleaseRequest({ ...PARTS, incidentKey, instanceId: 'i-0123456789abcdef0' }),
    buildS3ObjectReleaseRequest({ ...PARTS, incidentKey, bucketName: 'acme-uploads', key: 'incoming/a.pdf' }),
    buildCredentialReleaseRequest({ ...PARTS, incidentKey, reason: 'drill over', credential: { kind: 'access-key', accessKeyId: 'AKIAQ3EGRW6JCEXAMPLE', userName: 'ci' } }),
    buildDnsUnblockRequest({ ...PARTS, reason: 'drill over', domain: 'c2.example.com', claim: { incidentKey, instanceId: 'i-0123456789abcdef0' }, force: false }),
  ];

  it("says game day for the release of a drill, as the parser does: from the drill's key (gameday-)", () => {
    for (const { input } of build(DRILL)) expect(input.incident).toMatchObject({ key: DRILL, gameDay: true });
  });

  it('says real for the release of any other key, one holding gameday- further in included', () => {
    for (const key of ['gd-6ac3f0e9a1b2c3d4', 'cw-0123456789abcdef-20261120T101530Z', 's3scan-0123', 'gd-gameday-6ac3f0e9']) {
      for (const { input } of build(key)) expect(input.incident.gameDay, key).toBe(false);
    }
  });
});

describe('manualMode', () => {
  const action = { run: 'the release', would: 'restore' };

  it('runs in dry-run when asked, without a notice', () => {
    expect(manualMode(true, 'enforce', 'Firebreak', action)).toEqual({ mode: 'dry-run' });
  });

  it('runs in dry-run when the deployment does, whatever was asked, and says so', () => {
    expect(manualMode(undefined, 'dry-run', 'Firebreak', action)).toEqual({
      mode: 'dry-run',
      notice: 'Stack Firebreak runs in dry-run (its Mode output), so the release runs in dry-run too: it reports what it would restore and changes nothing.',
    });
  });

  it('enforces otherwise, and when the stack has no Mode output', () => {
    expect(manualMode(false, 'enforce', 'Firebreak', action)).toEqual({ mode: 'enforce' });
    expect(manualMode(undefined, undefined, 'Firebreak', action)).toEqual({ mode: 'enforce' });
  });
});

describe('requesterOf, approveCommand', () => {
  it('name the caller (unknown when STS named none) and the approve command line', () => {
    expect(requesterOf({ arn: CALLER })).toBe(CALLER);
    expect(requesterOf({ arn: '' })).toBe('unknown');
    expect(approveCommand('arn:aws:states:eu-west-1:999988887777:execution:x:y')).toBe('npx firebreak approve --execution arn:aws:states:eu-west-1:999988887777:execution:x:y');
  });
});

describe('manualPlaybookStateMachineOf', () => {
  const ARN = 'arn:aws:states:eu-west-1:999988887777:stateMachine:Firebreak-release-credentials';
  const stack: DeployedStack = { stackName: 'Firebreak', outputs: [], playbooks: [{ name: 'release-credentials', stateMachineArn: ARN }] };

  it("answers the playbook's state machine", () => {
    expect(manualPlaybookStateMachineOf(stack, 'eu-west-1/999988887777', 'release-credentials')).toBe(ARN);
  });

  it('refuses a stack without it, saying how to deploy it and any other way given', () => {
    expect(() => manualPlaybookStateMachineOf(stack, 'eu-west-1/999988887777', 'unblock-dns-domain', ', or pass --state-machine-arn ARN')).toThrow(
      new ReleaseSetupError('stack Firebreak in eu-west-1/999988887777 has no unblock-dns-domain playbook: deploy playbooks/unblock-dns-domain.yaml with `npx cdk deploy Firebreak`, or pass --state-machine-arn ARN'),
    );
  });
});
