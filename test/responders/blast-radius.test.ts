import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DynamoDBClient,
  PutItemCommand,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-dynamodb';
import type { AttributeValue, PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DynamoDbBlastRadiusLimiter,
  assertBlastRadiusPolicy,
  blastRadiusSlotKey,
  holdFromItem,
  planAcquisition,
  startSlot,
} from '../../lib/responders/blast-radius';
import type { ContainmentHold } from '../../lib/responders/blast-radius';
import { ResponderAccessDeniedError, ResponderFailedError, TransientResponderError } from '../../lib/contracts/responder-errors';

const TABLE = 'firebreak-state';
const ACCOUNT = '111122223333';
const NOW = new Date('2026-11-20T10:00:00.000Z');
const NOW_S = NOW.getTime() / 1000;
const WINDOW = 3600;
const KEY = 'gd-incident-under-test';

const ddb = mockClient(DynamoDBClient);
/** What the limiter of these tests judges slot items against. */
const READING = { nowSeconds: NOW_S, windowSeconds: WINDOW };

function limiter(maxContainments = 3): DynamoDbBlastRadiusLimiter {
  return new DynamoDbBlastRadiusLimiter(new DynamoDBClient({}), TABLE, { maxContainments, windowSeconds: WINDOW });
}

function slotItem(slot: number, incidentKey: string, expiresAt: number): Record<string, AttributeValue> {
  return {
    pk: { S: blastRadiusSlotKey(ACCOUNT, slot) },
    expiresAt: { N: String(expiresAt) },
    incidentKey: { S: incidentKey },
    acquiredAt: { S: new Date((expiresAt - WINDOW) * 1000).toISOString() },
    ttl: { N: String(expiresAt) },
  };
}

function expectedPut(slot: number, incidentKey = KEY, target?: string): PutItemCommandInput {
  return {
    TableName: TABLE,
    Item: {
      pk: { S: `blast#${ACCOUNT}#${slot}` },
      expiresAt: { N: String(NOW_S + WINDOW) },
      incidentKey: { S: incidentKey },
      ...(target !== undefined ? { target: { S: target } } : {}),
      acquiredAt: { S: '2026-11-20T10:00:00.000Z' },
      ttl: { N: String(NOW_S + WINDOW) },
    },
    // The incident's own hold only for the same resource (ATTACK (review-pause)).
    ConditionExpression: `attribute_not_exists(pk) OR expiresAt <= :now OR (incidentKey = :incidentKey AND ${target !== undefined ? 'target = :target' : 'attribute_not_exists(target)'}) OR acquiredAt < :windowStart OR expiresAt > :latestExpiry OR NOT attribute_type(expiresAt, :number)`,
    ExpressionAttributeValues: {
      ':now': { N: String(NOW_S) },
      ':incidentKey': { S: incidentKey },
      ...(target !== undefined ? { ':target': { S: target } } : {}),
      // One second after now - W: a write time before it ended its window by now.
      ':windowStart': { S: '2026-11-20T09:00:01.000Z' },
      ':latestExpiry': { N: String(NOW_S + WINDOW + 300) },
      ':number': { S: 'N' },
    },
    ReturnValues: 'ALL_OLD',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

const expectedRead = (n = 3) => ({
  RequestItems: {
    [TABLE]: {
      Keys: Array.from({ length: n }, (_, slot) => ({ pk: { S: `blast#${ACCOUNT}#${slot}` } })),
      ConsistentRead: true,
    },
  },
});

function conditionFailed(item?: Record<string, AttributeValue>): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(item ? { Item: item } : {}),
  });
}

const start = startSlot(KEY, 3);
const next = (start + 1) % 3;
const last = (start + 2) % 3;

beforeEach(() => ddb.reset());
afterEach(() => ddb.reset());

describe('startSlot', () => {
  it('is deterministic and stays within 0..N-1', () => {
    for (const key of ['a', 'gd-1', 'gd-7ab9d1b3c0e24f8a9e0d1c2b3a4f5e6d', 'x'.repeat(64)]) {
      const slot = startSlot(key, 5);
      expect(slot).toBe(startSlot(key, 5));
      expect(slot).toBeGreaterThanOrEqual(0);
      expect(slot).toBeLessThan(5);
    }
  });

  it('spreads different incidents over the slots instead of piling them on slot 0', () => {
    const starts = new Set(Array.from({ length: 50 }, (_, i) => startSlot(`gd-incident-${i}`, 5)));
    expect(starts.size).toBe(5);
  });
});

