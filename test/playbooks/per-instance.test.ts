import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseEvent } from '../../lib/incident/parse';
import { sha256Hex } from '../../lib/incident/keys';
import type { Incident } from '../../lib/incident/model';
import { containmentTargets, describeTargets, perInstanceKey } from '../../lib/playbooks/per-instance';
import { PER_INSTANCE_ACTION } from '../../lib/playbooks/fan-out-names';
import { compilePlaybook } from '../../lib/playbooks/compile';
import { withParentsTrial } from '../../lib/playbooks/compile-per-instance';
import { loadPlaybookDirectorySync } from '../../lib/playbooks/loader';
import { routingTableFor } from '../../lib/playbooks/routing';
import { triage } from '../../lib/playbooks/triage';

const FIXTURE = 'playbooks/events/guardduty-attack-sequence-ec2-compromised-instance-group.json';
interface SequenceEvent {
  detail: { updatedAt: string; service: { detection: { sequence: { resources: Record<string, unknown>[] } } } };
}
const event = (): SequenceEvent => JSON.parse(readFileSync(FIXTURE, 'utf8')) as SequenceEvent;
const parse = (raw: unknown): Incident => parseEvent(raw, { receivedAt: new Date('2026-03-21T11:00:00Z') });

describe('containmentTargets', () => {
  it('lists every instance the sequence names once, the finding instance first, named by incident key, instance and revision', () => {
    const incident = parse(event());
    const { targets, skipped } = containmentTargets(incident, { maxInstances: 50 });
    // resources[0..2], and i-0d4e… that only the Auto Scaling group names.
    expect(targets.map((target) => target.instanceId)).toEqual(['i-0a1b2c3d4e5f60718', 'i-0b7c6d5e4f3a21908', 'i-0c1d2e3f4a5b60719', 'i-0d4e5f6a7b8c90123']);
    expect(targets[1]).toMatchObject({
      executionName: `${incident.key}-i-0b7c6d5e4f3a21908-${sha256Hex(incident.revision).slice(0, 12)}`,
      incident: { key: `${incident.key}-i-0b7c6d5e4f3a21908`, account: incident.account, region: incident.region, resource: { kind: 'ec2-instance', instanceId: 'i-0b7c6d5e4f3a21908' } },
    });
    // The finding's own instance keeps what the finding said of it.
    expect(targets[0]!.incident.resource).toBe(incident.resource);
    expect(skipped).toEqual([]);
  });

  it('starts no per-instance execution for an unconfirmed copy from the oversized-event intake, so a forgery cannot take the real sequence\'s names', () => {
    // Anyone allowed to invoke the intake can hand it a forged sequence naming instances; were its
    // children started, their names (child key + revision: a forgery can carry the revision GuardDuty
    // is about to export, row 8g) would be taken, and GuardDuty's real update would end ALREADY_STARTED.
    const incident = parse(event());
    const unconfirmed: Incident = { ...incident, clipped: { tags: 0, networkInterfaces: 0, securityGroups: 0, texts: 0, sections: [], event: { originalBytes: 400_000 } } };
    const { targets, skipped } = containmentTargets(unconfirmed, { maxInstances: 50 });
    expect(targets).toEqual([]);
    expect(skipped.map((skip) => skip.value)).toEqual(['i-0a1b2c3d4e5f60718', 'i-0b7c6d5e4f3a21908', 'i-0c1d2e3f4a5b60719', 'i-0d4e5f6a7b8c90123']);
    for (const skip of skipped) expect(skip.reason).toContain('oversized-event intake');
    // GuardDuty confirmed the copy (GetFindings): it is GuardDuty's sequence, contained as any.
    const confirmed: Incident = { ...incident, clipped: { tags: 0, networkInterfaces: 0, securityGroups: 0, texts: 0, sections: [], event: { originalBytes: 400_000, confirmed: true } } };
    expect(containmentTargets(confirmed, { maxInstances: 50 }).targets.map((target) => target.executionName)).toEqual(
      containmentTargets(incident, { maxInstances: 50 }).targets.map((target) => target.executionName),
    );
  });

  it("ATTACK (sequence-revision): names every instance's execution per revision, so that GuardDuty's update of the sequence checks each instance again and isolates again one whose isolation was undone (row 1zj)", () => {
    const first = parse(event());
    const later = event();
    later.detail.updatedAt = '2026-03-21T12:47:12.311Z';
    later.detail.service.detection.sequence.resources[6] = { uid: 'i-0e0e0e0e0e0e0e0e0', resourceType: 'EC2_INSTANCE' };
    const updated = parse(later);
    expect(updated.revision).not.toBe(first.revision);
    const before = containmentTargets(first, { maxInstances: 50 }).targets;
    const after = containmentTargets(updated, { maxInstances: 50 }).targets;
    // Each instance keeps its child key (its incident, record, evidence and blast-radius hold), and
    // its execution name is that key and the revision's hash. Before: the key alone, the same in every
    // revision, so Step Functions refused the update's start (ALREADY_STARTED) and an instance the
    // attacker put back in its application group stayed there.
    for (const [index, target] of before.entries()) {
      expect(target.executionName).toBe(`${target.incident.key}-${sha256Hex(first.revision).slice(0, 12)}`);
      expect(after[index]?.incident.key).toBe(target.incident.key);
      expect(after[index]?.executionName).toBe(`${target.incident.key}-${sha256Hex(updated.revision).slice(0, 12)}`);
    }
    expect(after).toHaveLength(before.length + 1);
    // A duplicate delivery of one revision maps to the same names (Step Functions refuses them).
    expect(containmentTargets(parse(event()), { maxInstances: 50 }).targets.map((target) => target.executionName)).toEqual(before.map((target) => target.executionName));
  });

  it('tried (sequence-revision): keeps every execution name within Step Functions\' 80 characters, a shortened foreign key with a game-day prefix included', () => {
    const incident = { ...parse(event()), key: `gameday-gd-${'c'.repeat(53)}`, revision: 'x'.repeat(5000) };
    const raw = event();
    raw.detail.service.detection.sequence.resources[1]!.accountId = '444455556666';
    const foreign = { ...parse(raw), key: incident.key, revision: incident.revision };
    for (const target of [...containmentTargets(incident, { maxInstances: 50 }).targets, ...containmentTargets(foreign, { maxInstances: 50 }).targets]) {
      expect(target.incident.key.length).toBeLessThanOrEqual(64);
      expect(target.executionName.length).toBeLessThanOrEqual(77);
      expect(target.executionName).toMatch(/^[A-Za-z0-9_-]+$/);
    }
  });

  it('skips a malformed instance id, an unserved account and instances past the cap, saying why', () => {
    const raw = event();
    raw.detail.service.detection.sequence.resources[1]!.uid = 'i-NOT-AN-ID';
    raw.detail.service.detection.sequence.resources[2]!.accountId = '999988887777';
    const { targets, skipped } = containmentTargets(parse(raw), {
      maxInstances: 1,
      refuseAccount: (account) => (account === '999988887777' ? 'not served' : undefined),
    });
    expect(targets.map((target) => target.instanceId)).toEqual(['i-0a1b2c3d4e5f60718']);
    const reasons = skipped.map((skip) => skip.reason);
    expect(reasons.slice(0, 2)).toEqual([expect.stringContaining('not an EC2 instance id'), 'not served']);
    // The instances the Auto Scaling group and the profile still name are past the cap.
    expect(reasons.length).toBeGreaterThan(2);
    for (const reason of reasons.slice(2)) expect(reason).toContain('cap of 1');
  });

  it('never passes a placeholder id on a finding that is not a sample', () => {
    const raw = event();
    raw.detail.service.detection.sequence.resources[1]!.uid = 'i-99999999';
    const { targets } = containmentTargets(parse(raw), { maxInstances: 50 });
    expect(targets.map((target) => target.instanceId)).not.toContain('i-99999999');
  });
});

