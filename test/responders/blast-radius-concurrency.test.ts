/**
 * The blast-radius counter under concurrent executions. An in-memory state table stands in for
 * DynamoDB: it evaluates each PutItem's ConditionExpression and writes in one synchronous step, as
 * DynamoDB does, while fast-check's scheduler interleaves every read and write of the racing
 * executions in many different orders.
 */
import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { AttributeValue, BatchGetItemCommandInput, PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoDbBlastRadiusLimiter } from '../../lib/responders/blast-radius';
import type { BlastRadiusDecision } from '../../lib/responders/blast-radius';

type Item = Record<string, AttributeValue>;

function compare(left: AttributeValue | undefined, op: string, right: AttributeValue): boolean {
  if (left === undefined) return false;
  const [a, b] =
    left.N !== undefined && right.N !== undefined ? [Number(left.N), Number(right.N)] : [left.S, right.S];
  if (a === undefined || b === undefined) return false;
  switch (op) {
    case '=':
      return a === b;
    case '<=':
      return a <= b;
    case '<':
      return a < b;
    case '>=':
      return a >= b;
    case '>':
      return a > b;
    default:
      throw new Error(`fake table: unsupported operator ${op}`);
  }
}


/** Evaluates the `a OR (b AND c) OR d` conditions the limiter writes; anything else fails the test loudly. */
function conditionHolds(expression: string, old: Item | undefined, values: Item): boolean {
  return expression.split(' OR ').some((term) => {
    const all = /^\((.*)\)$/.exec(term.trim());
    if (all) return all[1]!.split(' AND ').every((part) => termHolds(part, old, values));
    return termHolds(term, old, values);
  });
}

function termHolds(term: string, old: Item | undefined, values: Item): boolean {
  const notExists = /^attribute_not_exists\((\w+)\)$/.exec(term.trim());
  if (notExists) return old?.[notExists[1]!] === undefined;
  // DynamoDB's attribute_type is false for a missing attribute, so its NOT is true.
  const notType = /^NOT attribute_type\((\w+), (:\w+)\)$/.exec(term.trim());
  if (notType) {
    const type = values[notType[2]!]?.S;
    if (type === undefined) throw new Error(`fake table: no type for ${notType[2]}`);
    const attribute = old?.[notType[1]!];
    return attribute === undefined || !(type in attribute);
  }
  const comparison = /^(\w+) (<=|>=|=|<|>) (:\w+)$/.exec(term.trim());
  if (!comparison) throw new Error(`fake table: unsupported condition term "${term}"`);
  const value = values[comparison[3]!];
  if (!value) throw new Error(`fake table: no value for ${comparison[3]}`);
  return compare(old?.[comparison[1]!], comparison[2]!, value);
}

/** A one-table DynamoDB with atomic conditional puts; `turn` lets the scheduler interleave calls. */
class FakeStateTable {
  readonly items = new Map<string, Item>();
  constructor(private readonly turn: () => Promise<void>) {}

  async batchGet(input: BatchGetItemCommandInput) {
    await this.turn();
    const [table, request] = Object.entries(input.RequestItems ?? {})[0]!;
    const found = (request.Keys ?? []).map((key) => this.items.get(key.pk!.S!)).filter((item): item is Item => !!item);
    return { Responses: { [table]: found.map((item) => ({ ...item })) }, UnprocessedKeys: {} };
  }

  async put(input: PutItemCommandInput) {
    await this.turn();
    // From here to the return nothing awaits: condition and write are one atomic step.
    const pk = input.Item!.pk!.S!;
    const old = this.items.get(pk);
    if (input.ConditionExpression && !conditionHolds(input.ConditionExpression, old, input.ExpressionAttributeValues ?? {})) {
      throw new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        ...(old && input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' ? { Item: { ...old } } : {}),
      });
    }
    this.items.set(pk, { ...input.Item! });
    return old && input.ReturnValues === 'ALL_OLD' ? { Attributes: { ...old } } : {};
  }
}