describe('planAcquisition', () => {
  const hold = (slot: number, incidentKey: string, expiresAt: number): ContainmentHold => ({ slot, incidentKey, expiresAt });

  it('tries every slot from the start slot when none is held', () => {
    const plan = planAcquisition([], KEY, NOW_S, 3);
    expect(plan).toEqual({ kind: 'try-slots', order: [start, next, last], active: [] });
  });

  it('skips slots held by other incidents but not expired ones', () => {
    const plan = planAcquisition([hold(start, 'gd-other', NOW_S + 10), hold(next, 'gd-old', NOW_S)], KEY, NOW_S, 3);
    expect(plan).toEqual({ kind: 'try-slots', order: [next, last], active: [hold(start, 'gd-other', NOW_S + 10)] });
  });

  it('recognises a slot the incident already holds, so a re-run takes no second one', () => {
    const plan = planAcquisition([hold(last, KEY, NOW_S + 5)], KEY, NOW_S, 3);
    expect(plan).toEqual({ kind: 'already-held', hold: hold(last, KEY, NOW_S + 5), active: [hold(last, KEY, NOW_S + 5)] });
  });

  it('does not count an expired hold of the incident as held', () => {
    const plan = planAcquisition([hold(last, KEY, NOW_S)], KEY, NOW_S, 3);
    expect(plan.kind).toBe('try-slots');
  });

  it('is full when every slot is held by another incident', () => {
    const holds = [hold(0, 'a', NOW_S + 1), hold(1, 'b', NOW_S + 2), hold(2, 'c', NOW_S + 3)];
    expect(planAcquisition(holds, KEY, NOW_S, 3)).toEqual({ kind: 'full', active: holds });
  });

  it('ATTACK: grants under the hold of another incident about the same resource, even when every slot is held', () => {
    const holds = [{ ...hold(0, 'a', NOW_S + 1), target: 'eu-west-1/i-0123456789abcdef0' }, hold(1, 'b', NOW_S + 2), hold(2, 'c', NOW_S + 3)];
    expect(planAcquisition(holds, KEY, NOW_S, 3, 'eu-west-1/i-0123456789abcdef0')).toEqual({ kind: 'same-target', hold: holds[0], active: holds });
  });

  it('counts another resource, an expired hold of the same one, or no target at all as no shared hold', () => {
    const holds = [{ ...hold(0, 'a', NOW_S + 1), target: 'eu-west-1/i-0123456789abcdef0' }, { ...hold(1, 'b', NOW_S), target: 'eu-west-1/i-0fedcba9876543210' }];
    expect(planAcquisition(holds, KEY, NOW_S, 3, 'eu-west-1/i-0fedcba9876543210').kind).toBe('try-slots');
    expect(planAcquisition(holds, KEY, NOW_S, 3, 'us-east-1/i-0123456789abcdef0').kind).toBe('try-slots');
    expect(planAcquisition(holds, KEY, NOW_S, 3).kind).toBe('try-slots');
  });
});

describe('assertBlastRadiusPolicy', () => {
  it('accepts integers within range', () => {
    expect(() => assertBlastRadiusPolicy({ maxContainments: 100, windowSeconds: 1 })).not.toThrow();
  });

  it.each([
    [{ maxContainments: 0, windowSeconds: 60 }],
    [{ maxContainments: 101, windowSeconds: 60 }],
    [{ maxContainments: 2.5, windowSeconds: 60 }],
    [{ maxContainments: 3, windowSeconds: 0 }],
  ])('refuses %j', (policy) => {
    expect(() => assertBlastRadiusPolicy(policy)).toThrow(RangeError);
  });
});

