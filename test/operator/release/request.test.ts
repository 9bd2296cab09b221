import { describe, expect, it } from 'vitest';
import type { DeployedStack } from '../../../lib/operator/stack';
import { readDeployedStack } from '../../../lib/operator/stack';
import { ReleaseSetupError } from '../../../lib/operator/release/errors';
import {
  RELEASE_OUTPUT_KEY,
  buildReleaseRequest,
  incidentKeyFromTags,
  otherClaimsNotice,
  releaseExecutionName,
  releaseIncidentOf,
  releaseStateMachineOf,
} from '../../../lib/operator/release/request';
import { releaseOptionsSchema } from '../../../lib/responders/release';
import { parseResponderInput } from '../../../lib/responders/responder-input';

const INSTANCE = 'i-0123456789abcdef0';
const AT = new Date('2026-11-20T10:15:30.789Z');
const CALLER = 'arn:aws:sts::999988887777:assumed-role/IncidentResponder/alice';
const RELEASE_ARN = 'arn:aws:states:eu-west-1:999988887777:stateMachine:Firebreak-release-instance';

const parts = {
  instanceId: INSTANCE,
  account: '111122223333',
  region: 'eu-west-1',
  incidentKey: 'gd-6ac3f0e9a1b2c3d4',
  mode: 'enforce' as const,
  requestedBy: CALLER,
  at: AT,
};

describe('releaseExecutionName', () => {
  it('is release-<instance>-<UTC second>-<8 hex of the incident key>, within the 80 characters and the characters Step Functions allows', () => {
    const name = releaseExecutionName(INSTANCE, AT, 'gd-6ac3f0e9a1b2c3d4');

    expect(name).toBe('release-i-0123456789abcdef0-20261120T101530Z-1b704897');
    expect(name.length).toBeLessThanOrEqual(80);
    expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
    // The longest instance id and any incident key stay within the limit.
    expect(releaseExecutionName('i-0123456789abcdef0', AT, 'x'.repeat(64)).length).toBeLessThanOrEqual(80);
  });

  it('is the same within one second and differs the next second (the idempotency key of a double submit)', () => {
    expect(releaseExecutionName(INSTANCE, new Date('2026-11-20T10:15:30.001Z'), 'gd-a')).toBe(releaseExecutionName(INSTANCE, AT, 'gd-a'));
    expect(releaseExecutionName(INSTANCE, new Date('2026-11-20T10:15:31.000Z'), 'gd-a')).not.toBe(releaseExecutionName(INSTANCE, AT, 'gd-a'));
  });

  // Review of session 15: two incidents holding one instance, released within the same second,
  // collided on the name (the second got ExecutionAlreadyExists).
  it('differs between two incidents released in the same second', () => {
    expect(releaseExecutionName(INSTANCE, AT, 'gd-first')).not.toBe(releaseExecutionName(INSTANCE, AT, 'gd-second'));
  });
});

describe('buildReleaseRequest', () => {
  it('builds the execution input: a firebreak incident naming the instance, the mode, the playbook, who and why', () => {
    const request = buildReleaseRequest({ ...parts, reason: 'INC-4711: image rebuilt', tags: { Name: 'web-1', 'firebreak:incident': 'gd-6ac3f0e9a1b2c3d4' } });

    expect(request).toEqual({
      executionName: 'release-i-0123456789abcdef0-20261120T101530Z-1b704897',
      input: {
        incident: {
          key: 'gd-6ac3f0e9a1b2c3d4',
          revision: 'release-i-0123456789abcdef0-20261120T101530Z-1b704897',
          source: 'firebreak',
          findingType: 'Firebreak:Release',
          title: `Release of ${INSTANCE} requested by ${CALLER}`,
          description: 'INC-4711: image rebuilt',
          severity: { score: 0, label: 'Informational' },
          account: '111122223333',
          region: 'eu-west-1',
          resource: {
            kind: 'ec2-instance',
            instanceId: INSTANCE,
            networkInterfaces: [],
            tags: { Name: 'web-1', 'firebreak:incident': 'gd-6ac3f0e9a1b2c3d4' },
          },
          sample: false,
          gameDay: false,
          times: { created: '2026-11-20T10:15:30.000Z', updated: '2026-11-20T10:15:30.000Z', received: '2026-11-20T10:15:30.000Z' },
        },
        mode: 'enforce',
        playbook: 'release-instance',
        requestedBy: CALLER,
        reason: 'INC-4711: image rebuilt',
      },
    });
  });

  it('keeps reason present as null when none is given, and gives no description', () => {
    const { input } = buildReleaseRequest({ ...parts, mode: 'dry-run' });

    expect(input.reason).toBeNull();
    expect(input.mode).toBe('dry-run');
    expect('description' in input.incident).toBe(false);
    expect(input.incident.resource).toEqual({ kind: 'ec2-instance', instanceId: INSTANCE, networkInterfaces: [], tags: {} });
  });

  it('builds an incident the release-instance responder accepts, as the playbook hands it over', () => {
    const { input } = buildReleaseRequest({ ...parts, reason: 'done' });

    const parsed = parseResponderInput({ incident: input.incident, mode: input.mode, options: {} }, releaseOptionsSchema);

    expect(parsed.incident).toEqual(input.incident);
    expect(parsed.options).toEqual({ restoreInstanceProfile: true, restoreAutoScaling: false, restoreLoadBalancers: false });
  });
});

