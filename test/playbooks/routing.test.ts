import { describe, expect, it } from 'vitest';
import type { Playbook } from '../../lib/playbooks/model';
import { parseRoutingTable, RoutingTableError, routingTableFor } from '../../lib/playbooks/routing';

function playbook(name: string, priority: number, overrides: Partial<Playbook> = {}): Playbook {
  return {
    name,
    description: 'd',
    priority,
    mode: 'enforce',
    match: { sources: ['guardduty'] },
    steps: [
      {
        kind: 'parallel',
        id: 'contain-and-preserve',
        branches: [
          { kind: 'action', id: 'contain', action: 'quarantine-instance', with: {} },
          { kind: 'action', id: 'preserve', action: 'snapshot-volumes', with: {} },
        ],
      },
      { kind: 'action', id: 'alert', action: 'notify', with: {} },
    ],
    file: `playbooks/${name}.yaml`,
    ...overrides,
  };
}

const arn = (name: string) => `arn:aws:states:eu-west-1:111122223333:stateMachine:${name}`;

describe('routingTableFor', () => {
  it('orders playbooks highest priority first, then by name, with flattened action names', () => {
    const table = routingTableFor(
      [playbook('zeta', 10), playbook('alpha', 10), playbook('top', 300)],
      { zeta: arn('zeta'), alpha: arn('alpha'), top: arn('top') },
      { forceDryRun: true },
    );
    expect(table.playbooks.map((p) => p.name)).toEqual(['top', 'alpha', 'zeta']);
    expect(table.playbooks[0]).toEqual({
      name: 'top',
      priority: 300,
      mode: 'enforce',
      match: { sources: ['guardduty'] },
      steps: ['quarantine-instance', 'snapshot-volumes', 'notify'],
      stateMachineArn: arn('top'),
    });
    expect(table.settings).toEqual({ forceDryRun: true });
  });

  it('leaves trigger: manual playbooks out (triage never starts them), and needs no ARN for them', () => {
    const release = playbook('release', 500, { trigger: 'manual' });
    const table = routingTableFor([release, playbook('contain', 10)], { contain: arn('contain') }, { forceDryRun: false });
    expect(table.playbooks.map((p) => p.name)).toEqual(['contain']);
    const automatic = routingTableFor([{ ...release, trigger: 'automatic' }], { release: arn('release') }, { forceDryRun: false });
    expect(automatic.playbooks.map((p) => p.name)).toEqual(['release']);
  });

  it('refuses a playbook without a state machine ARN', () => {
    expect(() => routingTableFor([playbook('orphan', 1)], {}, { forceDryRun: false })).toThrow(
      new RoutingTableError("no state machine ARN for playbook 'orphan'"),
    );
  });
});

describe('parseRoutingTable', () => {
  const table = routingTableFor([playbook('b', 1), playbook('a', 2)], { a: arn('a'), b: arn('b') }, { forceDryRun: false });

  it('accepts a table that went through JSON (the Lambda payload) unchanged, sorted', () => {
    expect(parseRoutingTable(JSON.parse(JSON.stringify(table)))).toEqual(table);
  });

  it('refuses a malformed table with RoutingTableError naming the field', () => {
    const bad = JSON.parse(JSON.stringify(table)) as { playbooks: { mode: string }[] };
    bad.playbooks[0]!.mode = 'yolo';
    expect(() => parseRoutingTable(bad)).toThrow(RoutingTableError);
    expect(() => parseRoutingTable(bad)).toThrow(/playbooks\.0\.mode/);
    expect(() => parseRoutingTable({ playbooks: [] })).toThrow(/settings/);
    expect(() => parseRoutingTable(null)).toThrow(RoutingTableError);
  });

  it('refuses an impossible severity range in the table', () => {
    const bad = JSON.parse(JSON.stringify(table)) as { playbooks: { match: Record<string, unknown> }[] };
    bad.playbooks[0]!.match.severity = { min: 8, max: 2 };
    expect(() => parseRoutingTable(bad)).toThrow(/min must not exceed max/);
  });
});