describe('DynamoDbBlastRadiusLimiter.acquire', () => {
  it('reads every slot consistently, then takes the start slot with a conditional put', async () => {
    ddb.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [] } });
    ddb.on(PutItemCommand).resolves({});

    const decision = await limiter().acquire(ACCOUNT, KEY, NOW);

    expect(ddb.commandCalls(BatchGetItemCommand).map((c) => c.args[0].input)).toEqual([expectedRead()]);
    expect(ddb.commandCalls(PutItemCommand).map((c) => c.args[0].input)).toEqual([expectedPut(start)]);
    expect(decision).toEqual({
      granted: true,
      slot: start,
      alreadyHeld: false,
      used: 1,
      limit: 3,
      windowSeconds: WINDOW,
      expiresAt: '2026-11-20T11:00:00.000Z',
      activeIncidents: [{ slot: start, incidentKey: KEY, acquiredAt: NOW.toISOString(), expiresAt: NOW_S + WINDOW }],
    });
  });

  it('moves to the next slot when the conditional put loses a race, and counts the winner', async () => {
    ddb.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [] } });
    ddb.on(PutItemCommand, expectedPut(start)).rejects(conditionFailed(slotItem(start, 'gd-racer', NOW_S + 100)));
    ddb.on(PutItemCommand, expectedPut(next)).resolves({});

    const decision = await limiter().acquire(ACCOUNT, KEY, NOW);

    expect(ddb.commandCalls(PutItemCommand).map((c) => c.args[0].input)).toEqual([expectedPut(start), expectedPut(next)]);
    expect(decision).toMatchObject({ granted: true, slot: next, alreadyHeld: false, used: 2 });
  });

  it('reuses an expired slot (the condition allows expiresAt <= now) and reports its previous holder gone', async () => {
    ddb.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [slotItem(start, 'gd-old', NOW_S)] } });
    ddb.on(PutItemCommand).resolves({ Attributes: slotItem(start, 'gd-old', NOW_S) });

    const decision = await limiter().acquire(ACCOUNT, KEY, NOW);

    expect(ddb.commandCalls(PutItemCommand).map((c) => c.args[0].input)).toEqual([expectedPut(start)]);
    expect(decision).toMatchObject({ granted: true, slot: start, alreadyHeld: false, used: 1 });
  });

  it('grants an incident that already holds a slot again without writing anything', async () => {
    ddb.on(BatchGetItemCommand).resolves({
      Responses: { [TABLE]: [slotItem(last, KEY, NOW_S + 600), slotItem(start, 'gd-other', NOW_S + 900)] },
    });

    const decision = await limiter().acquire(ACCOUNT, KEY, NOW);

    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(0);
    expect(decision).toMatchObject({
      granted: true,
      slot: last,
      alreadyHeld: true,
      used: 2,
      expiresAt: new Date((NOW_S + 600) * 1000).toISOString(),
    });
  });

  it('says alreadyHeld when a concurrent run of the same incident wrote the slot between the read and the put', async () => {
    ddb.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [] } });
    ddb.on(PutItemCommand).resolves({ Attributes: slotItem(start, KEY, NOW_S + WINDOW) });

    const decision = await limiter().acquire(ACCOUNT, KEY, NOW);

    expect(decision).toMatchObject({ granted: true, slot: start, alreadyHeld: true, used: 1 });
  });

  it('denies without writing when every slot is held, naming the holders and when the first frees up', async () => {
    ddb.on(BatchGetItemCommand).resolves({
      Responses: {
        [TABLE]: [slotItem(0, 'gd-a', NOW_S + 300), slotItem(1, 'gd-b', NOW_S + 120), slotItem(2, 'gd-c', NOW_S + 900)],
      },
    });

    const decision = await limiter().acquire(ACCOUNT, KEY, NOW);

    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(0);
    expect(decision).toEqual({
      granted: false,
      used: 3,
      limit: 3,
      windowSeconds: WINDOW,
      activeIncidents: [
        { slot: 0, incidentKey: 'gd-a', acquiredAt: new Date((NOW_S + 300 - WINDOW) * 1000).toISOString(), expiresAt: NOW_S + 300 },
        { slot: 1, incidentKey: 'gd-b', acquiredAt: new Date((NOW_S + 120 - WINDOW) * 1000).toISOString(), expiresAt: NOW_S + 120 },
        { slot: 2, incidentKey: 'gd-c', acquiredAt: new Date((NOW_S + 900 - WINDOW) * 1000).toISOString(), expiresAt: NOW_S + 900 },
      ],
      retryAfter: '2026-11-20T10:02:00.000Z',
      retryAfterSeconds: 120,
    });
  });

  it('denies when every conditional put fails, learning the holders from ALL_OLD', async () => {
    ddb.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [] } });
    for (const slot of [0, 1, 2]) {
      ddb.on(PutItemCommand, expectedPut(slot)).rejects(conditionFailed(slotItem(slot, `gd-racer-${slot}`, NOW_S + 60 * (slot + 1))));
    }

    const decision = await limiter().acquire(ACCOUNT, KEY, NOW);

    expect(ddb.commandCalls(PutItemCommand).map((c) => c.args[0].input)).toEqual([
      expectedPut(start),
      expectedPut(next),
      expectedPut(last),
    ]);
    expect(decision).toMatchObject({
      granted: false,
      used: 3,
      retryAfterSeconds: 60,
      activeIncidents: [{ incidentKey: 'gd-racer-0' }, { incidentKey: 'gd-racer-1' }, { incidentKey: 'gd-racer-2' }],
    });
  });

  it('surfaces ProvisionedThroughputExceeded on the put as the retryable TransientResponderError', async () => {
    ddb.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [] } });
    ddb.on(PutItemCommand).rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));

    await expect(limiter().acquire(ACCOUNT, KEY, NOW)).rejects.toBeInstanceOf(TransientResponderError);
  });

  it('surfaces throttling on the read as TransientResponderError', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    ddb.on(BatchGetItemCommand).rejects(throttled);

    await expect(limiter().acquire(ACCOUNT, KEY, NOW)).rejects.toBeInstanceOf(TransientResponderError);
    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(0);
  });

  it('treats UnprocessedKeys as throttling rather than deciding on a partial read', async () => {
    ddb.on(BatchGetItemCommand).resolves({
      Responses: { [TABLE]: [] },
      UnprocessedKeys: { [TABLE]: { Keys: [{ pk: { S: blastRadiusSlotKey(ACCOUNT, 2) } }] } },
    });

    await expect(limiter().acquire(ACCOUNT, KEY, NOW)).rejects.toBeInstanceOf(TransientResponderError);
    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(0);
  });

  it('surfaces AccessDenied as the final ResponderAccessDeniedError and other failures as ResponderFailedError', async () => {
    ddb.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [] } });
    ddb.on(PutItemCommand).rejectsOnce(Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' }));
    await expect(limiter().acquire(ACCOUNT, KEY, NOW)).rejects.toBeInstanceOf(ResponderAccessDeniedError);

    ddb.on(PutItemCommand).rejectsOnce(Object.assign(new Error('no table'), { name: 'ResourceNotFoundException' }));
    await expect(limiter().acquire(ACCOUNT, KEY, NOW)).rejects.toBeInstanceOf(ResponderFailedError);
  });
});

