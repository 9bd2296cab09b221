import {
  BatchGetItemCommand,
  DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { AttributeValue, BatchGetItemCommandInput, PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { Instance } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AwsTarget, ClientFactory } from '../../lib/aws/clients';
import type { Incident } from '../../lib/incident/model';
import { blastRadiusSlotKey, startSlot } from '../../lib/responders/blast-radius';
import {
  createContainmentGuardHandler,
  describeWindow,
  protectionOf,
  readContainmentGuardConfig,
} from '../../lib/responders/containment-guard';
import type { ContainmentGuardConfig, GuardResult } from '../../lib/responders/containment-guard';
import { ResponderInputError, TransientResponderError } from '../../lib/responders/errors';
import { silentLogger } from '../../lib/responders/logging';
import { ACCOUNT, INSTANCE_ID, REGION, ec2Incident, ec2Resource } from '../support/incidents';

const TABLE = 'firebreak-state';
const TAG_KEY = 'firebreak:protected';
const NOW = new Date('2026-11-20T10:05:00.000Z');
const NOW_S = NOW.getTime() / 1000;
const WINDOW = 3600;
const MAX = 3;

const ec2 = mockClient(EC2Client);
const ddb = mockClient(DynamoDBClient);

/** A factory that records which account and region each EC2 client was asked for. */
function clientFactory(): ClientFactory & { ec2Targets: AwsTarget[] } {
  const ec2Targets: AwsTarget[] = [];
  return {
    ec2Targets,
    ec2: async (target) => {
      ec2Targets.push(target);
      return new EC2Client({ region: target.region });
    },
    iam: async () => {
      throw new Error('the guard never needs IAM');
    },
    sns: () => {
      throw new Error('the guard never needs SNS');
    },
    sfn: () => {
      throw new Error('the guard never needs Step Functions');
    },
    dynamodb: () => new DynamoDBClient({ region: 'us-east-1' }),
  };
}

function config(overrides: Partial<ContainmentGuardConfig> = {}): ContainmentGuardConfig {
  return {
    protectedInstanceIds: [],
    protectedTagKey: TAG_KEY,
    blastRadius: { maxContainments: MAX, windowSeconds: WINDOW },
    stateTable: TABLE,
    ...overrides,
  };
}

function runGuard(
  incident: Incident,
  options: { mode?: 'enforce' | 'dry-run'; requireApproval?: boolean; config?: ContainmentGuardConfig } = {},
): Promise<{ result: GuardResult; clients: ReturnType<typeof clientFactory> }> {
  const clients = clientFactory();
  const handler = createContainmentGuardHandler({
    clients,
    logger: silentLogger,
    config: options.config ?? config(),
    now: () => NOW,
  });
  return handler({
    incident,
    mode: options.mode ?? 'enforce',
    options: options.requireApproval === undefined ? {} : { requireApproval: options.requireApproval },
    execution: { executionName: 'exec-1', playbook: 'compromised-ec2-instance' },
  }).then((result) => ({ result, clients }));
}

function instance(overrides: Partial<Instance> = {}): Instance {
  return {
    InstanceId: INSTANCE_ID,
    State: { Name: 'running', Code: 16 },
    Tags: [{ Key: 'Name', Value: 'web-1' }],
    ...overrides,
  };
}

function describes(found: Instance): void {
  ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [found] }] });
}

function slotItem(slot: number, incidentKey: string, expiresAt: number): Record<string, AttributeValue> {
  return {
    pk: { S: blastRadiusSlotKey(ACCOUNT, slot) },
    expiresAt: { N: String(expiresAt) },
    incidentKey: { S: incidentKey },
    acquiredAt: { S: '2026-11-20T09:30:00.000Z' },
    ttl: { N: String(expiresAt) },
  };
}

function slotsHold(...items: Record<string, AttributeValue>[]): void {
  ddb.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: items } });
}

const incident = ec2Incident();
const START = startSlot(incident.key, MAX);

const EXPECTED_READ: BatchGetItemCommandInput = {
  RequestItems: {
    [TABLE]: {
      Keys: [0, 1, 2].map((slot) => ({ pk: { S: `blast#${ACCOUNT}#${slot}` } })),
      ConsistentRead: true,
    },
  },
};