describe('perInstanceKey', () => {
  const home = { account: '111122223333', region: 'eu-west-1' };
  it('keeps a game-day prefix and stays within 64 characters of [A-Za-z0-9_-]', () => {
    const key = perInstanceKey(`gameday-gd-${'a'.repeat(32)}`, 'i-0123456789abcdef0', home, home);
    expect(key).toBe(`gameday-gd-${'a'.repeat(32)}-i-0123456789abcdef0`);
    const long = perInstanceKey(`gd-${'b'.repeat(61)}`, 'i-0123456789abcdef0', { account: '444455556666', region: 'us-east-1' }, home);
    expect(long.length).toBeLessThanOrEqual(64);
    expect(long).toMatch(/^gd-b+-[0-9a-f]{8}-i-0123456789abcdef0-[0-9a-f]{8}$/);
  });
  it('tells apart one instance id in two accounts', () => {
    expect(perInstanceKey('gd-x', 'i-0123456789abcdef0', home, home)).not.toBe(perInstanceKey('gd-x', 'i-0123456789abcdef0', { ...home, account: '444455556666' }, home));
  });
});

describe('triage of an attack sequence', () => {
  const playbooks = loadPlaybookDirectorySync('playbooks');
  const routing = routingTableFor(playbooks, { forceDryRun: false });

  it('starts attack-sequence-ec2 with one target per instance and says so', () => {
    const decision = triage(parse(event()), routing);
    expect(decision.playbook).toBe('attack-sequence-ec2');
    expect(decision.targets).toHaveLength(4);
    expect(decision.reasons.join('\n')).toContain('asks the containment guard for that instance alone');
  });

  it('adds no targets for a playbook without the step', () => {
    const raw = JSON.parse(readFileSync('playbooks/events/guardduty-ec2-backdoor-c2activity-multi-eni.json', 'utf8'));
    expect(triage(parse(raw), routing).targets).toBeUndefined();
  });

  it('describes a sequence with nothing to contain', () => {
    expect(describeTargets({ targets: [], skipped: [] }, 'attack-sequence-ec2')[0]).toContain('names no instance');
  });
});