describe('DynamoDbBlastRadiusLimiter: one slot per contained resource', () => {
  const TARGET = 'eu-west-1/i-0123456789abcdef0';

  it('records the resource the slot counts with the hold', async () => {
    ddb.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [] } });
    ddb.on(PutItemCommand).resolves({});

    const decision = await limiter().acquire(ACCOUNT, KEY, NOW, 'real', TARGET);

    expect(ddb.commandCalls(PutItemCommand).map((c) => c.args[0].input)).toEqual([expectedPut(start, KEY, TARGET)]);
    expect(decision).toMatchObject({ granted: true, slot: start, alreadyHeld: false, used: 1, activeIncidents: [{ slot: start, incidentKey: KEY, target: TARGET }] });
  });

  it('ATTACK: a second incident about a resource already counted takes no slot, even in a full window, and names the holder', async () => {
    ddb.on(BatchGetItemCommand).resolves({
      Responses: { [TABLE]: [{ ...slotItem(0, 'gd-first', NOW_S + 300), target: { S: TARGET } }, slotItem(1, 'gd-b', NOW_S + 120), slotItem(2, 'gd-c', NOW_S + 900)] },
    });

    const acquired = await limiter().acquire(ACCOUNT, KEY, NOW, 'real', TARGET);
    const previewed = await limiter().preview(ACCOUNT, KEY, NOW, 'real', TARGET);

    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(0);
    for (const decision of [acquired, previewed]) {
      expect(decision).toMatchObject({ granted: true, slot: 0, alreadyHeld: false, sharedWith: 'gd-first', used: 3, expiresAt: new Date((NOW_S + 300) * 1000).toISOString() });
    }
  });

  it('still denies an incident about another resource when the window is full', async () => {
    ddb.on(BatchGetItemCommand).resolves({
      Responses: { [TABLE]: [{ ...slotItem(0, 'gd-first', NOW_S + 300), target: { S: TARGET } }, slotItem(1, 'gd-b', NOW_S + 120), slotItem(2, 'gd-c', NOW_S + 900)] },
    });

    const decision = await limiter().acquire(ACCOUNT, KEY, NOW, 'real', 'eu-west-1/i-0fedcba9876543210');

    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(0);
    expect(decision).toMatchObject({ granted: false, used: 3 });
  });
});