const ddb = mockClient(DynamoDBClient);
afterEach(() => ddb.reset());

const ACCOUNT = '111122223333';
const NOW = new Date('2026-11-20T10:00:00.000Z');

function wire(table: FakeStateTable, maxContainments: number): DynamoDbBlastRadiusLimiter {
  ddb.reset();
  ddb.on(BatchGetItemCommand).callsFake((input: BatchGetItemCommandInput) => table.batchGet(input));
  ddb.on(PutItemCommand).callsFake((input: PutItemCommandInput) => table.put(input));
  return new DynamoDbBlastRadiusLimiter(new DynamoDBClient({}), 'firebreak-state', { maxContainments, windowSeconds: 3600 });
}

function grantedSlots(decisions: readonly BlastRadiusDecision[]): number[] {
  return decisions.flatMap((decision) => (decision.granted ? [decision.slot] : []));
}

describe('the fake state table', () => {
  it('refuses a put whose condition does not hold, so the race tests below can fail', async () => {
    const table = new FakeStateTable(async () => undefined);
    const put = (incidentKey: string) =>
      table.put({
        TableName: 't',
        Item: { pk: { S: 'blast#1#0' }, expiresAt: { N: '200' }, incidentKey: { S: incidentKey } },
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now OR incidentKey = :incidentKey',
        ExpressionAttributeValues: { ':now': { N: '100' }, ':incidentKey': { S: incidentKey } },
      });
    await put('gd-first');
    await expect(put('gd-second')).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    await expect(put('gd-first')).resolves.toBeDefined();
  });
});