describe('the compiled contain-each-instance step', () => {
  const playbook = loadPlaybookDirectorySync('playbooks').find((candidate) => candidate.name === 'attack-sequence-ec2')!;
  const { definition, substitutions } = compilePlaybook(playbook);
  interface MapState {
    ItemProcessor: { States: Record<string, { Parameters: { Input: Record<string, unknown> }; Catch: unknown[] }> };
    ResultSelector: { result: { responder: string } };
  }
  const map = definition.States['contain-each'] as unknown as MapState;

  it('is a Map over triage targets, each starting the per-instance playbook and waiting for it', () => {
    expect(substitutions).toContain('Sm_attack_sequence_ec2_instance');
    expect(map).toMatchObject({ Type: 'Map', ItemsPath: '$.decision.targets', MaxConcurrency: 10, ResultPath: '$.results.contain-each', Next: 'alert' });
    const run = map.ItemProcessor.States['contain-each-run']!;
    expect(run).toMatchObject({
      Resource: 'arn:aws:states:::states:startExecution.sync:2',
      Parameters: { StateMachineArn: '${Sm_attack_sequence_ec2_instance}', 'Name.$': '$.target.executionName' },
    });
    expect(run.Parameters.Input['incident.$']).toBe('States.JsonMerge($.incident, $.target.incident, false)');
    expect(run.Catch[0]).toMatchObject({ ErrorEquals: ['StepFunctions.ExecutionAlreadyExistsException'], Next: 'contain-each-earlier' });
    expect(map.ResultSelector.result.responder).toBe(PER_INSTANCE_ACTION);
  });

  it('reads again the execution another run of the revision started when the name is taken, and never fails the item for it', () => {
    expect(substitutions).toContain('Ex_attack_sequence_ec2_instance');
    const states = map.ItemProcessor.States as unknown as Record<string, Record<string, unknown>>;
    expect(states['contain-each-earlier']).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::aws-sdk:sfn:describeExecution',
      Parameters: { 'ExecutionArn.$': "States.Format('${Ex_attack_sequence_ec2_instance}:{}', $.target.executionName)" },
      // A failed read ends the item as before: ALREADY_STARTED, the name alone.
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'contain-each-already-started' }],
    });
    // Only a SUCCEEDED execution's output is parsed; any other status is reported as it is.
    expect(states['contain-each-earlier-ended']).toMatchObject({ Type: 'Choice', Choices: [{ Next: 'contain-each-earlier-output' }], Default: 'contain-each-earlier-summary' });
    // Its output parsed in place of the whole answer (whose input the item does not need to carry).
    expect(states['contain-each-earlier-output']).toMatchObject({ Parameters: { 'output.$': 'States.StringToJson($.earlier.ended.Output)' }, ResultPath: '$.earlier' });
    expect(states['contain-each-earlier-summary']).toMatchObject({ Parameters: { status: 'ALREADY_STARTED', earlier: { 'status.$': '$.earlier.status' } }, End: true });
    expect(states['contain-each-already-started-read']).toMatchObject({
      Parameters: { status: 'ALREADY_STARTED', earlier: { 'guard.$': '$.earlier.output.results.Guard.result.status' } },
      End: true,
    });
    expect(states['contain-each-already-started']).toMatchObject({ Parameters: { status: 'ALREADY_STARTED' }, End: true });
    expect(states['contain-each-already-started']?.Parameters).not.toHaveProperty('earlier');
  });
});