describe('ATTACK (review-pause): one incident key, several resources', () => {
  // Whoever may states:StartExecution a containment playbook chooses the incident in its input,
  // its key included (the guard verifies only that the execution's input and its own agree): a
  // hold counted "per incident" by key alone let every execution reusing the key of an incident
  // that held a slot contain another resource without one.
  const HELD = 'eu-west-1/i-0123456789abcdef0';
  const OTHER = 'eu-west-1/i-0fedcba9876543210';
  const hold = (slot: number, incidentKey: string, target?: string): ContainmentHold => ({ slot, incidentKey, expiresAt: NOW_S + 600, ...(target !== undefined ? { target } : {}) });

  it('planAcquisition: a slot an incident key holds for one resource clears no other resource under that key', () => {
    const full = [hold(0, KEY, HELD), hold(1, 'gd-b', 'eu-west-1/i-0bbbbbbbbbbbbbbbb'), hold(2, 'gd-c', 'eu-west-1/i-0cccccccccccccccc')];
    expect(planAcquisition(full, KEY, NOW_S, 3, OTHER)).toEqual({ kind: 'full', active: full });
    expect(planAcquisition([hold(start, KEY, HELD)], KEY, NOW_S, 3, OTHER)).toEqual({ kind: 'try-slots', order: [next, last], active: [hold(start, KEY, HELD)] });
    // Nor a hold with no resource one with a resource, nor the reverse.
    expect(planAcquisition([hold(start, KEY)], KEY, NOW_S, 3, OTHER).kind).toBe('try-slots');
    expect(planAcquisition([hold(start, KEY, HELD)], KEY, NOW_S, 3).kind).toBe('try-slots');
    // The same resource under the same key is the incident's own hold (a re-run, a revision).
    expect(planAcquisition([hold(start, KEY, HELD)], KEY, NOW_S, 3, HELD).kind).toBe('already-held');
  });

  it('acquire: denies another resource under the key of an incident that holds a slot in a full window, writing nothing', async () => {
    ddb.on(BatchGetItemCommand).resolves({
      Responses: { [TABLE]: [{ ...slotItem(0, KEY, NOW_S + 300), target: { S: HELD } }, slotItem(1, 'gd-b', NOW_S + 120), slotItem(2, 'gd-c', NOW_S + 900)] },
    });

    const acquired = await limiter().acquire(ACCOUNT, KEY, NOW, 'real', OTHER);
    const previewed = await limiter().preview(ACCOUNT, KEY, NOW, 'real', OTHER);

    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(0);
    for (const decision of [acquired, previewed]) expect(decision).toMatchObject({ granted: false, used: 3 });
  });
});

describe('DynamoDbBlastRadiusLimiter.preview', () => {
  it('reports the slot it would take and never writes', async () => {
    ddb.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [slotItem(start, 'gd-other', NOW_S + 10)] } });

    const decision = await limiter().preview(ACCOUNT, KEY, NOW);

    expect(ddb.commandCalls(BatchGetItemCommand).map((c) => c.args[0].input)).toEqual([expectedRead()]);
    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(0);
    expect(decision).toMatchObject({ granted: true, slot: next, alreadyHeld: false, used: 2, limit: 3 });
  });

  it('reports the denial acquire would give when the window is full, without writing', async () => {
    ddb.on(BatchGetItemCommand).resolves({
      Responses: { [TABLE]: [slotItem(0, 'a', NOW_S + 1), slotItem(1, 'b', NOW_S + 2), slotItem(2, 'c', NOW_S + 3)] },
    });

    const decision = await limiter().preview(ACCOUNT, KEY, NOW);

    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(0);
    expect(decision).toMatchObject({ granted: false, used: 3, limit: 3, retryAfterSeconds: 1 });
  });
});

