/**
 * The emergency pause where the action happens: the item's reading (fail safe: an item that cannot
 * be read whole still pauses), its one consistent GetItem, and the grant check, which clears a
 * containment in dry-run only while the pause holds, whatever the grant says, and never a release.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbPauseReader, NOT_PAUSED, PAUSE_KEY, pauseItem, pauseReasonProblem, pauseSentence, pauseStateOf, readPauseAhead } from '../../lib/responders/emergency-pause';
import { ActionLog } from '../../lib/responders/action-log';
import type { PauseState } from '../../lib/responders/emergency-pause';
import type { GrantReader, GrantRequest } from '../../lib/responders/grants';
import { DynamoDbGrantReader, checkContainmentGrant, grantDryRunWhy, pausedCheck, recordPausedGrant } from '../../lib/responders/grants';
import { ResponderAccessDeniedError, TransientResponderError } from '../../lib/contracts/responder-errors';
import { EXECUTION_ARN, deployedStep, grantFor, storeGranting } from '../support/grants';
import { INSTANCE_ID, ec2Incident } from '../support/incidents';

const ddb = mockClient(DynamoDBClient);
const TABLE = 'firebreak-state';
const NOW = new Date('2026-11-20T10:05:00.000Z');
const BY = 'arn:aws:sts::111122223333:assumed-role/OnCall/alice';
const PAUSED: PauseState = { paused: true, pausedBy: BY, pausedAt: '2026-11-20T10:00:00.000Z', reason: 'false-positive storm on the web fleet' };
const incident = ec2Incident();
const step = deployedStep('quarantine-instance', {});
const contain: GrantRequest = { executionArn: EXECUTION_ARN, incident, instanceId: INSTANCE_ID, kind: 'contain', step };

beforeEach(() => ddb.reset());
afterEach(() => ddb.reset());

describe('pauseStateOf: every stored field is a claim', () => {
  it('reads no item as not paused', () => {
    expect(pauseStateOf(undefined)).toEqual(NOT_PAUSED);
  });

  it('reads a whole item as a pause by whom, when and why', () => {
    expect(pauseStateOf(pauseItem({ pausedBy: BY, pausedAt: '2026-11-20T10:00:00.000Z', reason: 'false-positive storm on the web fleet' }))).toEqual(PAUSED);
  });

  it.each([
    ['no pausedBy', { pausedBy: undefined }, 'pausedBy is not a principal'],
    ['a pausedAt that is not a time', { pausedAt: { S: 'yesterday' } }, 'pausedAt is not a time'],
    ['a reason with a line break', { reason: { S: 'storm\n[PAUSED BY SECURITY]' } }, 'reason is missing or not one line of printable text'],
    ['an empty reason', { reason: { S: ' ' } }, 'reason is missing'],
    ['a number for pausedBy', { pausedBy: { N: '1' } }, 'pausedBy is not a principal'],
  ])('ATTACK: counts an item with %s as PAUSED, and says it is malformed', (_what, change, problem) => {
    const item = { ...pauseItem({ pausedBy: BY, pausedAt: '2026-11-20T10:00:00.000Z', reason: 'storm' }), ...change };
    const state = pauseStateOf(Object.fromEntries(Object.entries(item).filter(([, v]) => v !== undefined)) as never);
    expect(state).toMatchObject({ paused: true, malformed: expect.stringContaining(problem) });
    if (!state.paused) throw new Error('not paused');
    expect(pauseSentence(state)).toMatch(/^Firebreak is PAUSED: the emergency pause item \(pause#deployment\) cannot be read whole .* counts as in force/);
  });

  it('says who paused, when and why, the reason quoted', () => {
    if (!PAUSED.paused) throw new Error('not paused');
    expect(pauseSentence(PAUSED)).toBe(
      `Firebreak is PAUSED: ${BY} paused automated containment at 2026-11-20T10:00:00.000Z (reason: "false-positive storm on the web fleet"); no containment is enforced until firebreak resume`,
    );
  });

  it('takes a one-line reason of at most 500 characters, and names what is wrong with any other', () => {
    expect(pauseReasonProblem('false positives')).toBeUndefined();
    expect(pauseReasonProblem('x'.repeat(500))).toBeUndefined();
    expect(pauseReasonProblem('x'.repeat(501))).toMatch(/longer than 500/);
    expect(pauseReasonProblem('')).toMatch(/empty/);
    expect(pauseReasonProblem('a\u202Eb')).toMatch(/control or format/);
  });
});

describe('DynamoDbPauseReader', () => {
  const reader = () => new DynamoDbPauseReader(new DynamoDBClient({ region: 'eu-west-1' }), TABLE);

  it('reads the one pause item with a consistent GetItem by its key', async () => {
    ddb.on(GetItemCommand).resolves({ Item: pauseItem({ pausedBy: BY, pausedAt: '2026-11-20T10:00:00.000Z', reason: 'false-positive storm on the web fleet' }) });
    expect(await reader().pauseState()).toEqual(PAUSED);
    expect(ddb.commandCalls(GetItemCommand).map((call) => call.args[0].input)).toEqual([{ TableName: TABLE, Key: { pk: { S: PAUSE_KEY } }, ConsistentRead: true }]);
  });

  it('reads no item as not paused', async () => {
    ddb.on(GetItemCommand).resolves({});
    expect(await reader().pauseState()).toEqual(NOT_PAUSED);
  });

  it('classifies a throttled read as transient and a denied one as access denied (the step fails: it never guesses)', async () => {
    ddb.on(GetItemCommand).rejects(Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' }));
    await expect(reader().pauseState()).rejects.toBeInstanceOf(TransientResponderError);
    ddb.on(GetItemCommand).rejects(Object.assign(new Error('no'), { name: 'AccessDeniedException' }));
    await expect(reader().pauseState()).rejects.toBeInstanceOf(ResponderAccessDeniedError);
  });

  it("is what the granted responders' state-table reader reads too: the same GetItem", async () => {
    ddb.on(GetItemCommand).resolves({});
    const grants = new DynamoDbGrantReader(new DynamoDBClient({ region: 'eu-west-1' }), TABLE, { executionStatus: () => Promise.resolve('RUNNING') });
    expect(await grants.pauseState()).toEqual(NOT_PAUSED);
    expect(ddb.commandCalls(GetItemCommand).map((call) => call.args[0].input)).toEqual([{ TableName: TABLE, Key: { pk: { S: PAUSE_KEY } }, ConsistentRead: true }]);
  });
});

describe('checkContainmentGrant under the emergency pause', () => {
  it('ATTACK: clears an enforce grant written before the pause for dry-run only, and says who paused, when and why', async () => {
    const store = storeGranting(incident, NOW);
    store.pause = PAUSED;
    const check = await checkContainmentGrant(contain, store, NOW);
    expect(check).toMatchObject({ allowed: true, mode: 'dry-run', paused: PAUSED });
    if (!check.allowed) throw new Error('refused');
    expect(check.reason).toContain(`Firebreak is PAUSED: ${BY} paused automated containment at 2026-11-20T10:00:00.000Z`);
    expect(grantDryRunWhy(check)).toMatch(/^Firebreak is PAUSED/);
  });

  it('clears the same grant in enforce when nothing is paused (the rail does not block everything)', async () => {
    const check = await checkContainmentGrant(contain, storeGranting(incident, NOW), NOW);
    expect(check).toMatchObject({ allowed: true, mode: 'enforce' });
    expect(check).not.toHaveProperty('paused');
    if (!check.allowed) throw new Error('refused');
    expect(grantDryRunWhy(check)).toBe('the containment guard cleared this execution for dry-run only');
  });

  it('counts a malformed pause item as paused', async () => {
    const store = storeGranting(incident, NOW);
    store.pause = pauseStateOf({ pk: { S: PAUSE_KEY } });
    expect(await checkContainmentGrant(contain, store, NOW)).toMatchObject({ allowed: true, mode: 'dry-run', paused: { malformed: expect.any(String) } });
  });

  it('never pauses a release: releasing instances quarantined by mistake is what a pause is for (the pause is not even read)', async () => {
    const store = storeGranting(incident, NOW, { kind: 'release' });
    store.pause = PAUSED;
    let read = 0;
    const reader: GrantReader = { ...bound(store), pauseState: () => ((read += 1), store.pauseState()) };
    expect(await checkContainmentGrant({ ...contain, kind: 'release' }, reader, NOW)).toMatchObject({ allowed: true, mode: 'enforce' });
    expect(read).toBe(0);
  });

  it('keeps a refusal a refusal (the pause never clears anything)', async () => {
    const store = storeGranting(incident, NOW, { incidentKey: 'another' });
    store.pause = PAUSED;
    expect(await checkContainmentGrant(contain, store, NOW)).toMatchObject({ allowed: false, code: 'mismatch' });
    expect(pausedCheck({ allowed: false, code: 'no-grant', reason: 'none' }, PAUSED)).toEqual({ allowed: false, code: 'no-grant', reason: 'none' });
  });

  it('reads the pause beside the grant and the execution status, not after (no round trip added)', async () => {
    const asked: string[] = [];
    let answerGrant: (value: ReturnType<typeof grantFor>) => void = () => undefined;
    const reader: GrantReader = {
      getGrant: () => ((asked.push('grant'), new Promise((resolve) => (answerGrant = resolve)))),
      getApproval: () => Promise.resolve(undefined),
      executionStatus: () => ((asked.push('status'), Promise.resolve('RUNNING'))),
      pauseState: () => ((asked.push('pause'), Promise.resolve(PAUSED))),
    };
    const checking = checkContainmentGrant(contain, reader, NOW);
    await Promise.resolve();
    expect(asked).toEqual(['grant', 'status', 'pause']);
    answerGrant(grantFor(incident, NOW));
    expect(await checking).toMatchObject({ allowed: true, mode: 'dry-run' });
  });
});

describe('recordPausedGrant: the step says it ran dry-run because of the pause (the alert marks [PAUSED] on it)', () => {
  it('records the pause, who, when and why, for a containment the pause lowered; nothing when nothing is paused', async () => {
    const store = storeGranting(incident, NOW);
    store.pause = PAUSED;
    const paused = await checkContainmentGrant(contain, store, NOW);
    const unpaused = await checkContainmentGrant(contain, storeGranting(incident, NOW), NOW);
    if (!paused.allowed || !unpaused.allowed) throw new Error('refused');
    const log = new ActionLog(() => NOW);
    recordPausedGrant(log, INSTANCE_ID, unpaused);
    expect(log.actions).toEqual([]);
    recordPausedGrant(log, INSTANCE_ID, paused);
    expect(log.actions).toEqual([
      expect.objectContaining({
        api: 'firebreak:emergency-pause',
        target: INSTANCE_ID,
        outcome: 'skipped',
        detail: `Firebreak is PAUSED: ${BY} paused automated containment at 2026-11-20T10:00:00.000Z (reason: "false-positive storm on the web fleet"); no containment is enforced until firebreak resume: this step acts in dry-run only, whatever mode its grant was issued in.`,
      }),
    ]);
  });
});

describe('readPauseAhead: the guard reads the pause before it knows it needs it', () => {
  it('starts the read at once and answers it when asked', async () => {
    let reads = 0;
    const answer = readPauseAhead({ pauseState: () => ((reads += 1), Promise.resolve(PAUSED)) });
    expect(reads).toBe(1);
    expect(await answer()).toEqual(PAUSED);
    expect(reads).toBe(1);
  });

  it('throws a failed read to whoever asks, as the read threw it (a reader that throws, too)', async () => {
    const error = new TransientResponderError('throttled');
    await expect(readPauseAhead({ pauseState: () => Promise.reject(error) })()).rejects.toBe(error);
    await expect(
      readPauseAhead({
        pauseState: () => {
          throw error;
        },
      })(),
    ).rejects.toBe(error);
  });
});

/** The store's reads as a plain reader object. */
function bound(store: ReturnType<typeof storeGranting>): GrantReader {
  return {
    getGrant: (arn) => store.getGrant(arn),
    getApproval: (arn) => store.getApproval(arn),
    executionStatus: (arn) => store.executionStatus(arn),
    pauseState: () => store.pauseState(),
  };
}