describe('DynamoDbBlastRadiusLimiter under concurrent executions', () => {
  it('grants exactly N=3 of 10 concurrent incidents, in every interleaving tried', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), async (s) => {
        const table = new FakeStateTable(() => s.schedule(Promise.resolve()));
        const limiter = wire(table, 3);
        const incidents = Array.from({ length: 10 }, (_, i) => `gd-concurrent-${i}`);

        const decisions = await s.waitFor(Promise.all(incidents.map((key) => limiter.acquire(ACCOUNT, key, NOW))));

        const granted = decisions.filter((decision) => decision.granted);
        expect(granted).toHaveLength(3);
        expect(new Set(grantedSlots(decisions)).size).toBe(3);
        expect(table.items.size).toBe(3);
        // The table holds exactly the granted incidents; every denial says the window is full.
        const holders = [...table.items.values()].map((item) => item.incidentKey!.S).sort();
        expect(holders).toEqual(incidents.filter((_, i) => decisions[i]!.granted).sort());
        for (const decision of decisions) {
          if (!decision.granted) expect(decision).toMatchObject({ used: 3, limit: 3, retryAfterSeconds: 3600 });
        }
      }),
      { numRuns: 100 },
    );
  });

  it('never gives one incident two slots when two executions of it race other incidents', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), async (s) => {
        const table = new FakeStateTable(() => s.schedule(Promise.resolve()));
        const limiter = wire(table, 3);
        const keys = ['gd-twice', 'gd-twice', 'gd-other-1', 'gd-other-2', 'gd-other-3'];

        const decisions = await s.waitFor(Promise.all(keys.map((key) => limiter.acquire(ACCOUNT, key, NOW))));

        const twiceHolds = [...table.items.values()].filter((item) => item.incidentKey!.S === 'gd-twice');
        expect(twiceHolds.length).toBeLessThanOrEqual(1);
        expect(decisions[0]!.granted).toBe(decisions[1]!.granted);
        if (decisions[0]!.granted && decisions[1]!.granted) expect(decisions[0]!.slot).toBe(decisions[1]!.slot);
        expect(table.items.size).toBeLessThanOrEqual(3);
      }),
      { numRuns: 100 },
    );
  });

  it('ATTACK (review-pause): two executions under one incident key, each about another resource, never share one slot, in every interleaving tried', async () => {
    // The key is the execution input's (states:StartExecution chooses it): the condition that lets a
    // concurrent run of the same incident keep its slot must not let another resource take it over.
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), async (s) => {
        const table = new FakeStateTable(() => s.schedule(Promise.resolve()));
        const limiter = wire(table, 1);
        const targets = ['eu-west-1/i-0aaaaaaaaaaaaaaaa', 'eu-west-1/i-0bbbbbbbbbbbbbbbb'];

        const decisions = await s.waitFor(Promise.all(targets.map((target) => limiter.acquire(ACCOUNT, 'gd-reused-key', NOW, 'real', target))));

        expect(decisions.filter((decision) => decision.granted)).toHaveLength(1);
        expect(table.items.size).toBe(1);
      }),
      { numRuns: 100 },
    );
  });

  it('frees a slot only when its hold expires: a later incident reuses it once the window has passed', async () => {
    const table = new FakeStateTable(async () => undefined);
    const limiter = wire(table, 1);
    expect((await limiter.acquire(ACCOUNT, 'gd-first', NOW)).granted).toBe(true);
    const justBefore = new Date(NOW.getTime() + 3599_000);
    expect((await limiter.acquire(ACCOUNT, 'gd-second', justBefore)).granted).toBe(false);
    const atExpiry = new Date(NOW.getTime() + 3600_000);
    expect(await limiter.acquire(ACCOUNT, 'gd-second', atExpiry)).toMatchObject({ granted: true, slot: 0, used: 1 });
  });

  it('ATTACK: grants exactly N=3 of 10 concurrent incidents when every slot starts held by an item nothing bounds, or one whose far expiry outlived its window', async () => {
    // Before review guard-review these held their slots for good: every incident was denied.
    const seeded = (): [string, Item][] => [
      ['blast#111122223333#0', { pk: { S: 'blast#111122223333#0' }, incidentKey: { S: 'gd-no-expiry' } }],
      ['blast#111122223333#1', { pk: { S: 'blast#111122223333#1' }, incidentKey: { S: 'gd-a-year' }, expiresAt: { N: String(NOW.getTime() / 1000 + 365 * 86400) } }],
      ['blast#111122223333#2', { pk: { S: 'blast#111122223333#2' }, incidentKey: { S: 'gd-old' }, acquiredAt: { S: '2026-11-20T08:59:00.000Z' }, expiresAt: { N: String(NOW.getTime() / 1000 + 365 * 86400) } }],
    ];
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), async (s) => {
        const table = new FakeStateTable(() => s.schedule(Promise.resolve()));
        for (const [pk, item] of seeded()) table.items.set(pk, item);
        const limiter = wire(table, 3);
        const incidents = Array.from({ length: 10 }, (_, i) => `gd-concurrent-${i}`);

        const decisions = await s.waitFor(Promise.all(incidents.map((key) => limiter.acquire(ACCOUNT, key, NOW))));

        expect(decisions.filter((decision) => decision.granted)).toHaveLength(3);
        const holders = [...table.items.values()].map((item) => item.incidentKey!.S).sort();
        expect(holders).toEqual(incidents.filter((_, i) => decisions[i]!.granted).sort());
      }),
      { numRuns: 100 },
    );
  });

  it("refuses to take a hold the limiter wrote while it counts, under the bounds' terms of the condition too", async () => {
    const table = new FakeStateTable(async () => undefined);
    const limiter = wire(table, 1);
    expect((await limiter.acquire(ACCOUNT, 'gd-first', NOW)).granted).toBe(true);
    // A second later, and a second before its window ends: the bounds terms free none of it.
    for (const later of [1000, 3599_000]) {
      expect((await limiter.acquire(ACCOUNT, 'gd-second', new Date(NOW.getTime() + later))).granted, String(later)).toBe(false);
    }
  });
});