// Written for the mutants Stryker found surviving here (docs/testing.md): each pins one behaviour
// the tests above left open.
describe('the blast-radius limiter, edges', () => {
  it('starts from FNV-1a of the incident key (the published test vectors)', () => {
    // Mod 2^32 the start slot is the hash itself.
    expect(startSlot('a', 2 ** 32)).toBe(0xe40c292c);
    expect(startSlot('foobar', 2 ** 32)).toBe(0xbf9cf968);
  });

  it('says which setting is unusable', () => {
    expect(() => assertBlastRadiusPolicy({ maxContainments: 0, windowSeconds: 60 })).toThrow(
      new RangeError('blast radius maxContainments must be an integer from 1 to 100, got 0'),
    );
    expect(() => assertBlastRadiusPolicy({ maxContainments: 3, windowSeconds: 0 })).toThrow(new RangeError('blast radius windowSeconds must be a positive integer, got 0'));
    // The limiter checks its policy when it is built, before any read.
    expect(() => new DynamoDbBlastRadiusLimiter(new DynamoDBClient({}), TABLE, { maxContainments: 0, windowSeconds: 60 })).toThrow(RangeError);
  });

  it('names an unknown holder', () => {
    expect(holdFromItem(1, { pk: { S: blastRadiusSlotKey(ACCOUNT, 1) }, expiresAt: { N: String(NOW_S + 5) } }, READING)).toStrictEqual({ slot: 1, incidentKey: '(unknown)', expiresAt: NOW_S + 5 });
  });
  it('previews an incident that already holds a slot as that slot, and a new one with the window from now, holds listed by slot', async () => {
    // An incident that starts at slot 0, so that its slot comes before the others' when listed.
    const first = Array.from({ length: 50 }, (_, i) => `gd-first-${i}`).find((key) => startSlot(key, 3) === 0)!;
    ddb.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [slotItem(2, 'gd-b', NOW_S + 200), slotItem(1, 'gd-a', NOW_S + 100)] } });
    expect(await limiter().preview(ACCOUNT, first, NOW)).toEqual({
      granted: true,
      slot: 0,
      alreadyHeld: false,
      used: 3,
      limit: 3,
      windowSeconds: WINDOW,
      expiresAt: '2026-11-20T11:00:00.000Z',
      activeIncidents: [
        { slot: 0, incidentKey: first, acquiredAt: NOW.toISOString(), expiresAt: NOW_S + WINDOW },
        expect.objectContaining({ slot: 1, incidentKey: 'gd-a' }),
        expect.objectContaining({ slot: 2, incidentKey: 'gd-b' }),
      ],
    });
    expect(await limiter().preview(ACCOUNT, 'gd-a', NOW)).toMatchObject({ granted: true, slot: 1, alreadyHeld: true, used: 2, expiresAt: new Date((NOW_S + 100) * 1000).toISOString() });
    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(0);
  });

  it('lists the slot it takes by slot among the holds it learnt', async () => {
    const first = Array.from({ length: 50 }, (_, i) => `gd-first-${i}`).find((key) => startSlot(key, 3) === 0)!;
    ddb.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [slotItem(2, 'gd-b', NOW_S + 200), slotItem(1, 'gd-a', NOW_S + 100)] } });
    ddb.on(PutItemCommand).resolves({});
    const decision = await limiter().acquire(ACCOUNT, first, NOW);
    expect(decision.activeIncidents.map((hold) => hold.slot)).toEqual([0, 1, 2]);
  });

  it("is a new containment, not a re-run, when the put replaced the incident's own hold that had just expired", async () => {
    ddb.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [] } });
    ddb.on(PutItemCommand).resolves({ Attributes: slotItem(start, KEY, NOW_S) });
    expect(await limiter().acquire(ACCOUNT, KEY, NOW)).toMatchObject({ granted: true, slot: start, alreadyHeld: false, used: 1 });
  });

  it('counts a slot whose condition failed without saying who holds it as taken, without naming a holder', async () => {
    ddb.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [] } });
    ddb.on(PutItemCommand).rejects(conditionFailed());
    expect(await limiter().acquire(ACCOUNT, KEY, NOW)).toStrictEqual({ granted: false, used: 3, limit: 3, windowSeconds: WINDOW, activeIncidents: [] });

    ddb.reset();
    ddb.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [] } });
    ddb.on(PutItemCommand, expectedPut(start)).rejects(conditionFailed());
    ddb.on(PutItemCommand, expectedPut(next)).resolves({});
    expect(await limiter().acquire(ACCOUNT, KEY, NOW)).toMatchObject({ granted: true, slot: next, used: 1 });
  });

  it("takes a plain error named ConditionalCheckFailedException (not the SDK's class) as a lost race too", async () => {
    ddb.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [] } });
    ddb.on(PutItemCommand, expectedPut(start)).rejects(Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException', Item: slotItem(start, 'gd-racer', NOW_S + 100) }));
    ddb.on(PutItemCommand, expectedPut(next)).resolves({});
    expect(await limiter().acquire(ACCOUNT, KEY, NOW)).toMatchObject({ granted: true, slot: next, used: 2 });
  });

  it('names the DynamoDB call in its errors', async () => {
    ddb.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [] } });
    ddb.on(PutItemCommand).rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
    await expect(limiter().acquire(ACCOUNT, KEY, NOW)).rejects.toThrow('dynamodb:PutItem failed transiently (ProvisionedThroughputExceededException): slow down');

    ddb.on(BatchGetItemCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(limiter().acquire(ACCOUNT, KEY, NOW)).rejects.toThrow('dynamodb:BatchGetItem failed transiently (ThrottlingException): Rate exceeded');

    ddb.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [] }, UnprocessedKeys: { [TABLE]: { Keys: [{ pk: { S: blastRadiusSlotKey(ACCOUNT, 2) } }] } } });
    await expect(limiter().acquire(ACCOUNT, KEY, NOW)).rejects.toThrow(
      new TransientResponderError(`dynamodb:BatchGetItem left 1 blast-radius slot(s) of account ${ACCOUNT} unprocessed (throttled)`),
    );
  });

  it('reads an answer without Responses as every slot free, and ignores items that are not one of its slots', async () => {
    ddb.on(BatchGetItemCommand).resolves({});
    ddb.on(PutItemCommand).resolves({});
    expect(await limiter().preview(ACCOUNT, KEY, NOW)).toMatchObject({ granted: true, slot: start, used: 1 });

    ddb.on(BatchGetItemCommand).resolves({
      Responses: { [TABLE]: [{ incidentKey: { S: 'gd-keyless' }, expiresAt: { N: String(NOW_S + 60) } }, slotItem(7, 'gd-elsewhere', NOW_S + 60)] },
    });
    expect(await limiter().preview(ACCOUNT, KEY, NOW)).toMatchObject({ granted: true, slot: start, used: 1, activeIncidents: [{ slot: start, incidentKey: KEY }] });
  });
});