describe('incidentKeyFromTags', () => {
  it("reads the key quarantine wrote to the instance's firebreak:incident tag", () => {
    expect(incidentKeyFromTags(INSTANCE, { 'firebreak:incident': 'gd-6ac3f0e9a1b2c3d4', Name: 'web-1' })).toBe('gd-6ac3f0e9a1b2c3d4');
  });

  it('asks for --incident when the instance has no incident tag', () => {
    expect(() => incidentKeyFromTags(INSTANCE, { Name: 'web-1' })).toThrow(
      new ReleaseSetupError(
        `${INSTANCE} has no firebreak:incident tag, so the incident that quarantined it is unknown (or it was never quarantined: a dry-run deployment changes and tags nothing, so there is nothing to release): pass --incident KEY (the key is in the quarantine alert)`,
      ),
    );
  });

  it('says the instance looks released already when release has taken the incident tag away', () => {
    expect(() =>
      incidentKeyFromTags(INSTANCE, { 'firebreak:status': 'released', 'firebreak:released-at': '2026-11-19T08:00:00.000Z' }),
    ).toThrow(
      new ReleaseSetupError(
        `${INSTANCE} has no firebreak:incident tag and is tagged firebreak:status=released at 2026-11-19T08:00:00.000Z: it looks released already; pass --incident KEY to run the release playbook anyway (it reports already-released if so)`,
      ),
    );
  });

  it('refuses a tag value that is not an incident key (anyone with ec2:CreateTags can write it)', () => {
    expect(() => incidentKeyFromTags(INSTANCE, { 'firebreak:incident': 'not a key!' })).toThrow(/is "not a key!", which is not an incident key.*pass --incident KEY/);
  });

  it('ATTACK: quotes a tag value on one line: its line feed cannot print a line of its own under the refusal', () => {
    const tag = 'x"\nReleasing i-0fffffffffffffff0 in 111122223333/eu-west-1 (incident gd-1, mode enforce)';
    expect(() => incidentKeyFromTags(INSTANCE, { 'firebreak:incident': tag })).toThrow(/^[^\n\r]*$/);
    expect(() => incidentKeyFromTags(INSTANCE, { 'firebreak:incident': tag })).toThrow('is "x\\"\\nReleasing i-0fffffffffffffff0');
  });
});

describe('otherClaimsNotice', () => {
  it('tells the requester which other incidents still hold the instance, and that it stays quarantined', () => {
    const recorded = { incidentKey: 'gd-a', released: false, claims: ['gd-a', 'gd-b'] };
    expect(otherClaimsNotice(INSTANCE, recorded, 'gd-a')).toBe(
      `${INSTANCE} stays quarantined after this release: incident gd-b also holds it. The release takes back only incident gd-a's claim; the release of the last incident holding ${INSTANCE} restores it.`,
    );
    expect(otherClaimsNotice(INSTANCE, { ...recorded, claims: ['gd-a'] }, 'gd-a')).toBeUndefined();
    expect(otherClaimsNotice(INSTANCE, { ...recorded, released: true }, 'gd-a')).toBeUndefined();
    expect(otherClaimsNotice(INSTANCE, undefined, 'gd-a')).toBeUndefined();
  });
});