describe('the compiled contain-each-instance step of a dry-run playbook', () => {
  it('ATTACK (review-pause): starts every child in dry-run, whatever the parent execution\'s input says', () => {
    const parent = loadPlaybookDirectorySync('playbooks').find((candidate) => candidate.name === 'attack-sequence-ec2')!;
    const map = (playbookMode: 'enforce' | 'dry-run') =>
      (compilePlaybook({ ...parent, mode: playbookMode }).definition.States['contain-each'] as unknown as { ItemSelector: Record<string, unknown> }).ItemSelector;
    // Before: '$.mode', so a parent in trial started by hand with enforce started enforce children.
    expect(map('dry-run')).toEqual({ 'target.$': '$$.Map.Item.Value', 'incident.$': '$.incident', mode: 'dry-run' });
    expect(map('enforce')).toEqual({ 'target.$': '$$.Map.Item.Value', 'incident.$': '$.incident', 'mode.$': '$.mode' });
  });
});

describe('withParentsTrial (row 2zh)', () => {
  const shipped = loadPlaybookDirectorySync('playbooks');
  const parent = shipped.find((candidate) => candidate.name === 'attack-sequence-ec2')!;
  const child = shipped.find((candidate) => candidate.name === 'attack-sequence-ec2-instance')!;
  const modeOfChild = (playbooks: Parameters<typeof withParentsTrial>[0]) => withParentsTrial(playbooks).find((entry) => entry.name === child.name)?.mode;

  it('tried (rereview-rails): a child keeps enforce while any parent enforces, or when no deployed playbook starts it; only dry-run parents make it dry-run', () => {
    expect(modeOfChild([parent, child])).toBe('enforce');
    expect(modeOfChild([child])).toBe('enforce');
    expect(modeOfChild([{ ...parent, mode: 'dry-run' }, child])).toBe('dry-run');
    expect(modeOfChild([{ ...parent, mode: 'dry-run' }, { ...parent, name: 'second-parent' }, child])).toBe('enforce');
    expect(modeOfChild([{ ...parent, mode: 'dry-run' }, { ...parent, name: 'second-parent', mode: 'dry-run' }, child])).toBe('dry-run');
    // The other playbooks are returned as they were.
    const others = withParentsTrial(shipped).filter((entry) => entry.name !== child.name);
    expect(others).toEqual(shipped.filter((entry) => entry.name !== child.name));
  });

  it('tried (rereview-two): a child with a match block is never routed by triage, so only its parents start it; a chain of children follows its dry-run root; the parents\' own modes never change', () => {
    // The shipped child carries a match block (AttackSequence:EC2/*): triage still leaves it out.
    expect(child.match).toBeDefined();
    const table = routingTableFor(withParentsTrial([{ ...parent, mode: 'dry-run' }, child]), { forceDryRun: false });
    expect(table.playbooks.map((entry) => entry.name)).toEqual([parent.name]);
    // A child that starts a grandchild: the dry-run root makes both dry-run, in one pass or several.
    const middle = { ...child, name: 'middle-child', steps: parent.steps.map((step) => (step.kind === 'action' && step.action === PER_INSTANCE_ACTION ? { ...step, with: { ...step.with, playbook: child.name } } : step)) };
    const root = { ...parent, mode: 'dry-run' as const, steps: parent.steps.map((step) => (step.kind === 'action' && step.action === PER_INSTANCE_ACTION ? { ...step, with: { ...step.with, playbook: 'middle-child' } } : step)) };
    const deployed = withParentsTrial([child, middle, root]);
    expect(deployed.map((entry) => [entry.name, entry.mode])).toEqual([[child.name, 'dry-run'], ['middle-child', 'dry-run'], [parent.name, 'dry-run']]);
    // An enforce root keeps the chain in enforce; nothing ever turns a dry-run playbook to enforce.
    expect(withParentsTrial([child, middle, { ...root, mode: 'enforce' }]).map((entry) => entry.mode)).toEqual(['enforce', 'enforce', 'enforce']);
    expect(withParentsTrial([{ ...child, mode: 'dry-run' }, { ...parent }]).map((entry) => entry.mode)).toEqual(['dry-run', 'enforce']);
  });
});