function expectedPut(slot: number): PutItemCommandInput {
  return {
    TableName: TABLE,
    Item: {
      pk: { S: `blast#${ACCOUNT}#${slot}` },
      expiresAt: { N: String(NOW_S + WINDOW) },
      incidentKey: { S: incident.key },
      acquiredAt: { S: NOW.toISOString() },
      ttl: { N: String(NOW_S + WINDOW) },
    },
    ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now OR incidentKey = :incidentKey',
    ExpressionAttributeValues: { ':now': { N: String(NOW_S) }, ':incidentKey': { S: incident.key } },
    ReturnValues: 'ALL_OLD',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

const describeInputs = () => ec2.commandCalls(DescribeInstancesCommand).map((call) => call.args[0].input);
const readInputs = () => ddb.commandCalls(BatchGetItemCommand).map((call) => call.args[0].input);
const putInputs = () => ddb.commandCalls(PutItemCommand).map((call) => call.args[0].input);

beforeEach(() => {
  ec2.reset();
  ddb.reset();
  ddb.on(PutItemCommand).resolves({});
});
afterEach(() => {
  ec2.reset();
  ddb.reset();
});

describe('containment-guard: proceed', () => {
  it('proceeds and takes one blast-radius slot for an unprotected instance within the limit', async () => {
    describes(instance());
    slotsHold();

    const { result, clients } = await runGuard(incident);

    expect(result.status).toBe('proceed');
    expect(result.protected).toBe(false);
    expect(clients.ec2Targets).toEqual([{ account: ACCOUNT, region: REGION }]);
    expect(describeInputs()).toEqual([{ InstanceIds: [INSTANCE_ID] }]);
    expect(readInputs()).toEqual([EXPECTED_READ]);
    expect(putInputs()).toEqual([expectedPut(START)]);
    expect(result.blastRadius).toEqual({
      evaluated: true,
      granted: true,
      slotTaken: true,
      used: 1,
      limit: MAX,
      windowSeconds: WINDOW,
    });
    expect(result.reasons).toEqual([`Blast radius: containment 1 of 3 in account ${ACCOUNT} within 3600 s (1 h).`]);
    expect(result).toMatchObject({
      responder: 'containment-guard',
      incidentKey: incident.key,
      mode: 'enforce',
      idempotentReplay: false,
      instanceId: INSTANCE_ID,
    });
    expect(result.actions.map((a) => [a.api, a.outcome])).toEqual([
      ['ec2:DescribeInstances', 'observed'],
      ['firebreak:blast-radius', 'done'],
      ['firebreak:containment-guard', 'observed'],
    ]);
    expect(result.actions.every((a) => a.at === NOW.toISOString())).toBe(true);
  });

  it('on a re-run of an incident that already holds a slot, proceeds without taking a second one and says so', async () => {
    describes(instance());
    slotsHold(slotItem(2, incident.key, NOW_S + 1800), slotItem(0, 'gd-other', NOW_S + 60));

    const { result } = await runGuard(incident);

    expect(result.status).toBe('proceed');
    expect(result.idempotentReplay).toBe(true);
    expect(putInputs()).toEqual([]);
    expect(result.blastRadius).toMatchObject({ granted: true, slotTaken: true, used: 2 });
    expect(result.actions.find((a) => a.api === 'firebreak:blast-radius')?.outcome).toBe('already-done');
  });
});

describe('containment-guard: sample findings', () => {
  it('answers evidence-only for a GuardDuty sample without a single AWS call', async () => {
    const sample = ec2Incident({ sample: true, resource: ec2Resource({ instanceId: 'i-99999999' }) });

    const { result, clients } = await runGuard(sample);

    expect(result.status).toBe('evidence-only');
    expect(result.reasons).toEqual([
      'GuardDuty sample finding: Firebreak never changes resources for a sample; evidence and an alert only.',
    ]);
    expect(clients.ec2Targets).toEqual([]);
    expect(ec2.calls()).toHaveLength(0);
    expect(ddb.calls()).toHaveLength(0);
    expect(result.blastRadius).toEqual({ evaluated: false, granted: false, slotTaken: false, used: null, limit: MAX, windowSeconds: WINDOW });
  });

  it('treats a placeholder instance id as a sample even when the flag is missing', async () => {
    const { result } = await runGuard(ec2Incident({ resource: ec2Resource({ instanceId: 'i-99999999' }) }));

    expect(result.status).toBe('evidence-only');
    expect(result.reasons[0]).toContain('i-99999999 is a placeholder');
    expect(ec2.calls()).toHaveLength(0);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('does not treat the same finding as a sample when it is not one', async () => {
    describes(instance());
    slotsHold();

    const { result } = await runGuard(ec2Incident({ sample: false }));

    expect(result.status).toBe('proceed');
  });
});

describe('containment-guard: protected by instance id', () => {
  it('answers evidence-only for an instance in the protected list, naming the rule, with no AWS call', async () => {
    const { result } = await runGuard(incident, {
      config: config({ protectedInstanceIds: ['i-0fff0000aaaa11112', INSTANCE_ID] }),
    });

    expect(result.status).toBe('evidence-only');
    expect(result.protected).toBe(true);
    expect(result.protectedBy).toBe('instance-id');
    expect(result.reasons).toEqual([
      `Instance ${INSTANCE_ID} is protected: it is in the deploy-time list of protected instances (FIREBREAK_PROTECTED_INSTANCE_IDS), so Firebreak collects evidence and alerts instead of containing it.`,
    ]);
    expect(ec2.calls()).toHaveLength(0);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('does not protect an instance whose id is not in the list', async () => {
    describes(instance());
    slotsHold();

    const { result } = await runGuard(incident, { config: config({ protectedInstanceIds: ['i-0fff0000aaaa11112'] }) });

    expect(result.status).toBe('proceed');
    expect(result.protected).toBe(false);
    expect(putInputs()).toEqual([expectedPut(START)]);
  });
});

describe('containment-guard: protected by tag key', () => {
  it('reads the instance CURRENT tags and protects it when the key is there, whatever the value (even empty)', async () => {
    describes(instance({ Tags: [{ Key: 'Name', Value: 'db-1' }, { Key: TAG_KEY, Value: '' }] }));

    const { result, clients } = await runGuard(incident);

    expect(clients.ec2Targets).toEqual([{ account: ACCOUNT, region: REGION }]);
    expect(describeInputs()).toEqual([{ InstanceIds: [INSTANCE_ID] }]);
    expect(result.status).toBe('evidence-only');
    expect(result.protectedBy).toBe('instance-tag');
    expect(result.reasons).toEqual([
      `Instance ${INSTANCE_ID} is protected: it carries the tag ${TAG_KEY}="" now, so Firebreak collects evidence and alerts instead of containing it.`,
    ]);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('protects on the finding tags alone, without describing the instance', async () => {
    const tagged = ec2Incident({ resource: ec2Resource({ tags: { Name: 'db-1', [TAG_KEY]: 'true' } }) });

    const { result } = await runGuard(tagged);

    expect(result.status).toBe('evidence-only');
    expect(result.protectedBy).toBe('finding-tag');
    expect(ec2.calls()).toHaveLength(0);
  });

  it.each([
    ['another key', 'firebreak:protected-until'],
    ['the same key in another case', 'Firebreak:Protected'],
    ['the key as a value of another tag', 'Owner'],
  ])('does not protect an instance carrying %s', async (_label, key) => {
    describes(instance({ Tags: [{ Key: key, Value: TAG_KEY }] }));
    slotsHold();

    const { result } = await runGuard(incident);

    expect(describeInputs()).toEqual([{ InstanceIds: [INSTANCE_ID] }]);
    expect(result.status).toBe('proceed');
    expect(result.protected).toBe(false);
    expect(putInputs()).toEqual([expectedPut(START)]);
  });

  it('does not describe the instance at all when no protected tag key is configured', async () => {
    slotsHold();
    const tagged = ec2Incident({ resource: ec2Resource({ tags: { [TAG_KEY]: 'true' } }) });

    const { result } = await runGuard(tagged, { config: config({ protectedTagKey: undefined }) });

    expect(ec2.calls()).toHaveLength(0);
    expect(result.status).toBe('proceed');
  });

  it('answers evidence-only when the instance cannot be described, since its protection cannot be verified', async () => {
    ec2.on(DescribeInstancesCommand).rejects(
      Object.assign(new Error(`The instance ID '${INSTANCE_ID}' does not exist`), { name: 'InvalidInstanceID.NotFound' }),
    );

    const { result } = await runGuard(incident);

    expect(result.status).toBe('evidence-only');
    expect(result.reasons[0]).toContain('(InvalidInstanceID.NotFound): its current tags, and so its protection, cannot be verified');
    expect(ddb.calls()).toHaveLength(0);
  });

  it('proceeds for a terminated instance without taking a slot: nothing is left to contain', async () => {
    describes(instance({ State: { Name: 'terminated', Code: 48 } }));

    const { result } = await runGuard(incident);

    expect(result.status).toBe('proceed');
    expect(result.blastRadius.slotTaken).toBe(false);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('surfaces a throttled DescribeInstances as the retryable TransientResponderError', async () => {
    ec2.on(DescribeInstancesCommand).rejects(Object.assign(new Error('Request limit exceeded.'), { name: 'RequestLimitExceeded' }));

    await expect(runGuard(incident)).rejects.toBeInstanceOf(TransientResponderError);
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe('containment-guard: blast radius', () => {
  const full = () => slotsHold(slotItem(0, 'gd-a', NOW_S + 600), slotItem(1, 'gd-b', NOW_S + 120), slotItem(2, 'gd-c', NOW_S + 3000));

  it('asks for approval once the limit is reached, saying the count, the limit and the window', async () => {
    describes(instance());
    full();

    const { result } = await runGuard(incident);

    expect(result.status).toBe('needs-approval');
    expect(putInputs()).toEqual([]);
    expect(result.reasons).toEqual([
      `Blast radius reached: 3 of 3 automatic containments already made in account ${ACCOUNT} within the last 3600 s (1 h) (gd-a, gd-b, gd-c); a person must approve any further containment. The first slot frees at 2026-11-20T10:07:00.000Z.`,
    ]);
    expect(result.blastRadius).toEqual({
      evaluated: true,
      granted: false,
      slotTaken: false,
      used: 3,
      limit: 3,
      windowSeconds: WINDOW,
      activeIncidents: ['gd-a', 'gd-b', 'gd-c'],
      retryAfter: '2026-11-20T10:07:00.000Z',
    });
    expect(result.actions.find((a) => a.api === 'firebreak:blast-radius')?.outcome).toBe('skipped');
  });

  it('proceeds one below the limit, taking the last free slot', async () => {
    describes(instance());
    slotsHold(slotItem(0, 'gd-a', NOW_S + 600), slotItem(1, 'gd-b', NOW_S + 120));

    const { result } = await runGuard(incident);

    expect(result.status).toBe('proceed');
    expect(putInputs()).toEqual([expectedPut(2)]);
    expect(result.blastRadius).toMatchObject({ granted: true, used: 3, limit: 3 });
  });

  it('does not count holds whose window has passed', async () => {
    describes(instance());
    slotsHold(slotItem(0, 'gd-a', NOW_S), slotItem(1, 'gd-b', NOW_S - 1), slotItem(2, 'gd-c', NOW_S - 100));

    const { result } = await runGuard(incident);

    expect(result.status).toBe('proceed');
    expect(putInputs()).toEqual([expectedPut(START)]);
  });
});

describe('containment-guard: approval required by the playbook', () => {
  it('asks for approval and takes no slot when the playbook requires approval', async () => {
    describes(instance());
    slotsHold();

    const { result } = await runGuard(incident, { requireApproval: true });

    expect(result.status).toBe('needs-approval');
    expect(readInputs()).toEqual([EXPECTED_READ]);
    expect(putInputs()).toEqual([]);
    expect(result.reasons).toEqual([
      'The playbook requires a person to approve before it changes resources.',
      `Blast radius: containing now would be containment 1 of 3 in account ${ACCOUNT} within 3600 s (1 h).`,
    ]);
    expect(result.blastRadius).toMatchObject({ evaluated: true, granted: true, slotTaken: false, used: 1 });
  });

  it('proceeds when the playbook says approval is not required', async () => {
    describes(instance());
    slotsHold();

    const { result } = await runGuard(incident, { requireApproval: false });

    expect(result.status).toBe('proceed');
    expect(putInputs()).toEqual([expectedPut(START)]);
  });

  it('still answers evidence-only for a protected instance: approval never overrides protection', async () => {
    describes(instance({ Tags: [{ Key: TAG_KEY, Value: 'true' }] }));

    const { result } = await runGuard(incident, { requireApproval: true });

    expect(result.status).toBe('evidence-only');
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe('containment-guard: dry-run', () => {
  it('evaluates every rail but takes no blast-radius slot, reporting what enforce would do', async () => {
    describes(instance());
    slotsHold(slotItem(0, 'gd-a', NOW_S + 600));

    const { result } = await runGuard(incident, { mode: 'dry-run' });

    expect(result.status).toBe('proceed');
    expect(result.mode).toBe('dry-run');
    expect(describeInputs()).toEqual([{ InstanceIds: [INSTANCE_ID] }]);
    expect(readInputs()).toEqual([EXPECTED_READ]);
    expect(putInputs()).toEqual([]);
    expect(result.blastRadius).toMatchObject({ evaluated: true, granted: true, slotTaken: false, used: 2 });
    expect(result.reasons).toEqual([
      `Blast radius: containing now would be containment 2 of 3 in account ${ACCOUNT} within 3600 s (1 h).`,
      'Dry-run: no blast-radius slot taken; this is what an enforce run would decide.',
    ]);
  });

  it('reports that enforce would ask for approval when the limit is reached, still without writing', async () => {
    describes(instance());
    slotsHold(slotItem(0, 'gd-a', NOW_S + 600), slotItem(1, 'gd-b', NOW_S + 600), slotItem(2, 'gd-c', NOW_S + 600));

    const { result } = await runGuard(incident, { mode: 'dry-run' });

    expect(result.status).toBe('needs-approval');
    expect(putInputs()).toEqual([]);
  });

  it('in enforce mode the same incident does take the slot (the dry-run case above is not vacuous)', async () => {
    describes(instance());
    slotsHold(slotItem(0, 'gd-a', NOW_S + 600));

    await runGuard(incident, { mode: 'enforce' });

    expect(putInputs()).toHaveLength(1);
  });

  it('still protects in dry-run', async () => {
    describes(instance({ Tags: [{ Key: TAG_KEY, Value: 'yes' }] }));

    const { result } = await runGuard(incident, { mode: 'dry-run' });

    expect(result.status).toBe('evidence-only');
  });
});

describe('containment-guard: other resources', () => {
  it('applies the blast radius to a non-instance incident without describing anything', async () => {
    slotsHold();
    const keyIncident = ec2Incident({ resource: { kind: 'access-key', accessKeyId: 'AKIAEXAMPLE000000000', userName: 'ci' } });

    const { result } = await runGuard(keyIncident);

    expect(ec2.calls()).toHaveLength(0);
    expect(result.status).toBe('proceed');
    expect(result.instanceId).toBeUndefined();
    expect(putInputs()).toHaveLength(1);
  });
});

describe('containment-guard: input', () => {
  it('refuses unknown or mistyped options with ResponderInputError naming the field', async () => {
    const handler = createContainmentGuardHandler({ clients: clientFactory(), logger: silentLogger, config: config() });
    await expect(handler({ incident, mode: 'enforce', options: { requireApproval: 'yes' } })).rejects.toThrow(
      /input\.options\.requireApproval/,
    );
    await expect(handler({ incident, mode: 'enforce', options: { requireAproval: true } })).rejects.toBeInstanceOf(
      ResponderInputError,
    );
  });

  it('refuses to build a handler without a state table for the blast-radius counter', () => {
    expect(() =>
      createContainmentGuardHandler({ clients: clientFactory(), logger: silentLogger, config: config({ stateTable: undefined }) }),
    ).toThrow(/FIREBREAK_STATE_TABLE is not set/);
  });

  it('uses an injected limiter instead of DynamoDB (how a game day can swap the counter)', async () => {
    describes(instance());
    const limiter = {
      acquire: vi.fn().mockResolvedValue({
        granted: false,
        used: 1,
        limit: 1,
        windowSeconds: 60,
        activeIncidents: [{ slot: 0, incidentKey: 'gd-a', expiresAt: NOW_S + 30 }],
        retryAfter: '2026-11-20T10:05:30.000Z',
        retryAfterSeconds: 30,
      }),
      preview: vi.fn(),
    };
    const handler = createContainmentGuardHandler({
      clients: clientFactory(),
      logger: silentLogger,
      config: config({ stateTable: undefined }),
      limiter,
      now: () => NOW,
    });

    const result = await handler({ incident, mode: 'enforce', options: {} });

    expect(limiter.acquire).toHaveBeenCalledWith(ACCOUNT, incident.key, NOW);
    expect(result.status).toBe('needs-approval');
    expect(result.reasons[0]).toContain('1 of 1 automatic containments already made in account 111122223333 within the last 60 s (1 min)');
  });
});

describe('protectionOf', () => {
  const base = { protectedInstanceIds: [] as string[], protectedTagKey: TAG_KEY };

  it('prefers the id rule, then the current tags, then the finding tags', () => {
    expect(protectionOf(INSTANCE_ID, { ...base, protectedInstanceIds: [INSTANCE_ID] }, {}, { [TAG_KEY]: 'x' })).toMatchObject({ rule: 'instance-id' });
    expect(protectionOf(INSTANCE_ID, base, { [TAG_KEY]: 'x' }, { [TAG_KEY]: 'x' })).toMatchObject({ rule: 'instance-tag' });
    expect(protectionOf(INSTANCE_ID, base, { [TAG_KEY]: 'x' }, {})).toMatchObject({ rule: 'finding-tag' });
  });

  it('does not protect without a matching id or key', () => {
    expect(protectionOf(INSTANCE_ID, base, { Name: TAG_KEY }, { Name: 'web' })).toEqual({ protected: false });
    expect(protectionOf(INSTANCE_ID, { protectedInstanceIds: [] }, { [TAG_KEY]: 'x' }, { [TAG_KEY]: 'x' })).toEqual({ protected: false });
  });
});

describe('describeWindow', () => {
  it.each([
    [3600, '3600 s (1 h)'],
    [900, '900 s (15 min)'],
    [86400, '86400 s (1 d)'],
    [45, '45 s'],
  ])('%i → %s', (seconds, text) => {
    expect(describeWindow(seconds)).toBe(text);
  });
});

describe('readContainmentGuardConfig', () => {
  it('applies the defaults: nothing protected, 5 containments per 3600 s', () => {
    expect(readContainmentGuardConfig({})).toEqual({
      protectedInstanceIds: [],
      blastRadius: { maxContainments: 5, windowSeconds: 3600 },
    });
  });

  it('reads every variable, trimming the comma list', () => {
    expect(
      readContainmentGuardConfig({
        FIREBREAK_PROTECTED_INSTANCE_IDS: ' i-0abc1234def567890 , i-12345678,',
        FIREBREAK_PROTECTED_TAG_KEY: 'firebreak:protected',
        FIREBREAK_BLAST_RADIUS_MAX: '3',
        FIREBREAK_BLAST_RADIUS_WINDOW_SECONDS: '900',
        FIREBREAK_STATE_TABLE: 'firebreak-state',
      }),
    ).toEqual({
      protectedInstanceIds: ['i-0abc1234def567890', 'i-12345678'],
      protectedTagKey: 'firebreak:protected',
      blastRadius: { maxContainments: 3, windowSeconds: 900 },
      stateTable: 'firebreak-state',
    });
  });

  it.each([
    [{ FIREBREAK_PROTECTED_INSTANCE_IDS: 'i-0abc1234def567890,web-1' }, /protected instance id/],
    [{ FIREBREAK_BLAST_RADIUS_MAX: 'five' }, /FIREBREAK_BLAST_RADIUS_MAX must be a whole number/],
    [{ FIREBREAK_BLAST_RADIUS_MAX: '0' }, /maxContainments must be an integer from 1 to 100/],
    [{ FIREBREAK_BLAST_RADIUS_WINDOW_SECONDS: '-60' }, /FIREBREAK_BLAST_RADIUS_WINDOW_SECONDS must be a whole number/],
  ])('refuses %j loudly rather than guarding with a wrong rule', (env, message) => {
    expect(() => readContainmentGuardConfig(env)).toThrow(message);
  });
});