describe('releaseIncidentOf', () => {
  const recorded = { incidentKey: 'gd-6ac3f0e9a1b2c3d4', released: false, claims: ['gd-6ac3f0e9a1b2c3d4'] };
  const LATER = 'gd-2b2b2b2b2b2b2b2b';

  it("names the unreleased record's incident, whatever the instance's tag says (anyone with ec2:CreateTags can write it)", () => {
    expect(releaseIncidentOf(INSTANCE, recorded, undefined)).toBe('gd-6ac3f0e9a1b2c3d4');
    expect(releaseIncidentOf(INSTANCE, recorded, 'gd-6ac3f0e9a1b2c3d4')).toBe('gd-6ac3f0e9a1b2c3d4');
  });

  it('refuses --incident naming an incident that holds no claim on the instance, saying which one to pass', () => {
    expect(() => releaseIncidentOf(INSTANCE, recorded, 'gd-0ther000000000000')).toThrow(
      new ReleaseSetupError(
        `${INSTANCE} is held quarantined by incident gd-6ac3f0e9a1b2c3d4 (its pre-quarantine record), not gd-0ther000000000000: the release step would refuse; pass --incident gd-6ac3f0e9a1b2c3d4`,
      ),
    );
  });

  it('takes --incident of any incident that holds the instance (a later incident that claimed it, review r3 F1)', () => {
    const both = { ...recorded, claims: ['gd-6ac3f0e9a1b2c3d4', LATER] };
    expect(releaseIncidentOf(INSTANCE, both, LATER)).toBe(LATER);
    // Without --incident, the record's own among several, else the one left, else it asks.
    expect(releaseIncidentOf(INSTANCE, both, undefined)).toBe('gd-6ac3f0e9a1b2c3d4');
    expect(releaseIncidentOf(INSTANCE, { ...recorded, claims: [LATER] }, undefined)).toBe(LATER);
    expect(() => releaseIncidentOf(INSTANCE, { ...recorded, claims: [LATER, 'gd-third'] }, undefined)).toThrow(/held quarantined by incidents gd-2b2b2b2b2b2b2b2b, gd-third: pass --incident KEY/);
  });

  it('leaves the choice to --incident or the tag without a record, or with a released one (the step reports it)', () => {
    expect(releaseIncidentOf(INSTANCE, undefined, 'gd-0ther000000000000')).toBe('gd-0ther000000000000');
    expect(releaseIncidentOf(INSTANCE, undefined, undefined)).toBeUndefined();
    expect(releaseIncidentOf(INSTANCE, { ...recorded, released: true }, undefined)).toBeUndefined();
  });
});

describe('releaseStateMachineOf', () => {
  const stack = (outputs: { key: string; value: string; description?: string }[]): DeployedStack => readDeployedStack('Firebreak', outputs);

  it(`reads the ${RELEASE_OUTPUT_KEY} output first`, () => {
    const found = releaseStateMachineOf(
      stack([
        { key: 'PlaybookReleaseInstanceArn', value: `${RELEASE_ARN}-old`, description: 'Playbook release-instance' },
        { key: RELEASE_OUTPUT_KEY, value: RELEASE_ARN },
      ]),
      'eu-west-1/999988887777',
    );

    expect(found).toEqual({ stateMachineArn: RELEASE_ARN, from: `output ${RELEASE_OUTPUT_KEY}` });
  });

  it('reads the output key whatever its case', () => {
    expect(releaseStateMachineOf(stack([{ key: 'releaseStateMachineARN', value: RELEASE_ARN }]), 'eu-west-1/999988887777')).toEqual({
      stateMachineArn: RELEASE_ARN,
      from: 'output releaseStateMachineARN',
    });
  });

  it('falls back to the per-playbook output of release-instance, not another playbook', () => {
    const found = releaseStateMachineOf(
      stack([
        { key: 'PlaybookCompromisedEc2InstanceArn', value: 'arn:aws:states:eu-west-1:999988887777:stateMachine:Firebreak-compromised-ec2-instance', description: 'Playbook compromised-ec2-instance' },
        { key: 'PlaybookReleaseInstanceArn', value: RELEASE_ARN, description: 'Playbook release-instance' },
      ]),
      'eu-west-1/999988887777',
    );

    expect(found).toEqual({ stateMachineArn: RELEASE_ARN, from: 'output PlaybookReleaseInstanceArn' });
  });

  it('names the missing outputs, the stack and --state-machine-arn when the stack has no release playbook', () => {
    expect(() =>
      releaseStateMachineOf(
        stack([
          { key: 'DispatcherArn', value: 'arn:aws:states:eu-west-1:999988887777:stateMachine:Firebreak-dispatcher' },
          { key: 'Mode', value: 'enforce' },
        ]),
        'eu-west-1/999988887777',
      ),
    ).toThrow(
      new ReleaseSetupError(
        'stack Firebreak in eu-west-1/999988887777 has no release playbook: no output ReleaseStateMachineArn nor Playbook<Name>Arn of release-instance (its outputs: DispatcherArn, Mode); deploy playbooks/release-instance.yaml with `npx cdk deploy Firebreak`, or pass --state-machine-arn ARN of the release state machine',
      ),
    );
  });

  it('refuses an output that is not a state machine ARN rather than starting something else', () => {
    expect(() => releaseStateMachineOf(stack([{ key: RELEASE_OUTPUT_KEY, value: 'release-instance' }]), 'eu-west-1/999988887777')).toThrow(
      /output ReleaseStateMachineArn of stack Firebreak in eu-west-1\/999988887777 is "release-instance", not a state machine ARN/,
    );
  });
});