// Review guard-review: a slot item without a readable expiry was held for good, and one with an
// expiry far ahead for that long. Only the guard's role can write slots, but a stored record is a
// claim: a hold now never counts longer than the window the limiter writes.
describe('holdFromItem: a slot never counts longer than the window the limiter writes', () => {
  const written = (secondsAgo: number) => new Date((NOW_S - secondsAgo) * 1000).toISOString();
  const item = (fields: Record<string, AttributeValue>) => ({ pk: { S: blastRadiusSlotKey(ACCOUNT, 1) }, incidentKey: { S: 'gd-a' }, ...fields });

  it('counts a hold the limiter wrote until its expiry', () => {
    expect(holdFromItem(1, slotItem(1, 'gd-a', NOW_S + 600), READING)).toStrictEqual({ slot: 1, incidentKey: 'gd-a', acquiredAt: written(WINDOW - 600), expiresAt: NOW_S + 600 });
  });

  it('ATTACK: counts an expiry far ahead only until W after the recorded write time', () => {
    const far = item({ acquiredAt: { S: written(600) }, expiresAt: { N: String(NOW_S + 10 * 365 * 86400) } });
    expect(holdFromItem(1, far, READING).expiresAt).toBe(NOW_S - 600 + WINDOW);
    const old = item({ acquiredAt: { S: written(WINDOW) }, expiresAt: { N: String(NOW_S + 86400) } });
    expect(holdFromItem(1, old, READING).expiresAt).toBe(NOW_S);
  });

  it('ATTACK: counts an item with a write time but no readable expiry only until W after that time', () => {
    expect(holdFromItem(1, item({ acquiredAt: { S: written(60) } }), READING).expiresAt).toBe(NOW_S - 60 + WINDOW);
    expect(holdFromItem(1, item({ acquiredAt: { S: written(60) }, expiresAt: { N: 'soon' } }), READING).expiresAt).toBe(NOW_S - 60 + WINDOW);
  });

  it('without a readable write time, counts an expiry within one window (and the clock skew) of now until then', () => {
    expect(holdFromItem(1, item({ expiresAt: { N: String(NOW_S + WINDOW + 300) } }), READING)).toStrictEqual({ slot: 1, incidentKey: 'gd-a', expiresAt: NOW_S + WINDOW + 300 });
    // Not the limiter's format: not a write time it recorded.
    expect(holdFromItem(1, item({ acquiredAt: { S: 'yesterday' }, expiresAt: { N: String(NOW_S + 60) } }), READING).expiresAt).toBe(NOW_S + 60);
  });

  it('ATTACK: counts for nothing, and says so, an item nothing bounds: no expiry, an unreadable one, or one beyond the window with no write time', () => {
    const nothingBounds: Record<string, AttributeValue>[] = [{}, { expiresAt: { N: 'soon' } }, { expiresAt: { N: String(NOW_S + WINDOW + 301) } }, { acquiredAt: { S: written(-301) }, expiresAt: { N: String(NOW_S + 2 * WINDOW) } }];
    for (const fields of nothingBounds) {
      expect(holdFromItem(1, item(fields), READING), JSON.stringify(fields)).toMatchObject({ slot: 1, incidentKey: 'gd-a', expiresAt: 0, unbounded: true });
    }
  });

  it('ATTACK: takes a slot held by an item nothing bounds, and one whose far expiry outlived its window, and reports the unbounded one', async () => {
    // Every slot "held": two by items nothing bounds, one written an hour ago claiming a year.
    const unboundedSlots = [start, next];
    ddb.on(BatchGetItemCommand).resolves({
      Responses: {
        [TABLE]: [
          { pk: { S: blastRadiusSlotKey(ACCOUNT, start) }, incidentKey: { S: 'gd-0' } },
          { pk: { S: blastRadiusSlotKey(ACCOUNT, next) }, incidentKey: { S: 'gd-1' }, expiresAt: { N: String(NOW_S + 365 * 86400) } },
          { ...slotItem(last, 'gd-2', NOW_S + 365 * 86400), acquiredAt: { S: written(WINDOW) } },
        ],
      },
    });
    ddb.on(PutItemCommand).resolves({});

    const decision = await limiter().acquire(ACCOUNT, KEY, NOW);

    // Before the fix: denied, every slot held for good (no retry time), or for a year.
    expect(decision).toMatchObject({ granted: true, slot: start, alreadyHeld: false, used: 1, unboundedSlots: [...unboundedSlots].sort((a, b) => a - b) });
    expect(ddb.commandCalls(PutItemCommand).map((c) => c.args[0].input)).toEqual([expectedPut(start)]);
  });

  it('still denies while every slot holds a bounded hold, and lists no unbounded slot', async () => {
    ddb.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [0, 1, 2].map((slot) => slotItem(slot, `gd-${slot}`, NOW_S + 60 * (slot + 1))) } });
    const decision = await limiter().preview(ACCOUNT, KEY, NOW);
    expect(decision).toMatchObject({ granted: false, used: 3, retryAfterSeconds: 60 });
    expect(decision).not.toHaveProperty('unboundedSlots');
  });
});
