import { describe, expect, it } from 'vitest';
import type { Playbook } from '../../lib/playbooks/model';
import { deflateRawSync } from 'node:zlib';
import { SECURITY_ENV } from '../../lib/contracts/security';
import {
  encodeRoutingTable,
  parseRoutingTable,
  routedPlaybookNames,
  routingEnvironment,
  routingEnvironmentValue,
  RoutingTableError,
  routingTableFor,
  routingTableFromEnvironment,
} from '../../lib/playbooks/routing';

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

describe('routingTableFor', () => {
  it('orders playbooks highest priority first, then by name, with flattened action names', () => {
    const table = routingTableFor([playbook('zeta', 10), playbook('alpha', 10), playbook('top', 300)], { forceDryRun: true });
    expect(table.playbooks.map((p) => p.name)).toEqual(['top', 'alpha', 'zeta']);
    expect(table.playbooks.map((p) => p.index)).toEqual([0, 1, 2]);
    expect(routedPlaybookNames(table)).toEqual(['top', 'alpha', 'zeta']);
    expect(table.playbooks[0]).toEqual({
      name: 'top',
      priority: 300,
      mode: 'enforce',
      match: { sources: ['guardduty'] },
      steps: ['quarantine-instance', 'snapshot-volumes', 'notify'],
      index: 0,
    });
    expect(table.settings).toEqual({ forceDryRun: true });
  });

  it('leaves trigger: manual playbooks out (triage never starts them, the dispatcher lists no ARN of theirs)', () => {
    const release = playbook('release', 500, { trigger: 'manual' });
    const table = routingTableFor([release, playbook('contain', 10)], { forceDryRun: false });
    expect(table.playbooks.map((p) => [p.name, p.index])).toEqual([['contain', 0]]);
    const automatic = routingTableFor([{ ...release, trigger: 'automatic' }], { forceDryRun: false });
    expect(automatic.playbooks.map((p) => p.name)).toEqual(['release']);
  });
});

describe('parseRoutingTable', () => {
  const table = routingTableFor([playbook('b', 1), playbook('a', 2)], { forceDryRun: false });
  const encoded = () => JSON.parse(JSON.stringify(encodeRoutingTable(table))) as { playbooks: Record<string, unknown>[]; settings: unknown };

  it('accepts a table that went through JSON unchanged, each playbook at the index of its position', () => {
    expect(encoded().playbooks.map((p) => p.name)).toEqual(['a', 'b']);
    expect(encoded().playbooks[0]).not.toHaveProperty('index');
    expect(parseRoutingTable(encoded())).toEqual(table);
  });

  it('tries the playbooks by priority whatever order they are written in, each keeping its index', () => {
    const reversed = encoded();
    reversed.playbooks.reverse();
    expect(parseRoutingTable(reversed).playbooks.map((p) => [p.name, p.index])).toEqual([
      ['a', 1],
      ['b', 0],
    ]);
  });

  it('refuses a table that lists a playbook twice, or writes an index of its own', () => {
    const twice = encoded();
    twice.playbooks.push(twice.playbooks[0]!);
    expect(() => parseRoutingTable(twice)).toThrow(new RoutingTableError('malformed routing table: a playbook is listed twice'));
    const indexed = encoded();
    indexed.playbooks[0]!.index = 1;
    expect(() => parseRoutingTable(indexed)).toThrow(/playbooks\.0/);
  });

  it('refuses a malformed table with RoutingTableError naming the field', () => {
    const bad = encoded() as unknown as { playbooks: { mode: string }[] };
    bad.playbooks[0]!.mode = 'yolo';
    expect(() => parseRoutingTable(bad)).toThrow(RoutingTableError);
    expect(() => parseRoutingTable(bad)).toThrow(/playbooks\.0\.mode/);
    expect(() => parseRoutingTable({ playbooks: [] })).toThrow(/settings/);
    expect(() => parseRoutingTable(null)).toThrow(RoutingTableError);
  });

  it('refuses an impossible severity range in the table', () => {
    const bad = encoded() as unknown as { playbooks: { match: Record<string, unknown> }[] };
    bad.playbooks[0]!.match.severity = { min: 8, max: 2 };
    expect(() => parseRoutingTable(bad)).toThrow(/min must not exceed max/);
  });
});

describe('the routing table in the triage function\'s environment', () => {
  const table = routingTableFor([playbook('b', 1), playbook('a', 2), playbook('release', 9, { trigger: 'manual' })], { forceDryRun: true });

  it('is written deflated and in base64, and read back as it was written', () => {
    const environment = routingEnvironment(table);
    expect(Object.keys(environment)).toEqual([SECURITY_ENV.routingTable]);
    expect(environment[SECURITY_ENV.routingTable]).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(routingTableFromEnvironment(environment)).toEqual(table);
    expect(routingEnvironmentValue(table).length).toBeLessThan(JSON.stringify(encodeRoutingTable(table)).length);
  });

  it('refuses a missing, undecodable or malformed table with RoutingTableError, a deployment error', () => {
    expect(() => routingTableFromEnvironment({})).toThrow(new RoutingTableError('no routing table: FIREBREAK_ROUTING_TABLE is not set'));
    expect(() => routingTableFromEnvironment({ [SECURITY_ENV.routingTable]: 'not deflate' })).toThrow(/FIREBREAK_ROUTING_TABLE is not base64 of deflated JSON/);
    const malformed = deflateRawSync(Buffer.from(JSON.stringify({ playbooks: [{ name: 'x' }], settings: { forceDryRun: false } }))).toString('base64');
    expect(() => routingTableFromEnvironment({ [SECURITY_ENV.routingTable]: malformed })).toThrow(/malformed routing table: playbooks\.0\.priority/);
  });
});
