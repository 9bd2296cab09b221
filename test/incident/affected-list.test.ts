import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { payloadBytes } from '../../lib/contracts/payload-size';
import { AFFECTED_BUDGET, AffectedResourceList } from '../../lib/incident/affected';
import type { AffectedResource } from '../../lib/incident/model';

const HOME = { account: '111122223333', region: 'eu-west-1' } as const;

const instance = (index: number, from: string): AffectedResource => ({ kind: 'ec2-instance', from, instanceId: `i-${index.toString(16).padStart(17, '0')}` });

/**
 * A list whose budget has `room` bytes left: instances with a padded `from` (where the event named
 * them) until the next would not fit, then one sized to leave exactly `room`.
 */
function listWithRoom(room: number): AffectedResourceList {
  const list = new AffectedResourceList(false, HOME);
  const filler = (index: number, bytes: number): AffectedResource => {
    const bare = payloadBytes(instance(index, ''));
    return instance(index, 'x'.repeat(bytes - bare));
  };
  let used = 0;
  let index = 1;
  while (AFFECTED_BUDGET - used - room > 2_000) {
    const entry = filler(index, 1_000);
    list.add(entry);
    used += payloadBytes(entry);
    index += 1;
  }
  const last = filler(index, AFFECTED_BUDGET - used - room);
  list.add(last);
  expect(list.resources).toHaveLength(index);
  return list;
}

describe('AffectedResourceList: what it names as left out', () => {
  it('names an instance left out for its size and kept later by a smaller entry nowhere as left out, nor counts it (a false "NOT CONTAINED")', () => {
    const list = listWithRoom(200);
    const id = 999;
    const long = instance(id, `service.detection.sequence.resources[7].data.autoscalingAutoScalingGroup.ec2InstanceUids[3]${'.'.repeat(150)}`);
    const short = instance(id, 'service.detection.sequence.resources[9]');
    expect(payloadBytes(long)).toBeGreaterThan(200);
    expect(payloadBytes(short)).toBeLessThanOrEqual(200);

    list.add(long);
    expect(list.leftOut).toEqual([{ kind: 'ec2-instance', id: (long as { instanceId: string }).instanceId }]);
    expect(list.omitted).toBe(1);

    list.add(short);
    expect(list.resources.at(-1)).toEqual(short);
    expect(list.leftOut).toEqual([]);
    expect(list.omitted).toBe(0);
  });

  it('keeps naming an instance that was left out and never kept, and one left out twice is counted twice and named once', () => {
    const list = listWithRoom(100);
    const big = instance(0xa5, 'y'.repeat(300));
    list.add(big);
    list.add({ ...big, from: 'z'.repeat(300) });
    expect(list.leftOut).toEqual([{ kind: 'ec2-instance', id: (big as { instanceId: string }).instanceId }]);
    expect(list.omitted).toBe(2);
  });

  it('the same instance named with the home account spelt out is the one left out without it', () => {
    const list = listWithRoom(200);
    list.add(instance(0xa7, 'w'.repeat(400)));
    list.add({ ...instance(0xa7, 'short'), account: HOME.account, region: HOME.region });
    expect(list.leftOut).toEqual([]);
    expect(list.omitted).toBe(0);
  });

  it('names as left out exactly the instances added and not kept, whatever the order and sizes of their entries', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ id: fc.integer({ min: 1, max: 40 }), pad: fc.oneof(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 1_000, max: 4_000 })) }), { minLength: 30, maxLength: 120, size: 'max' }), (entries) => {
        const list = new AffectedResourceList(false, HOME);
        for (const { id, pad } of entries) list.add(instance(id, 'p'.repeat(pad)));
        const kept = new Set(list.resources.map((resource) => (resource as { instanceId: string }).instanceId));
        const added = new Set(entries.map(({ id }) => (instance(id, '') as { instanceId: string }).instanceId));
        const named = list.leftOut.map((left) => left.id);
        expect(named.filter((id) => kept.has(id))).toEqual([]);
        expect(new Set(named)).toEqual(new Set([...added].filter((id) => !kept.has(id))));
        expect(list.omitted).toBeGreaterThanOrEqual(named.length);
      }),
    );
  });
});
