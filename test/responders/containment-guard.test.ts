import {
  BatchGetItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { AttributeValue, BatchGetItemCommandInput, PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand, DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetAccessKeyLastUsedCommand, GetRoleCommand, GetUserCommand, IAMClient, ListAccessKeysCommand, NoSuchEntityException } from '@aws-sdk/client-iam';
import type { Instance, SecurityGroup } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AwsTarget, ClientFactory } from '../../lib/aws/clients';
import type { Incident } from '../../lib/incident/model';
import { blastRadiusSlotKey, startSlot } from '../../lib/responders/blast-radius';
import { runAttempt } from '../../lib/responders/attempt-actions';
import { createContainmentGuardHandler } from '../../lib/responders/containment-guard';
import { readContainmentGuardConfig } from '../../lib/responders/containment-guard-config';
import { describeWindow, protectionOf } from '../../lib/responders/containment-guard-rails';
import type { ContainmentGuardConfig, GuardResult } from '../../lib/responders/containment-guard-model';
import { ResponderInputError, TransientResponderError } from '../../lib/contracts/responder-errors';
import { InMemoryGrantStore, incidentDigest } from '../../lib/responders/grants';
import { InMemoryPause, PAUSE_KEY, pauseItem } from '../../lib/responders/emergency-pause';
import { incidentSchema } from '../../lib/responders/incident-schema';
import { requestDigest } from '../../lib/responders/step-binding';
import { silentLogger } from '../../lib/responders/logging';
import { quarantineRecordKey } from '../../lib/responders/quarantine-release-state';
import { dnsBlockInstanceKey } from '../../lib/responders/dns-block-records';
import { s3ObjectClaimKey } from '../../lib/responders/s3-object-claims';
import { scannedObjectOf } from '../../lib/responders/s3-malware-object';
import { parseEvent } from '../../lib/incident/parse';
import { CLIPPED_EVENT_TARGET_BYTES, payloadBytes } from '../../lib/contracts/payload-size';
import { FINDING_CONFIRMED_BY, clipOversizedEvent, isOversizedEvent } from '../../lib/incident/clip-event';
import { clone, fixtureEvent } from '../incident/events';
import { EXECUTION, grantFor } from '../support/grants';
import { ACCOUNT, INSTANCE_ID, REGION, ec2Incident, ec2Resource } from '../support/incidents';
import { getUserAnswer } from '../support/iam-users';

const TABLE = 'firebreak-state';
const TAG_KEY = 'firebreak:protected';
const NOW = new Date('2026-11-20T10:05:00.000Z');
const NOW_S = NOW.getTime() / 1000;
const WINDOW = 3600;
const MAX = 3;

const ec2 = mockClient(EC2Client);
const ddb = mockClient(DynamoDBClient);
const sfn = mockClient(SFNClient);
const iam = mockClient(IAMClient);

/** The deployment's rails for the playbook the test executions belong to. */
const RAILS = {
  'compromised-ec2-instance': { approvalRequired: false, onTimeout: 'evidence-only', timeoutSeconds: 3600, kind: 'contain' },
  'release-instance': { approvalRequired: true, onTimeout: 'evidence-only', timeoutSeconds: 3600, kind: 'release', releasesInstances: true, liftsDnsBlocks: true },
  // A release on an instance that restores nothing of it (firebreak dns unblock).
  'unblock-dns-domain': { approvalRequired: true, onTimeout: 'evidence-only', timeoutSeconds: 3600, kind: 'release' },
  'release-s3-object': { approvalRequired: true, onTimeout: 'evidence-only', timeoutSeconds: 3600, kind: 'release', releasesObjects: true },
} as const;

/** DescribeExecution answers: a RUNNING execution of the deployment's playbook, started for `running`. */
function executionRuns(running: Incident, mode: 'enforce' | 'dry-run' = 'enforce', overrides: Record<string, unknown> = {}): void {
  sfn.on(DescribeExecutionCommand).resolves(runningExecution(running, mode, overrides));
}

/** What DescribeExecution answers for a RUNNING execution of the deployment's playbook, started for `running`. */
function runningExecution(running: Incident, mode: 'enforce' | 'dry-run' = 'enforce', overrides: Record<string, unknown> = {}) {
  return {
    executionArn: EXECUTION.executionArn,
    stateMachineArn: EXECUTION.stateMachineArn,
    name: EXECUTION.executionName,
    status: 'RUNNING' as const,
    startDate: NOW,
    input: JSON.stringify({ incident: running, mode, playbook: 'compromised-ec2-instance' }),
    ...overrides,
  };
}

/**
 * Collects the promise rejections nobody handles from now on; the returned function waits for the
 * process to have noticed them (a turn of the event loop) and stops collecting.
 */
function watchUnhandledRejections(): () => Promise<unknown[]> {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => void seen.push(reason);
  process.on('unhandledRejection', listener);
  return async () => {
    await new Promise((resolve) => setTimeout(resolve, 20));
    process.off('unhandledRejection', listener);
    return seen;
  };
}

let grants: InMemoryGrantStore;
/** The deployment's emergency pause as the guard reads it (not paused unless a test pauses it). */
let emergencyPause: InMemoryPause;

/** A factory that records which account and region each EC2 and IAM client was asked for. */
function clientFactory(): ClientFactory & { ec2Targets: AwsTarget[]; iamTargets: AwsTarget[] } {
  const ec2Targets: AwsTarget[] = [];
  const iamTargets: AwsTarget[] = [];
  return {
    ec2Targets,
    iamTargets,
    ec2: async (target) => {
      ec2Targets.push(target);
      return new EC2Client({ region: target.region });
    },
    iam: async (target) => {
      iamTargets.push(target);
      return new IAMClient({ region: target.region });
    },
    sns: () => {
      throw new Error('the guard never needs SNS');
    },
    sfn: () => new SFNClient({ region: REGION }),
    dynamodb: () => new DynamoDBClient({ region: 'us-east-1' }),
  };
}

function config(overrides: Partial<ContainmentGuardConfig> = {}): ContainmentGuardConfig {
  return {
    protectedInstanceIds: [],
    protectedTagKey: TAG_KEY,
    blastRadius: { maxContainments: MAX, windowSeconds: WINDOW },
    stateTable: TABLE,
    securityAccountId: ACCOUNT,
    region: REGION,
    stackName: 'Firebreak',
    rails: RAILS,
    servedAccounts: { securityAccountId: ACCOUNT, allowlist: [], memberRoles: false },
    environment: { FIREBREAK_MODE: 'enforce', FIREBREAK_GAMEDAY_ENABLED: 'true' },
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
    grants,
    emergencyPause,
    now: () => NOW,
  });
  executionRuns(incident, options.mode ?? 'enforce');
  return handler({
    incident,
    mode: options.mode ?? 'enforce',
    options: options.requireApproval === undefined ? {} : { requireApproval: options.requireApproval },
    execution: EXECUTION,
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
      target: { S: `${REGION}/${INSTANCE_ID}` },
      acquiredAt: { S: NOW.toISOString() },
      ttl: { N: String(NOW_S + WINDOW) },
    },
    ConditionExpression:
      'attribute_not_exists(pk) OR expiresAt <= :now OR (incidentKey = :incidentKey AND target = :target) OR acquiredAt < :windowStart OR expiresAt > :latestExpiry OR NOT attribute_type(expiresAt, :number)',
    ExpressionAttributeValues: {
      ':now': { N: String(NOW_S) },
      ':incidentKey': { S: incident.key },
      ':target': { S: `${REGION}/${INSTANCE_ID}` },
      ':windowStart': { S: new Date((NOW_S - WINDOW + 1) * 1000).toISOString() },
      ':latestExpiry': { N: String(NOW_S + WINDOW + 300) },
      ':number': { S: 'N' },
    },
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
  sfn.reset();
  iam.reset();
  ddb.on(PutItemCommand).resolves({});
  // No item (what GetItem answers for a key it does not hold): no pre-quarantine record, no pause.
  ddb.on(GetItemCommand).resolves({});
  grants = new InMemoryGrantStore();
  emergencyPause = new InMemoryPause();
});
afterEach(() => {
  ec2.reset();
  ddb.reset();
  sfn.reset();
  iam.reset();
});

describe('containment-guard: proceed', () => {
  it('ATTACK: proceeds without a slot of its own when another incident holds one for the same instance, and says whose', async () => {
    // Every other slot held by other instances: counted per incident, this instance's second
    // finding would find the window full and wait for a person.
    const otherSlots = [0, 1, 2].filter((slot) => slot !== START);
    describes(instance());
    slotsHold(
      { ...slotItem(START, 'gd-first-finding-on-this-instance', NOW_S + 1800), target: { S: `${REGION}/${INSTANCE_ID}` } },
      ...otherSlots.map((slot) => ({ ...slotItem(slot, `gd-other-${slot}`, NOW_S + 1800), target: { S: `${REGION}/i-0aaaabbbbccccdddd` } })),
    );

    const { result } = await runGuard(incident);

    expect(putInputs()).toEqual([]);
    expect(result.status).toBe('proceed');
    expect(result.blastRadius).toMatchObject({ evaluated: true, granted: true, used: 3, limit: MAX });
    expect(result.reasons).toContain(
      `Blast radius: incident gd-first-finding-on-this-instance already counts the containment of this same resource (containment 3 of ${MAX} in account ${ACCOUNT} within 3600 s (1 h)); this incident takes no slot of its own.`,
    );
    expect(result.idempotentReplay).toBe(false);
  });

  it('ATTACK (review-pause): an execution under the key of an incident that holds a slot for another instance takes no slot of that incident (states:StartExecution reusing a key)', async () => {
    // The execution's input is whoever started it: its incident key is a claim. Before: the hold of
    // the key's first instance cleared this one as a re-run (idempotentReplay), with no slot and no person.
    const otherSlots = [0, 1, 2].filter((slot) => slot !== START);
    describes(instance());
    slotsHold(
      { ...slotItem(START, incident.key, NOW_S + 1800), target: { S: `${REGION}/i-0aaaabbbbccccdddd` } },
      ...otherSlots.map((slot) => ({ ...slotItem(slot, `gd-other-${slot}`, NOW_S + 1800), target: { S: `${REGION}/i-0eeeeffff00001111` } })),
    );

    const { result } = await runGuard(incident);

    expect(putInputs()).toEqual([]);
    expect(result.status).toBe('needs-approval');
    expect(result.idempotentReplay).toBe(false);
  });

  it('still waits for a person when the slots are held by other instances', async () => {
    describes(instance());
    slotsHold(...[0, 1, 2].map((slot) => ({ ...slotItem(slot, `gd-other-${slot}`, NOW_S + 1800), target: { S: `${REGION}/i-0aaaabbbbccccdddd` } })));

    const { result } = await runGuard(incident);

    expect(putInputs()).toEqual([]);
    expect(result.status).toBe('needs-approval');
  });

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
      ['states:DescribeExecution', 'observed'],
      ['ec2:DescribeInstances', 'observed'],
      ['firebreak:blast-radius', 'done'],
      ['firebreak:grant', 'done'],
      ['firebreak:containment-guard', 'observed'],
    ]);
    expect(result.actions.every((a) => a.at === NOW.toISOString())).toBe(true);
  });

  it('on a re-run of an incident that already holds a slot, proceeds without taking a second one and says so', async () => {
    describes(instance());
    // Held for this instance, as the guard writes the hold (its key alone clears no instance: review-pause).
    slotsHold({ ...slotItem(2, incident.key, NOW_S + 1800), target: { S: `${REGION}/${INSTANCE_ID}` } }, slotItem(0, 'gd-other', NOW_S + 60));

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

  // Issue 8: the finding's tags are whatever the instance (or its attacker) set; only EC2's count.
  it("never trusts the finding's tags: a protection tag the finding shows but EC2 does not have protects nothing", async () => {
    describes(instance());
    const tagged = ec2Incident({ resource: ec2Resource({ tags: { Name: 'db-1', [TAG_KEY]: 'true' } }) });

    slotsHold();
    const { result } = await runGuard(tagged);

    expect(result.status).toBe('proceed');
    expect(result.protected).toBe(false);
    expect(describeInputs()).toEqual([{ InstanceIds: [INSTANCE_ID] }]);
  });

  it('ATTACK (review-rails): protects an instance carrying the protected tag key in another case, as IAM reads aws:ResourceTag keys (its Deny would refuse the containing calls): no slot, evidence only (row 2w)', async () => {
    // Before: proceed, a slot taken, and quarantine half done (ENIs moved, then DenyProtectedTagKey).
    describes(instance({ Tags: [{ Key: 'Firebreak:Protected', Value: 'ops' }] }));
    slotsHold();

    const { result } = await runGuard(incident);

    expect(describeInputs()).toEqual([{ InstanceIds: [INSTANCE_ID] }]);
    expect(result.status).toBe('evidence-only');
    expect(result.protected).toBe(true);
    expect(result.reasons.join(' ')).toContain('spelt Firebreak:Protected');
    expect(putInputs()).toEqual([]);
  });

  it.each([
    ['another key', 'firebreak:protected-until'],
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

  it("ATTACK (review-member): does not read another account's unprotected instance as the incident's: evidence-only, no slot", async () => {
    // An answer owned by another account (a mixed-up client or session) shows an instance of the
    // incident's id without the protected tag: it says nothing of the incident's own instance.
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ OwnerId: '999988887777', Instances: [instance()] }] });

    const { result } = await runGuard(incident);

    expect(result.status).toBe('evidence-only');
    expect(result.reasons[0]).toContain('(InstanceOfAnotherAccount): its current tags, and so its protection, cannot be verified');
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

  describe('an instance Firebreak holds quarantined already (row 15o)', () => {
    const RECORD_KEY = quarantineRecordKey(ACCOUNT, REGION, INSTANCE_ID);
    const recordSays = (item: Record<string, AttributeValue> | undefined) =>
      ddb.on(GetItemCommand, { Key: { pk: { S: RECORD_KEY } } }).resolves(item === undefined ? {} : { Item: { pk: { S: RECORD_KEY }, ...item } });
    const held = { incidentKey: { S: 'gd-first' }, released: { BOOL: false }, claims: { SS: ['gd-first'] } };

    /** Firebreak's isolation groups as EC2 describes them: the account's, tagged by Firebreak, no rule. */
    const firebreakGroup = (overrides: Partial<SecurityGroup> = {}): SecurityGroup => ({
      GroupId: 'sg-0iso',
      GroupName: 'firebreak-isolation',
      VpcId: 'vpc-0a',
      OwnerId: ACCOUNT,
      Tags: [{ Key: 'firebreak:managed', Value: 'true' }, { Key: 'firebreak:purpose', Value: 'isolation' }],
      IpPermissions: [],
      IpPermissionsEgress: [],
      ...overrides,
    });
    const groupsAre = (...groups: SecurityGroup[]) => ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: groups });
    beforeEach(() => {
      groupsAre(firebreakGroup(), firebreakGroup({ GroupId: 'sg-0isx', GroupName: 'firebreak-isolation-0a1b2c3d', VpcId: 'vpc-0b' }));
    });

    /** The instance as quarantine-instance leaves it: tagged, every ENI in its VPC's isolation group alone. */
    const isolated = (overrides: Partial<Instance> = {}) =>
      instance({
        Tags: [{ Key: 'Name', Value: 'web-1' }, { Key: 'firebreak:status', Value: 'quarantined' }],
        NetworkInterfaces: [{ NetworkInterfaceId: 'eni-1', Groups: [{ GroupId: 'sg-0iso', GroupName: 'firebreak-isolation' }] }],
        ...overrides,
      });

    it('ATTACK (review-pause): a new finding about an instance still quarantined past its hold\'s window takes no slot, and never waits behind a full window', async () => {
      // The attacker's contained foothold goes on raising findings (the VPC resolver is not filtered):
      // before, each one past the first hold's window took a slot again, or, the window full, asked a person.
      describes(isolated());
      full();
      recordSays(held);

      const { result } = await runGuard(incident);

      expect(result.status).toBe('proceed');
      expect(putInputs()).toEqual([]);
      expect(result.blastRadius).toMatchObject({ evaluated: true, granted: true, slotTaken: false });
      expect(result.reasons).toEqual([
        `Blast radius: ${INSTANCE_ID} is held quarantined by Firebreak already (unreleased record, incident gd-first): containing it again takes nothing more out of service, so no slot is taken.`,
      ]);
      expect(result.actions.find((a) => a.api === 'firebreak:blast-radius')?.outcome).toBe('already-done');
      expect(ddb.commandCalls(GetItemCommand).map((call) => call.args[0].input)).toEqual([
        { TableName: TABLE, Key: { pk: { S: RECORD_KEY } }, ConsistentRead: true, ProjectionExpression: 'incidentKey, released, releasedAt, releasedBy, claims, releasedClaims, capturedAt, claimSerial' },
      ]);
    });

    it('ATTACK (rereview-rails): an unreleased record of an instance EC2 shows back in service (restored by hand after a refused release) takes a slot, and a full window asks a person', async () => {
      // Release refuses a record whose MAC fails, one saved unsealed, or a changed profile: the
      // instance is restored by hand, and its record stays unreleased for good. Before, every later
      // finding about it (a false positive flagged again, a forged one) contained it with no slot and,
      // the window full, no person: as many such instances at once as findings named.
      full();
      recordSays(held);
      const restored = instance({
        Tags: [{ Key: 'Name', Value: 'web-1' }, { Key: 'firebreak:status', Value: 'quarantined' }],
        NetworkInterfaces: [{ NetworkInterfaceId: 'eni-1', Groups: [{ GroupId: 'sg-0web', GroupName: 'web' }] }],
      });
      describes(restored);

      const { result } = await runGuard(incident);

      expect(result.status).toBe('needs-approval');
      expect(putInputs()).toEqual([]);
      expect(result.reasons.join(' ')).not.toContain('held quarantined by Firebreak already');
      expect(result.actions.find((a) => a.api === 'ec2:DescribeInstances' && a.detail.includes('unreleased'))).toMatchObject({
        target: INSTANCE_ID,
        outcome: 'observed',
        detail: `Firebreak's record of ${INSTANCE_ID} is unreleased (incident gd-first), but EC2 does not show it isolated now (network interface eni-1 is in sg-0web (web), not in Firebreak's isolation group alone): it may be back in service (restored by hand), so its containment counts against the blast radius.`,
      });
      // The record first (consistent), then EC2: a release restores before it marks the record released.
      expect(describeInputs().at(-1)).toEqual({ InstanceIds: [INSTANCE_ID] });
    });

    it('ATTACK (rereview-two): an isolated foothold whose firebreak:status tag someone changed or removed takes no slot: the tag is not what keeps it out of service (row 15q)', async () => {
      // Row 15p also asked for the quarantined tag. No SCP guards Firebreak's own tag keys: whoever
      // holds ec2:CreateTags or ec2:DeleteTags on the contained foothold (far more common than
      // ModifyNetworkInterfaceAttribute) retags it, and every later finding about it took a slot
      // again, or, the window full, asked a person: row 15o's lever back, though the instance is
      // as isolated as before.
      full();
      recordSays(held);
      for (const tags of [[{ Key: 'Name', Value: 'web-1' }, { Key: 'firebreak:status', Value: 'released' }], [{ Key: 'Name', Value: 'web-1' }], [{ Key: 'firebreak:status', Value: 'Quarantined' }]]) {
        grants = new InMemoryGrantStore();
        describes(isolated({ Tags: tags }));
        const { result } = await runGuard(incident);
        expect(result.status).toBe('proceed');
        expect(result.blastRadius).toMatchObject({ evaluated: true, granted: true, slotTaken: false });
        expect(putInputs()).toEqual([]);
      }
    });

    it('tried (rereview-rails): held only while EC2 shows every ENI in an isolation group alone; a suffixed isolation group counts', async () => {
      full();
      recordSays(held);
      const cases: Array<[Partial<Instance>, 'proceed' | 'needs-approval']> = [
        // Firebreak's own suffixed group (an impostor held the plain name).
        [{ NetworkInterfaces: [{ NetworkInterfaceId: 'eni-1', Groups: [{ GroupId: 'sg-0isx', GroupName: 'firebreak-isolation-0a1b2c3d' }] }] }, 'proceed'],
        // Restored by hand with the tag left on (row 15p's attack, the tag alone proves nothing).
        [{ NetworkInterfaces: [{ NetworkInterfaceId: 'eni-1', Groups: [{ GroupId: 'sg-0web', GroupName: 'web' }] }] }, 'needs-approval'],
        // A look-alike name (case, prefix, suffix that is not Firebreak's 8 lowercase hex digits).
        [{ NetworkInterfaces: [{ NetworkInterfaceId: 'eni-1', Groups: [{ GroupId: 'sg-0x', GroupName: 'Firebreak-Isolation' }] }] }, 'needs-approval'],
        [{ NetworkInterfaces: [{ NetworkInterfaceId: 'eni-1', Groups: [{ GroupId: 'sg-0x', GroupName: 'firebreak-isolation-0A1B2C3D' }] }] }, 'needs-approval'],
        [{ NetworkInterfaces: [{ NetworkInterfaceId: 'eni-1', Groups: [{ GroupId: 'sg-0x', GroupName: 'firebreak-isolation-open' }] }] }, 'needs-approval'],
        [{ NetworkInterfaces: [{ NetworkInterfaceId: 'eni-1', Groups: [{ GroupId: 'sg-0x', GroupName: 'firebreak-isolation ' }] }] }, 'needs-approval'],
        // An ENI whose groups EC2 does not list.
        [{ NetworkInterfaces: [{ NetworkInterfaceId: 'eni-1', Groups: [{ GroupId: 'sg-0iso', GroupName: 'firebreak-isolation' }] }, { NetworkInterfaceId: 'eni-efa' }] }, 'needs-approval'],
        // One ENI of two still in its own groups.
        [{ NetworkInterfaces: [{ NetworkInterfaceId: 'eni-1', Groups: [{ GroupId: 'sg-0iso', GroupName: 'firebreak-isolation' }] }, { NetworkInterfaceId: 'eni-2', Groups: [{ GroupId: 'sg-0iso', GroupName: 'firebreak-isolation' }, { GroupId: 'sg-0web', GroupName: 'web' }] }] }, 'needs-approval'],
        // An interrupted run left it in the untrack group, which allows all traffic.
        [{ NetworkInterfaces: [{ NetworkInterfaceId: 'eni-1', Groups: [{ GroupId: 'sg-0unt', GroupName: 'firebreak-untrack' }] }] }, 'needs-approval'],
        // No network interface at all: nothing shows it isolated.
        [{ NetworkInterfaces: [] }, 'needs-approval'],
      ];
      for (const [overrides, status] of cases) {
        // A fresh execution each time: a grant issued by an earlier case would answer its re-run.
        grants = new InMemoryGrantStore();
        describes(isolated(overrides));
        const { result } = await runGuard(incident);
        expect(result.status).toBe(status);
        expect(putInputs()).toEqual([]);
      }
      // EC2 that cannot answer: counted as before.
      ec2.on(DescribeInstancesCommand).rejects(Object.assign(new Error('denied'), { name: 'UnauthorizedOperation' }));
      const { result } = await runGuard(incident, { config: config({ protectedTagKey: undefined }) });
      expect(result.status).toBe('needs-approval');
    });

    it('ATTACK (held-rails): a group named firebreak-isolation that is not Firebreak\'s (an impostor: untagged, holding a rule, another account\'s) does not make an instance held: a full window asks a person', async () => {
      // Whoever may create a group in the VPC and change the instance's groups names one
      // firebreak-isolation (rules of their choosing) and moves the foothold into it: before, the
      // guard read the name alone, so every finding about it took no slot and skipped whatever a
      // held instance skips. Quarantine never took such a group for Firebreak's (isolation-groups.ts).
      full();
      recordSays(held);
      const impostors: Array<[Partial<SecurityGroup>, string]> = [
        [{ Tags: [] }, 'lacks the firebreak:managed=true tag'],
        [{ IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }, 'carries the firebreak:managed tag but holds 1 rule(s) Firebreak never sets (inbound tcp 22-22 cidr 0.0.0.0/0)'],
        [{ OwnerId: '444455556666' }, 'is owned by account 444455556666'],
      ];
      for (const [overrides, why] of impostors) {
        grants = new InMemoryGrantStore();
        describes(isolated({ NetworkInterfaces: [{ NetworkInterfaceId: 'eni-1', Groups: [{ GroupId: 'sg-0imp', GroupName: 'firebreak-isolation' }] }] }));
        groupsAre(firebreakGroup(), firebreakGroup({ GroupId: 'sg-0imp', ...overrides }));
        const { result } = await runGuard(incident);
        expect(result.status).toBe('needs-approval');
        expect(putInputs()).toEqual([]);
        expect(result.actions.find((a) => a.api === 'ec2:DescribeInstances' && a.detail.includes('unreleased'))?.detail).toContain(`sg-0imp (firebreak-isolation), which ${why}`);
      }
      // A group EC2 does not list under Firebreak's names (a look-alike in another case, or gone) is not Firebreak's either.
      grants = new InMemoryGrantStore();
      describes(isolated({ NetworkInterfaces: [{ NetworkInterfaceId: 'eni-1', Groups: [{ GroupId: 'sg-0gone', GroupName: 'firebreak-isolation' }] }] }));
      groupsAre(firebreakGroup());
      expect((await runGuard(incident)).result.status).toBe('needs-approval');
    });

    it('ATTACK (rereview-two): a group tagged and named as Firebreak\'s that lets traffic out (the all-traffic egress EC2 puts on every new group, which quarantine revokes before use) does not make an instance held: a full window asks a person', async () => {
      // Whoever may create a group and tag it (no SCP guards firebreak:managed) keeps EC2's default
      // egress, or adds it back to Firebreak's own group (ec2:AuthorizeSecurityGroupEgress), and moves
      // the foothold into it: quarantine's test takes such a group for Firebreak's, since quarantine
      // revokes that rule before it puts an interface in the group; the instance is not isolated.
      full();
      recordSays(held);
      const allOut = [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }];
      for (const [groupId, groupName] of [
        ['sg-0imp', 'firebreak-isolation-0a1b2c3d'],
        ['sg-0iso', 'firebreak-isolation'],
      ] as const) {
        grants = new InMemoryGrantStore();
        describes(isolated({ NetworkInterfaces: [{ NetworkInterfaceId: 'eni-1', Groups: [{ GroupId: groupId, GroupName: groupName }] }] }));
        groupsAre(firebreakGroup({ GroupId: groupId, GroupName: groupName, IpPermissionsEgress: allOut }));
        const { result } = await runGuard(incident);
        // Before the fix: `proceed` with no slot, the grant marked held.
        expect(result.status).toBe('needs-approval');
        expect(putInputs()).toEqual([]);
        expect(result.actions.find((a) => a.api === 'ec2:DescribeInstances' && a.detail.includes('unreleased'))?.detail).toContain(`${groupId} (${groupName}), which lets traffic out (outbound all traffic cidr 0.0.0.0/0)`);
      }
    });

    it('tried (held-rails): reads the groups beside the instance, by Firebreak\'s isolation names, in one call (no round trip more)', async () => {
      full();
      recordSays(held);
      describes(isolated());
      let describing = 0;
      let overlapped = false;
      ec2.on(DescribeInstancesCommand).callsFake(async () => {
        describing += 1;
        await new Promise((resolve) => setTimeout(resolve, 5));
        describing -= 1;
        return { Reservations: [{ Instances: [isolated()] }] };
      });
      ec2.on(DescribeSecurityGroupsCommand).callsFake(async () => {
        overlapped ||= describing > 0;
        return { SecurityGroups: [firebreakGroup()] };
      });
      const { result } = await runGuard(incident, { config: config({ protectedTagKey: undefined }) });
      expect(result.status).toBe('proceed');
      expect(overlapped).toBe(true);
      expect(ec2.commandCalls(DescribeSecurityGroupsCommand).map((call) => call.args[0].input)).toEqual([
        { Filters: [{ Name: 'group-name', Values: ['firebreak-isolation', 'firebreak-isolation-*'] }] },
      ]);
      // Groups EC2 cannot list (the member role lacks ec2:DescribeSecurityGroups): not shown isolated, counted.
      grants = new InMemoryGrantStore();
      ec2.on(DescribeSecurityGroupsCommand).rejects(Object.assign(new Error('denied'), { name: 'UnauthorizedOperation' }));
      expect((await runGuard(incident, { config: config({ protectedTagKey: undefined }) })).result.status).toBe('needs-approval');
    });

    describe('what a grant cleared without a slot lets through (held-rails)', () => {
      const DOMAIN = 'c2.evil-domain.com';
      const dnsFinding = ec2Incident({ key: incident.key });
      const withDomain: Incident = { ...dnsFinding, guardDuty: { ...dnsFinding.guardDuty!, dnsDomain: DOMAIN } };
      const BLOCKS_KEY = dnsBlockInstanceKey(ACCOUNT, REGION, INSTANCE_ID);
      const instanceBlocks = (...domains: string[]) =>
        ddb.on(GetItemCommand, { Key: { pk: { S: BLOCKS_KEY } } }).resolves(domains.length === 0 ? {} : { Item: { pk: { S: BLOCKS_KEY }, blocks: { SS: domains.map((d) => `${d} gd-first`) } } });
      const railsWith = (extra: Record<string, unknown>) => config({ rails: { ...RAILS, 'compromised-ec2-instance': { ...RAILS['compromised-ec2-instance'], ...extra } } as ContainmentGuardConfig['rails'] });

      it('ATTACK (held-rails): a new finding naming a domain the held instance does not block yet takes a slot: its DNS block is VPC-wide, a blast radius no earlier slot spent', async () => {
        // Before: the foothold's next finding ran the whole playbook with no slot, and the DNS block
        // step listed an attacker-chosen domain for every VPC of the account and region.
        full();
        recordSays(held);
        describes(isolated());
        instanceBlocks('other.example.net');
        const { result } = await runGuard(withDomain, { config: railsWith({ blocksDns: true }) });
        expect(result.status).toBe('needs-approval');
        expect(result.reasons.join(' ')).not.toContain('no slot is taken');
        expect(result.actions.find((a) => a.api === 'firebreak:blast-radius' && a.detail.includes(DOMAIN))?.detail).toContain(`its playbook would block ${DOMAIN} VPC-wide`);
      });

      it('ATTACK (held-rails): a playbook that denies the instance role\'s sessions again takes a slot: the deny reaches every holder of the role', async () => {
        full();
        recordSays(held);
        describes(isolated());
        const { result } = await runGuard(incident, { config: railsWith({ renewsRoleSessions: true }) });
        expect(result.status).toBe('needs-approval');
        expect(putInputs()).toEqual([]);
      });

      it('tried (held-rails): a grant issued without a slot says so, for the steps that act; a domain the instance blocks already, or no domain, keeps it held', async () => {
        full();
        recordSays(held);
        describes(isolated());
        instanceBlocks(DOMAIN);
        const blocked = await runGuard(withDomain, { config: railsWith({ blocksDns: true }) });
        expect(blocked.result.status).toBe('proceed');
        expect([...grants.grants.values()][0]).toMatchObject({ status: 'proceed', heldQuarantine: true });
        grants = new InMemoryGrantStore();
        const noDomain = await runGuard(incident, { config: railsWith({ blocksDns: true }) });
        expect(noDomain.result.status).toBe('proceed');
        expect([...grants.grants.values()][0]).toMatchObject({ heldQuarantine: true });
        // A containment that took a slot issues a grant without the mark.
        grants = new InMemoryGrantStore();
        recordSays(undefined);
        slotsHold();
        expect((await runGuard(incident)).result.status).toBe('proceed');
        expect([...grants.grants.values()][0]?.heldQuarantine).toBeUndefined();
      });
    });

    it('tried (review-pause): a released record, none, or one that cannot be read counts as before: a full window asks a person', async () => {
      describes(instance());
      full();
      for (const record of [{ ...held, released: { BOOL: true } }, undefined]) {
        ddb.resetHistory();
        recordSays(record);
        const { result } = await runGuard(incident);
        expect(result.status).toBe('needs-approval');
        expect(putInputs()).toEqual([]);
      }
      ddb.on(GetItemCommand, { Key: { pk: { S: RECORD_KEY } } }).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
      const { result } = await runGuard(incident);
      expect(result.status).toBe('needs-approval');
      expect(result.actions.find((a) => a.api === 'dynamodb:GetItem')?.outcome).toBe('skipped');
    });

    it('tried (review-pause): a re-run within the window still counts under its own hold; a free slot is still taken for a first containment', async () => {
      describes(instance());
      recordSays(held);
      slotsHold({ ...slotItem(2, incident.key, NOW_S + 1800), target: { S: `${REGION}/${INSTANCE_ID}` } });
      const rerun = await runGuard(incident);
      expect(rerun.result).toMatchObject({ status: 'proceed', idempotentReplay: true });
      expect(putInputs()).toEqual([]);
      ddb.resetHistory();
      recordSays(undefined);
      slotsHold();
      const first = await runGuard(incident);
      expect(first.result.status).toBe('proceed');
      expect(putInputs()).toEqual([expectedPut(START)]);
    });

    it('tried (review-pause): reads no record where no deployed playbook releases instances (the role may not, and nothing would release it)', async () => {
      describes(instance());
      slotsHold();
      const { result } = await runGuard(incident, { config: config({ rails: { 'compromised-ec2-instance': RAILS['compromised-ec2-instance'] } }) });
      expect(result.status).toBe('proceed');
      expect(ddb.commandCalls(GetItemCommand)).toHaveLength(0);
    });
  });

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

// Review guard-review: slot items nothing bounds held their slots for good; now they count for
// nothing, the guard takes such a slot, and the alert names the items.
describe('containment-guard: slot items nothing bounds', () => {
  it('ATTACK: proceeds past slot items without a readable expiry or write time, takes one, and says so in its reasons', async () => {
    describes(instance());
    slotsHold(...[0, 1, 2].map((slot) => ({ pk: { S: blastRadiusSlotKey(ACCOUNT, slot) }, incidentKey: { S: `gd-stuck-${slot}` } })));

    const { result } = await runGuard(incident);

    // Before the fix: needs-approval, "3 of 3 automatic containments already made", for good.
    expect(result.status).toBe('proceed');
    expect(putInputs()).toEqual([expectedPut(START)]);
    expect(result.reasons).toContain(
      `Blast radius: containment 1 of 3 in account ${ACCOUNT} within 3600 s (1 h). Slot item(s) 0, 1, 2 of this pool hold no time within the window (no readable write time, and no expiry or one more than a window ahead): counted as free. Only the guard writes slots: find out who wrote these.`,
    );
  });
});

describe('containment-guard: approval required by the playbook', () => {
  /** The deployment's rails say the playbook requires approval; its guard step says so too (compile.ts). */
  const approving = () => config({ rails: { ...RAILS, 'compromised-ec2-instance': { ...RAILS['compromised-ec2-instance'], approvalRequired: true } } });

  it('asks for approval and takes no slot when the playbook requires approval', async () => {
    describes(instance());
    slotsHold();

    const { result } = await runGuard(incident, { requireApproval: true, config: approving() });

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

    const { result } = await runGuard(incident, { requireApproval: true, config: approving() });

    expect(result.status).toBe('evidence-only');
    expect(ddb.calls()).toHaveLength(0);
  });
});

// The grant is written once, by whichever guard run comes first, and a later run of the same
// execution gets "its decision stands". Review guard-review: a caller with lambda:InvokeFunction on
// the guard could invoke it for a real RUNNING execution before that execution's own guard step,
// with `mode: dry-run` or `requireApproval: true`, and that decision became the execution's: the
// real compromise was then "contained" in dry-run, or waited for a person. What the execution's own
// guard step sends is known (its mode is the execution's, its requireApproval the playbook's
// rails): any other invocation clears nothing and writes nothing.
describe("containment-guard: an invocation that is not the execution's own guard step", () => {
  const handler = () => createContainmentGuardHandler({ clients: clientFactory(), logger: silentLogger, config: config(), grants, emergencyPause, now: () => NOW });

  it('ATTACK: invoked first in dry-run for an enforce execution, it writes no grant, and the execution still contains in enforce', async () => {
    describes(instance());
    slotsHold();
    executionRuns(incident, 'enforce');

    const preempted = await handler()({ incident, mode: 'dry-run', options: {}, execution: EXECUTION });
    const own = await handler()({ incident, mode: 'enforce', options: {}, execution: EXECUTION });

    // Before the fix: the execution's own run found the dry-run grant, `written: false`, and its steps stayed dry-run.
    expect(own).toMatchObject({ status: 'proceed', mode: 'enforce', grant: { written: true, mode: 'enforce', status: 'proceed' } });
    expect(grants.grants.get(EXECUTION.executionArn)).toMatchObject({ mode: 'enforce', status: 'proceed' });
    expect(preempted).toMatchObject({ status: 'evidence-only', execution: { verified: false } });
    expect(preempted.reasons[0]).toContain('this invocation says dry-run, but the execution was started in enforce');
  });

  it('ATTACK: invoked first asking for an approval the playbook does not require, it writes no grant, and the execution still contains at once', async () => {
    describes(instance());
    slotsHold();
    executionRuns(incident, 'enforce');

    const preempted = await handler()({ incident, mode: 'enforce', options: { requireApproval: true }, execution: EXECUTION });
    const own = await handler()({ incident, mode: 'enforce', options: { requireApproval: false }, execution: EXECUTION });

    // Before the fix: the execution's own run found the awaiting-approval grant and waited for a person.
    expect(own).toMatchObject({ status: 'proceed', grant: { written: true, status: 'proceed' } });
    expect(preempted).toMatchObject({ status: 'evidence-only', execution: { verified: false } });
    expect(preempted.reasons[0]).toContain('this invocation says requireApproval: true, but playbook compromised-ec2-instance says false');
  });

  it('clears nothing for an execution whose input carries no mode its guard step could have sent', async () => {
    describes(instance());
    slotsHold();
    for (const mode of [undefined, 'ENFORCE', 'enforce ']) {
      sfn.reset();
      sfn.on(DescribeExecutionCommand).resolves({
        executionArn: EXECUTION.executionArn,
        stateMachineArn: EXECUTION.stateMachineArn,
        status: 'RUNNING',
        startDate: NOW,
        input: JSON.stringify({ incident, ...(mode !== undefined ? { mode } : {}), playbook: 'compromised-ec2-instance' }),
      });
      const result = await handler()({ incident, mode: 'enforce', options: {}, execution: EXECUTION });
      expect(result, String(mode)).toMatchObject({ status: 'evidence-only', execution: { verified: false } });
    }
    expect(grants.grants.size).toBe(0);
    expect(putInputs()).toHaveLength(0);
  });

  it("clears the execution's own guard step of a playbook that requires approval, and of a dry-run execution", async () => {
    describes(instance());
    slotsHold();
    executionRuns(incident, 'dry-run');
    const rails = { 'compromised-ec2-instance': { ...RAILS['compromised-ec2-instance'], approvalRequired: true } };
    const result = await createContainmentGuardHandler({ clients: clientFactory(), logger: silentLogger, config: config({ rails }), grants, emergencyPause, now: () => NOW })({
      incident,
      mode: 'dry-run',
      options: { requireApproval: true },
      execution: EXECUTION,
    });
    expect(result).toMatchObject({ status: 'needs-approval', mode: 'dry-run', execution: { verified: true }, grant: { written: true, mode: 'dry-run', status: 'awaiting-approval' } });
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

describe('containment-guard: an event that came through the oversized-event intake (row 8c)', () => {
  // What triage makes of the intake's copy (lib/incident/parse.ts): `clipped.event` is set on every
  // incident the intake dispatched, and only the intake can have set it. The intake cannot tell a
  // real event from one forged by whoever may invoke it, so a person decides.
  const clipped = ec2Incident({ clipped: { tags: 0, networkInterfaces: 0, securityGroups: 0, texts: 0, sections: [], event: { originalBytes: 409_600 } } });
  // Clipped by the parser's own budget only (long tag lists): the event itself came through EventBridge.
  const budgetOnly = ec2Incident({ clipped: { tags: 12, networkInterfaces: 0, securityGroups: 0, texts: 0, sections: [] } });

  it('ATTACK: asks a person to approve instead of containing, takes no slot, and says why and what to check', async () => {
    describes(instance());
    slotsHold();

    const { result } = await runGuard(clipped);

    expect(result.status).toBe('needs-approval');
    expect(result.intake).toBe('oversized-event');
    expect(putInputs()).toEqual([]);
    expect(result.blastRadius).toMatchObject({ evaluated: true, granted: true, slotTaken: false });
    expect(result.reasons[0]).toBe(
      "The event (409600 bytes) reached Firebreak through the oversized-event intake, which cannot authenticate its sender, and it was not confirmed with GuardDuty's own copy of the finding (GetFindings; the intake's log says why): anyone allowed to invoke that function directly can send a forged event. A person must approve before anything changes: check the finding in the GuardDuty console before approving.",
    );
    expect(grants.grants.get(EXECUTION.executionArn)).toMatchObject({ status: 'awaiting-approval', onTimeout: 'evidence-only' });
  });

  it('ATTACK: an unanswered request never contains it, even for a playbook whose onTimeout is contain', async () => {
    describes(instance());
    slotsHold();
    const rails = { ...RAILS, 'compromised-ec2-instance': { ...RAILS['compromised-ec2-instance'], onTimeout: 'contain' as const, timeoutSeconds: 600 } };

    const { result } = await runGuard(clipped, { config: config({ rails }) });

    expect(result.status).toBe('needs-approval');
    expect(grants.grants.get(EXECUTION.executionArn)).toMatchObject({ status: 'awaiting-approval', onTimeout: 'evidence-only', approvalDeadline: new Date(NOW.getTime() + 600_000).toISOString() });
  });

  it('ATTACK: a step input claiming no clip, for an execution whose incident is clipped, clears nothing', async () => {
    describes(instance());
    slotsHold();
    const handler = createContainmentGuardHandler({ clients: clientFactory(), logger: silentLogger, config: config(), grants, emergencyPause, now: () => NOW });
    executionRuns(clipped);
    const { clipped: _dropped, ...claimed } = clipped;

    const result = await handler({ incident: claimed, mode: 'enforce', options: {}, execution: EXECUTION });

    expect(result.status).not.toBe('proceed');
    expect(result).toMatchObject({ status: 'evidence-only', execution: { verified: false } });
    expect(grants.grants.size).toBe(0);
    expect(putInputs()).toEqual([]);
  });

  it("tried (review-inputs): the protected tag a confirmed copy's clip cut from the finding still protects: the guard reads EC2, never the copy's tags", async () => {
    // GuardDuty's own finding about an instance whose attacker grew its tags and its activity past
    // 255 KiB; the protected tag is the finding's last one, and the clip halves the tag list.
    const event = clone(fixtureEvent('guardduty-ec2-backdoor-c2activity-multi-eni.json')) as { detail: { resource: { instanceDetails: Record<string, unknown> }; service: Record<string, unknown> } };
    const details = event.detail.resource.instanceDetails;
    details.instanceId = INSTANCE_ID;
    details.tags = [...Array.from({ length: 49 }, (_, index) => ({ key: `${String(index).padStart(2, '0')}${'😀'.repeat(126)}`, value: '😀'.repeat(256) })), { key: TAG_KEY, value: 'true' }];
    event.detail.service.additionalInfo = { observed: 'attacker-chosen '.repeat(20_000) };
    expect(isOversizedEvent(event)).toBe(true);
    const copy = clipOversizedEvent(event as unknown as Record<string, unknown>, CLIPPED_EVENT_TARGET_BYTES, FINDING_CONFIRMED_BY).event;
    expect(payloadBytes(copy)).toBeLessThanOrEqual(CLIPPED_EVENT_TARGET_BYTES);
    const fromCopy = parseEvent(copy, { receivedAt: NOW });
    expect(fromCopy.clipped?.event?.confirmed).toBe(true);
    expect(fromCopy.resource.kind === 'ec2-instance' && Object.hasOwn(fromCopy.resource.tags, TAG_KEY)).toBe(false);
    describes(instance({ Tags: [{ Key: 'Name', Value: 'db-1' }, { Key: TAG_KEY, Value: 'true' }] }));
    slotsHold();

    const { result } = await runGuard(fromCopy);

    expect(result).toMatchObject({ status: 'evidence-only', protected: true, execution: { verified: true } });
    expect(describeInputs()).toEqual([{ InstanceIds: [INSTANCE_ID] }]);
    expect(putInputs()).toEqual([]);
  });

  it("reads the clip from the verified execution's own incident", async () => {
    describes(instance());
    slotsHold();
    const handler = createContainmentGuardHandler({ clients: clientFactory(), logger: silentLogger, config: config(), grants, emergencyPause, now: () => NOW });
    executionRuns(clipped);

    const result = await handler({ incident: clipped, mode: 'enforce', options: {}, execution: EXECUTION });

    expect(result).toMatchObject({ status: 'needs-approval', intake: 'oversized-event', execution: { verified: true } });
  });

  it("contains an incident whose event GuardDuty confirmed (GetFindings matched it) as any other: no approval, a slot taken", async () => {
    describes(instance());
    slotsHold();
    const confirmed = ec2Incident({ clipped: { tags: 0, networkInterfaces: 0, securityGroups: 0, texts: 0, sections: [], event: { originalBytes: 409_600, confirmed: true } } });

    const { result } = await runGuard(confirmed);

    expect(result.status).toBe('proceed');
    expect(result.intake).toBeUndefined();
    expect(putInputs()).toEqual([expectedPut(START)]);
  });

  it("ATTACK: a step input claiming confirmation, for an execution whose incident is unconfirmed, contains nothing", async () => {
    describes(instance());
    slotsHold();
    const handler = createContainmentGuardHandler({ clients: clientFactory(), logger: silentLogger, config: config(), grants, emergencyPause, now: () => NOW });
    executionRuns(clipped);
    const claimed = { ...clipped, clipped: { ...clipped.clipped, event: { originalBytes: 409_600, confirmed: true } } };

    const result = await handler({ incident: claimed, mode: 'enforce', options: {}, execution: EXECUTION });

    expect(result.status).not.toBe('proceed');
    expect(putInputs()).toEqual([]);
  });

  it('leaves an incident the parser clipped to its budget alone: its event came through EventBridge', async () => {
    describes(instance());
    slotsHold();

    const { result } = await runGuard(budgetOnly);

    expect(result.status).toBe('proceed');
    expect(result.intake).toBeUndefined();
    expect(putInputs()).toEqual([expectedPut(START)]);
  });

  it('still answers evidence-only for a protected instance: the intake never lowers a rail', async () => {
    describes(instance({ Tags: [{ Key: TAG_KEY, Value: 'true' }] }));

    const { result } = await runGuard(clipped);

    expect(result.status).toBe('evidence-only');
    expect(grants.grants.size).toBe(0);
  });

  it('in dry-run asks for approval as enforce would, with a dry-run grant and no slot', async () => {
    describes(instance());
    slotsHold();

    const { result } = await runGuard(clipped, { mode: 'dry-run' });

    expect(result).toMatchObject({ status: 'needs-approval', mode: 'dry-run', grant: { mode: 'dry-run', status: 'awaiting-approval' } });
    expect(putInputs()).toEqual([]);
  });
});

describe('containment-guard: an incident from a CloudWatch alarm (row 10c)', () => {
  // A real aws.cloudwatch event (EventBridge refuses that source from PutEvents), for an alarm on
  // AWS/EC2 CPUUtilization of the instance: the metric is the service's own (row 10b). But the state
  // is not proof that the metric crossed anything: cloudwatch:SetAlarmState puts any alarm in ALARM
  // with a reason and reasonData of the caller's choosing, and CloudWatch emits the same state change
  // event (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_SetAlarmState.html).
  const alarmEvent = clone(fixtureEvent('gameday-cloudwatch-alarm-ec2-cpu.json')) as {
    source: string;
    account: string;
    region: string;
    resources: string[];
    detail: { configuration: { metrics: { metricStat: { metric: { dimensions: Record<string, string> } } }[] }; state: { reason: string } };
  };
  alarmEvent.source = 'aws.cloudwatch';
  alarmEvent.account = ACCOUNT;
  alarmEvent.region = REGION;
  alarmEvent.resources = [`arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:gameday-miner-cpu-high`];
  alarmEvent.detail.configuration.metrics[0]!.metricStat.metric.dimensions.InstanceId = INSTANCE_ID;
  alarmEvent.detail.state.reason = 'Threshold Crossed: 1 out of the last 1 datapoints [99.9] was greater than the threshold (90.0)';
  const alarmIncident = parseEvent(alarmEvent, { receivedAt: NOW });

  it('reads the alarm as the instance\'s (the incident a containment playbook on alarms would run for)', () => {
    expect(alarmIncident).toMatchObject({ source: 'cloudwatch', account: ACCOUNT, region: REGION, resource: { kind: 'ec2-instance', instanceId: INSTANCE_ID } });
  });

  it('ATTACK (review-boundary): an alarm put in ALARM by SetAlarmState contains nothing without a person: needs-approval, no slot, and says why', async () => {
    describes(instance());
    slotsHold();

    const { result } = await runGuard(alarmIncident);

    expect(result.status).toBe('needs-approval');
    expect(putInputs()).toEqual([]);
    expect(result.blastRadius).toMatchObject({ evaluated: true, granted: true, slotTaken: false });
    expect(result.reasons[0]).toBe(
      'The incident is a CloudWatch alarm\'s state change, and an alarm\'s state is not proof that its metric crossed anything: anyone allowed cloudwatch:SetAlarmState sets any alarm to ALARM, with a reason of their choosing, and CloudWatch sends the same event. A person must approve before anything changes: before approving, look in CloudTrail for a SetAlarmState call on the alarm and read the metric\'s own datapoints (the alarm\'s reason and history repeat the caller\'s words).',
    );
    expect(grants.grants.get(EXECUTION.executionArn)).toMatchObject({ status: 'awaiting-approval', onTimeout: 'evidence-only' });
  });

  it('ATTACK (review-boundary): an unanswered request never contains it, even for a playbook whose onTimeout is contain', async () => {
    describes(instance());
    slotsHold();
    const rails = { ...RAILS, 'compromised-ec2-instance': { ...RAILS['compromised-ec2-instance'], onTimeout: 'contain' as const, timeoutSeconds: 600 } };

    const { result } = await runGuard(alarmIncident, { config: config({ rails }) });

    expect(result.status).toBe('needs-approval');
    expect(grants.grants.get(EXECUTION.executionArn)).toMatchObject({ status: 'awaiting-approval', onTimeout: 'evidence-only' });
  });

  it('ATTACK (review-boundary): a step input claiming a GuardDuty source, for an execution whose incident is an alarm, clears nothing', async () => {
    describes(instance());
    slotsHold();
    const handler = createContainmentGuardHandler({ clients: clientFactory(), logger: silentLogger, config: config(), grants, emergencyPause, now: () => NOW });
    executionRuns(alarmIncident);

    const result = await handler({ incident: { ...alarmIncident, source: 'guardduty' }, mode: 'enforce', options: {}, execution: EXECUTION });

    expect(result.status).not.toBe('proceed');
    expect(putInputs()).toEqual([]);
  });

  it('still contains a GuardDuty finding on the same instance as before: no approval, a slot taken', async () => {
    describes(instance());
    slotsHold();

    const { result } = await runGuard(incident);

    expect(result.status).toBe('proceed');
    expect(putInputs()).toEqual([expectedPut(START)]);
  });

  it('still answers evidence-only for a protected instance: the alarm rule never lowers a rail', async () => {
    describes(instance({ Tags: [{ Key: TAG_KEY, Value: 'true' }] }));

    const { result } = await runGuard(alarmIncident);

    expect(result.status).toBe('evidence-only');
    expect(grants.grants.size).toBe(0);
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
    const handler = createContainmentGuardHandler({ clients: clientFactory(), logger: silentLogger, config: config(), grants, emergencyPause });
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
    expect(() =>
      createContainmentGuardHandler({ clients: clientFactory(), logger: silentLogger, config: config({ stateTable: undefined }), grants, emergencyPause }),
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
      grants,
      emergencyPause,
      now: () => NOW,
    });
    executionRuns(incident);

    const result = await handler({ incident, mode: 'enforce', options: {}, execution: EXECUTION });

    expect(limiter.acquire).toHaveBeenCalledWith(ACCOUNT, incident.key, NOW, 'real', `${REGION}/${INSTANCE_ID}`);
    expect(result.status).toBe('needs-approval');
    expect(result.reasons[0]).toContain('1 of 1 automatic containments already made in account 111122223333 within the last 60 s (1 min)');
  });
});

describe('protectionOf', () => {
  const base = { protectedInstanceIds: [] as string[], protectedTagKey: TAG_KEY };

  it('prefers the id rule, then the current tags (EC2 now); there is no rule on the finding tags', () => {
    expect(protectionOf(INSTANCE_ID, { ...base, protectedInstanceIds: [INSTANCE_ID] }, { [TAG_KEY]: 'x' })).toMatchObject({ rule: 'instance-id' });
    expect(protectionOf(INSTANCE_ID, base, { [TAG_KEY]: 'x' })).toMatchObject({ rule: 'instance-tag' });
    expect(protectionOf(INSTANCE_ID, base, {})).toEqual({ protected: false });
    expect(protectionOf(INSTANCE_ID, base)).toEqual({ protected: false });
  });

  it('does not protect without a matching id or key', () => {
    expect(protectionOf(INSTANCE_ID, base, { Name: 'web' })).toEqual({ protected: false });
    expect(protectionOf(INSTANCE_ID, { protectedInstanceIds: [] }, { [TAG_KEY]: 'x' })).toEqual({ protected: false });
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
      rails: {},
      environment: {},
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
    ).toMatchObject({
      protectedInstanceIds: ['i-0abc1234def567890', 'i-12345678'],
      protectedTagKey: 'firebreak:protected',
      blastRadius: { maxContainments: 3, windowSeconds: 900 },
      stateTable: 'firebreak-state',
    });
  });

  it("reads the deployment's facts the execution check needs: account, region, stack name, rails per playbook, served accounts", () => {
    const env = {
      FIREBREAK_SECURITY_ACCOUNT_ID: ACCOUNT,
      AWS_REGION: REGION,
      FIREBREAK_STACK_NAME: 'Firebreak',
      FIREBREAK_PLAYBOOK_RAILS: JSON.stringify(RAILS),
      FIREBREAK_SERVED_ACCOUNT_IDS: '444455556666',
      FIREBREAK_MEMBER_ROLE_NAME: 'FirebreakResponder',
    };
    expect(readContainmentGuardConfig(env)).toMatchObject({
      securityAccountId: ACCOUNT,
      region: REGION,
      stackName: 'Firebreak',
      rails: RAILS,
      servedAccounts: { securityAccountId: ACCOUNT, allowlist: ['444455556666'], memberRoles: true },
    });
    expect(() => readContainmentGuardConfig({ FIREBREAK_PLAYBOOK_RAILS: '{"x": {"approvalRequired": "no"}}' })).toThrow(/FIREBREAK_PLAYBOOK_RAILS/);
    expect(() => readContainmentGuardConfig({ FIREBREAK_PLAYBOOK_RAILS: 'not json' })).toThrow(/not JSON/);
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

describe('containment-guard: the execution it clears (issue 8)', () => {
  function guard(overrides: Partial<ContainmentGuardConfig> = {}) {
    return createContainmentGuardHandler({ clients: clientFactory(), logger: silentLogger, config: config(overrides), grants, emergencyPause, now: () => NOW });
  }
  const payload = (execution: Record<string, unknown> | null = EXECUTION, mode: 'enforce' | 'dry-run' = 'enforce') => ({
    incident,
    mode,
    options: {},
    ...(execution ? { execution } : {}),
  });

  function expectNothingCleared(result: GuardResult): void {
    expect(result.status).toBe('evidence-only');
    expect(result.execution.verified).toBe(false);
    expect(result.grant).toBeUndefined();
    expect(grants.grants.size).toBe(0);
    expect(ddb.calls()).toHaveLength(0);
    expect(ec2.calls()).toHaveLength(0);
  }

  it('verifies the execution with DescribeExecution, then writes the grant the mutating responders read', async () => {
    describes(instance());
    slotsHold();
    executionRuns(incident);
    const result = await guard()(payload());
    expect(sfn.commandCalls(DescribeExecutionCommand).map((call) => call.args[0].input)).toEqual([{ executionArn: EXECUTION.executionArn }]);
    expect(result).toMatchObject({
      status: 'proceed',
      execution: { verified: true, executionArn: EXECUTION.executionArn, playbook: 'compromised-ec2-instance', kind: 'contain' },
      grant: { status: 'proceed', mode: 'enforce', written: true },
    });
    expect(grants.grants.get(EXECUTION.executionArn)).toEqual({
      pk: `grant#${EXECUTION.executionArn}`,
      executionArn: EXECUTION.executionArn,
      playbook: 'compromised-ec2-instance',
      incidentKey: incident.key,
      incidentDigest: incidentDigest(incidentSchema.parse(incident) as Incident),
      account: ACCOUNT,
      region: REGION,
      instanceId: INSTANCE_ID,
      kind: 'contain',
      gameDay: false,
      mode: 'enforce',
      status: 'proceed',
      grantedAt: NOW.toISOString(),
      expiresAt: NOW_S + 900,
    });
  });

  it('invoked without an execution (directly), clears nothing', async () => {
    expectNothingCleared(await guard()(payload(null)));
    expect(sfn.calls()).toHaveLength(0);
  });

  it.each([
    ['an execution that does not exist', () => sfn.on(DescribeExecutionCommand).rejects(Object.assign(new Error('Execution Does Not Exist'), { name: 'ExecutionDoesNotExist' }))],
    ["another stack's execution (IAM denies the describe)", () => sfn.on(DescribeExecutionCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }))],
    ['a finished execution', () => executionRuns(incident, 'enforce', { status: 'SUCCEEDED' })],
    ["a state machine that is not the deployment's", () => executionRuns(incident, 'enforce', { stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Other-compromised-ec2-instance` })],
    ['a playbook without rails in this deployment', () => executionRuns(incident, 'enforce', { stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Firebreak-handmade` })],
    ['a state machine in another account', () => executionRuns(incident, 'enforce', { stateMachineArn: `arn:aws:states:${REGION}:444455556666:stateMachine:Firebreak-compromised-ec2-instance` })],
    ['an execution started for another instance (a replayed guard)', () => executionRuns(ec2Incident({ resource: ec2Resource({ instanceId: 'i-0fff0000aaaa11112' }) }))],
    ['an execution started for another incident', () => executionRuns(ec2Incident({ key: 'gd-someotherfinding' }))],
    // The same key, account, region and instance, another detail: the grant binds the whole incident.
    ['an execution whose incident differs in any other field (here the DNS domain it names)', () => executionRuns({ ...incident, guardDuty: { ...incident.guardDuty!, dnsDomain: 'sso.corp.example' } } as Incident)],
  ])('clears nothing for %s', async (_what, given) => {
    given();
    const result = await guard()(payload());
    expectNothingCleared(result);
    expect(result.reasons[0]).toContain('is not one this guard can clear');
  });

  it('clears nothing when the deployment did not tell it its rails (fails closed)', async () => {
    executionRuns(incident);
    expectNothingCleared(await guard({ rails: {} })(payload()));
  });

  it('surfaces a throttled DescribeExecution as the retryable TransientResponderError', async () => {
    sfn.on(DescribeExecutionCommand).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));
    await expect(guard()(payload())).rejects.toBeInstanceOf(TransientResponderError);
  });

  it('takes approval from the deployment rails, not from its input: the grant waits for a person', async () => {
    describes(instance());
    slotsHold();
    executionRuns(incident);
    const rails = { 'compromised-ec2-instance': { ...RAILS['compromised-ec2-instance'], approvalRequired: true, onTimeout: 'contain' as const, timeoutSeconds: 600 } };
    const result = await guard({ rails })({ ...payload(), options: { requireApproval: false } });
    expect(result.status).toBe('needs-approval');
    expect(putInputs()).toHaveLength(0);
    expect(grants.grants.get(EXECUTION.executionArn)).toMatchObject({
      status: 'awaiting-approval',
      approvalDeadline: new Date(NOW.getTime() + 600_000).toISOString(),
      onTimeout: 'contain',
      expiresAt: NOW_S + 600 + 900,
    });
  });

  it('a second run for the same execution keeps the grant in force (its decision stands)', async () => {
    describes(instance());
    slotsHold();
    executionRuns(incident);
    await guard()(payload());
    const again = await guard()(payload());
    expect(again.grant).toMatchObject({ status: 'proceed', written: false });
    expect(again.actions).toContainEqual(expect.objectContaining({ api: 'firebreak:grant', outcome: 'already-done' }));
  });

  it('fails rather than stand behind a grant of this execution that binds another incident digest (one it did not write for this incident)', async () => {
    describes(instance());
    slotsHold();
    executionRuns(incident);
    // Same execution, key, account, region, instance and kind: only the digest of the incident differs.
    grants.grants.set(EXECUTION.executionArn, grantFor(incident, NOW, { executionArn: EXECUTION.executionArn, incidentDigest: 'f'.repeat(64) }));
    await expect(guard()(payload())).rejects.toThrow(/already exists for another incident or instance/);
  });

  it('in a dry-run deployment, an enforce input is judged as dry-run: no slot taken, a dry-run grant', async () => {
    describes(instance());
    slotsHold();
    executionRuns(incident);
    const result = await guard({ environment: { FIREBREAK_MODE: 'dry-run' } })(payload());
    expect(result).toMatchObject({ mode: 'dry-run', status: 'proceed', forcedDryRun: { requested: 'enforce' }, grant: { mode: 'dry-run' } });
    expect(putInputs()).toHaveLength(0);
  });

  it("a playbook whose own mode is dry-run clears in dry-run even an execution started by hand in enforce: no slot taken", async () => {
    describes(instance());
    slotsHold();
    executionRuns(incident, 'enforce');
    const rails = { 'compromised-ec2-instance': { ...RAILS['compromised-ec2-instance'], mode: 'dry-run' as const } };
    const result = await guard({ rails })(payload());
    expect(result).toMatchObject({ mode: 'dry-run', forcedDryRun: { requested: 'enforce' }, grant: { mode: 'dry-run' } });
    expect(JSON.stringify(result.actions)).toContain('playbook compromised-ec2-instance says mode: dry-run');
    expect(putInputs()).toHaveLength(0);
  });

  it('an execution started in dry-run stays dry-run whatever the Lambda input says', async () => {
    describes(instance());
    slotsHold();
    executionRuns(incident, 'dry-run');
    const result = await guard()(payload());
    expect(result.grant?.mode).toBe('dry-run');
    expect(putInputs()).toHaveLength(0);
  });

  it('clears a release without a blast-radius slot, waiting for the approval its rails require', async () => {
    executionRuns(incident, 'enforce', { stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Firebreak-release-instance` });
    ddb.on(GetItemCommand).resolves({});
    const result = await guard({ protectedTagKey: undefined })(payload());
    expect(result).toMatchObject({ status: 'needs-approval', execution: { playbook: 'release-instance', kind: 'release' } });
    expect(grants.grants.get(EXECUTION.executionArn)).toMatchObject({ kind: 'release', status: 'awaiting-approval' });
    // Its only table calls are the reads of the instance's claims and of its DNS blocks (no slot).
    expect(ddb.calls().map((call) => call.args[0].constructor.name)).toEqual(['GetItemCommand', 'GetItemCommand']);
  });

  describe('the claims on the instance a release would restore (shown in its approval request)', () => {
    const releasing = () => executionRuns(incident, 'enforce', { stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Firebreak-release-instance` });

    it("reads them with one consistent GetItem of the record's release attributes, never the record itself", async () => {
      releasing();
      ddb.on(GetItemCommand).resolves({
        Item: { incidentKey: { S: incident.key }, released: { BOOL: false }, claims: { SS: ['gd-later', incident.key] }, capturedAt: { S: '2026-11-20T10:02:00.000Z' }, claimSerial: { N: '2' } },
      });
      const result = await guard({ protectedTagKey: undefined })(payload());
      expect(ddb.commandCalls(GetItemCommand).map((call) => call.args[0].input)).toEqual([
        {
          TableName: TABLE,
          Key: { pk: { S: quarantineRecordKey(ACCOUNT, REGION, INSTANCE_ID) } },
          ConsistentRead: true,
          // The capture and claim serial with the claims, in the same read: the grant binds them.
          ProjectionExpression: 'incidentKey, released, releasedAt, releasedBy, claims, releasedClaims, capturedAt, claimSerial',
        },
        // The DNS Firewall blocks claimed on the instance (row 5r): what the release's unblock-dns step takes back.
        { TableName: TABLE, Key: { pk: { S: dnsBlockInstanceKey(ACCOUNT, REGION, INSTANCE_ID) } }, ConsistentRead: true },
      ]);
      expect(result.releaseClaims).toEqual({ record: 'held', claims: [incident.key, 'gd-later'].sort(), claimCount: 2, capturedAt: '2026-11-20T10:02:00.000Z', claimSerial: 2 });
    });

    it('binds the record it read into the grant (its capture and claim serial): release-instance restores only that record, at that serial', async () => {
      releasing();
      ddb.on(GetItemCommand).resolves({ Item: { incidentKey: { S: incident.key }, released: { BOOL: false }, claims: { SS: [incident.key] }, capturedAt: { S: '2026-11-20T10:02:00.000Z' }, claimSerial: { N: '3' } } });
      await guard({ protectedTagKey: undefined })(payload());
      expect(grants.grants.get(EXECUTION.executionArn)).toMatchObject({ kind: 'release', status: 'awaiting-approval', releaseRecord: { capturedAt: '2026-11-20T10:02:00.000Z', claimSerial: 3 } });
    });

    it('binds a record written before claim serials at serial 0 (absent counts as 0, as the release reads it)', async () => {
      releasing();
      ddb.on(GetItemCommand).resolves({ Item: { incidentKey: { S: incident.key }, released: { BOOL: false }, claims: { SS: [incident.key] }, capturedAt: { S: '2026-11-20T10:02:00.000Z' } } });
      await guard({ protectedTagKey: undefined })(payload());
      expect(grants.grants.get(EXECUTION.executionArn)?.releaseRecord).toEqual({ capturedAt: '2026-11-20T10:02:00.000Z', claimSerial: 0 });
    });

    it('binds no record when it read none unreleased, or could not read it: the release will restore nothing under that grant', async () => {
      releasing();
      ddb.on(GetItemCommand).resolvesOnce({}).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
      await guard({ protectedTagKey: undefined })(payload());
      expect(grants.grants.get(EXECUTION.executionArn)).toMatchObject({ kind: 'release' });
      expect(grants.grants.get(EXECUTION.executionArn)?.releaseRecord).toBeUndefined();
      grants = new InMemoryGrantStore();
      await guard({ protectedTagKey: undefined })(payload());
      expect(grants.grants.get(EXECUTION.executionArn)?.releaseRecord).toBeUndefined();
    });

    it('says so when there is no record, or it is already released', async () => {
      releasing();
      ddb.on(GetItemCommand).resolvesOnce({}).resolves({ Item: { incidentKey: { S: incident.key }, released: { BOOL: true } } });
      expect((await guard({ protectedTagKey: undefined })(payload())).releaseClaims).toEqual({ record: 'no-record' });
      grants = new InMemoryGrantStore();
      expect((await guard({ protectedTagKey: undefined })(payload())).releaseClaims).toEqual({ record: 'released' });
    });

    it('bounds what it keeps of claims read from the table: ten listed, each cut, and their count', async () => {
      releasing();
      const many = [...Array.from({ length: 24 }, (_, i) => `gd-${String(i).padStart(2, '0')}`), `gd-${'x'.repeat(500)}`];
      ddb.on(GetItemCommand).resolves({ Item: { incidentKey: { S: incident.key }, released: { BOOL: false }, claims: { SS: many } } });
      const claims = (await guard({ protectedTagKey: undefined })(payload())).releaseClaims;
      expect(claims).toMatchObject({ record: 'held', claimCount: 25 });
      expect(claims?.claims).toHaveLength(10);
      expect(Math.max(...claims!.claims!.map((key) => key.length))).toBeLessThanOrEqual(128);
    });

    it('still clears the release when the read fails: the claims are unreadable, and the release reads the record again itself', async () => {
      releasing();
      ddb.on(GetItemCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
      const result = await guard({ protectedTagKey: undefined })(payload());
      expect(result).toMatchObject({ status: 'needs-approval', releaseClaims: { record: 'unreadable', reason: expect.stringContaining('not authorized') } });
    });

    it('reads none for a release playbook that releases no instance (a DNS unblock): its request would say the instance is restored', async () => {
      executionRuns(incident, 'enforce', { stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Firebreak-unblock-dns-domain` });
      ddb.on(GetItemCommand).resolves({});
      const result = await guard({ protectedTagKey: undefined })(payload());
      expect(result).toMatchObject({ status: 'needs-approval', execution: { playbook: 'unblock-dns-domain' } });
      expect(result.releaseClaims).toBeUndefined();
      expect(ddb.commandCalls(GetItemCommand)).toHaveLength(0);
    });

    // Session 37 (row 5r): the release playbook's unblock-dns step takes back the DNS Firewall blocks
    // the release's incident claimed on the instance (block-dns-domain), VPC-wide; the approver was
    // never told, and approved a domain back into resolving without knowing.
    describe('ATTACK (approvals): the DNS Firewall blocks the release would lift (row 5r)', () => {
      const quarantineItem = { Item: { incidentKey: { S: incident.key }, released: { BOOL: false }, claims: { SS: [incident.key] } } };
      const blocksItem = (blocks: string[]) => ({ Item: { pk: { S: dnsBlockInstanceKey(ACCOUNT, REGION, INSTANCE_ID) }, blocks: { SS: blocks } } });

      it("reads the instance's block index and names the release incident's domains apart from other incidents'", async () => {
        releasing();
        ddb.on(GetItemCommand, { Key: { pk: { S: quarantineRecordKey(ACCOUNT, REGION, INSTANCE_ID) } } }).resolves(quarantineItem);
        ddb.on(GetItemCommand, { Key: { pk: { S: dnsBlockInstanceKey(ACCOUNT, REGION, INSTANCE_ID) } } }).resolves(
          blocksItem([`c2.evil.example ${incident.key}`, `tunnel.evil.example ${incident.key}`, 'other.example gd-later', 'not a block at all']),
        );
        const result = await guard({ protectedTagKey: undefined })(payload());
        expect(result.releaseDnsBlocks).toEqual({ record: 'read', domains: ['c2.evil.example', 'tunnel.evil.example'], domainCount: 2, others: ['other.example'], otherCount: 1 });
        expect(result.actions).toContainEqual(expect.objectContaining({ api: 'dynamodb:GetItem', target: INSTANCE_ID, outcome: 'observed', detail: expect.stringContaining('c2.evil.example') as unknown }));
      });

      it('bounds what it keeps: ten domains listed, each cut, and their count', async () => {
        releasing();
        ddb.on(GetItemCommand, { Key: { pk: { S: quarantineRecordKey(ACCOUNT, REGION, INSTANCE_ID) } } }).resolves(quarantineItem);
        const many = Array.from({ length: 14 }, (_, i) => `d${String(i).padStart(2, '0')}.${'x'.repeat(300)}.example ${incident.key}`);
        ddb.on(GetItemCommand, { Key: { pk: { S: dnsBlockInstanceKey(ACCOUNT, REGION, INSTANCE_ID) } } }).resolves(blocksItem(many));
        const blocks = (await guard({ protectedTagKey: undefined })(payload())).releaseDnsBlocks;
        expect(blocks).toMatchObject({ record: 'read', domainCount: 14, otherCount: 0 });
        expect(blocks?.domains).toHaveLength(10);
        expect(Math.max(...blocks!.domains!.map((domain) => domain.length))).toBeLessThanOrEqual(253);
      });

      it('says none when the instance has no block, and says so when the read fails (the release still waits for its approval)', async () => {
        releasing();
        ddb.on(GetItemCommand, { Key: { pk: { S: quarantineRecordKey(ACCOUNT, REGION, INSTANCE_ID) } } }).resolves(quarantineItem);
        ddb.on(GetItemCommand, { Key: { pk: { S: dnsBlockInstanceKey(ACCOUNT, REGION, INSTANCE_ID) } } }).resolvesOnce({}).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
        expect((await guard({ protectedTagKey: undefined })(payload())).releaseDnsBlocks).toEqual({ record: 'read', domains: [], domainCount: 0, others: [], otherCount: 0 });
        grants = new InMemoryGrantStore();
        const result = await guard({ protectedTagKey: undefined })(payload());
        expect(result).toMatchObject({ status: 'needs-approval', releaseDnsBlocks: { record: 'unreadable', reason: expect.stringContaining('not authorized') } });
      });

      it('reads none for a release playbook with no unblock of the instance\'s blocks (a DNS unblock names its one domain itself)', async () => {
        executionRuns(incident, 'enforce', { stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Firebreak-unblock-dns-domain` });
        ddb.on(GetItemCommand).resolves({});
        const result = await guard({ protectedTagKey: undefined })(payload());
        expect(result.releaseDnsBlocks).toBeUndefined();
        expect(ddb.commandCalls(GetItemCommand)).toHaveLength(0);
      });
    });

    describe('of an S3 object version a release would untag (its claims item: s3-object-claims.ts)', () => {
      /** A Malware Protection for S3 scan result in the guard's account and Region. */
      function scanIncident(): Incident {
        const event = clone(fixtureEvent('guardduty-malware-protection-s3-threats-found.json')) as { account: string; region: string };
        return parseEvent({ ...event, account: ACCOUNT, region: REGION }, { receivedAt: NOW });
      }
      const scan = scanIncident();
      const object = scannedObjectOf(scan).object!;
      const releasingObject = () => executionRuns(scan, 'enforce', { stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Firebreak-release-s3-object` });
      const scanPayload = () => ({ incident: scan, mode: 'enforce' as const, options: {}, execution: EXECUTION });

      it('reads them with one consistent GetItem of the version\'s claims item, and says which incidents hold it', async () => {
        releasingObject();
        ddb.on(GetItemCommand).resolves({ Item: { pk: { S: s3ObjectClaimKey(object) }, claims: { SS: ['s3scan-later', scan.key] }, releasedClaims: { SS: ['s3scan-old'] } } });
        const result = await guard({ protectedTagKey: undefined })(scanPayload());
        expect(ddb.commandCalls(GetItemCommand).map((call) => call.args[0].input)).toEqual([{ TableName: TABLE, Key: { pk: { S: s3ObjectClaimKey(object) } }, ConsistentRead: true }]);
        expect(result).toMatchObject({ status: 'needs-approval', execution: { playbook: 'release-s3-object', kind: 'release' } });
        expect(result.releaseClaims).toEqual({ of: 's3-object', record: 'held', claims: [scan.key, 's3scan-later'].sort(), claimCount: 2 });
      });

      it('says so when no incident holds it, or every one took its claim back', async () => {
        releasingObject();
        ddb.on(GetItemCommand).resolvesOnce({}).resolves({ Item: { pk: { S: s3ObjectClaimKey(object) }, releasedClaims: { SS: [scan.key] } } });
        expect((await guard({ protectedTagKey: undefined })(scanPayload())).releaseClaims).toEqual({ of: 's3-object', record: 'no-record' });
        grants = new InMemoryGrantStore();
        expect((await guard({ protectedTagKey: undefined })(scanPayload())).releaseClaims).toEqual({ of: 's3-object', record: 'released' });
      });

      it('bounds what it keeps of claims read from the table: ten listed, each cut, and their count', async () => {
        releasingObject();
        const many = [...Array.from({ length: 24 }, (_, i) => `s3scan-${String(i).padStart(2, '0')}`), `s3scan-${'x'.repeat(500)}`];
        ddb.on(GetItemCommand).resolves({ Item: { claims: { SS: many } } });
        const claims = (await guard({ protectedTagKey: undefined })(scanPayload())).releaseClaims;
        expect(claims).toMatchObject({ of: 's3-object', record: 'held', claimCount: 25 });
        expect(claims?.claims).toHaveLength(10);
        expect(Math.max(...claims!.claims!.map((key) => key.length))).toBeLessThanOrEqual(128);
      });

      it('still clears the release when the read fails: the claims are unreadable, and the release reads them itself', async () => {
        releasingObject();
        ddb.on(GetItemCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
        const result = await guard({ protectedTagKey: undefined })(scanPayload());
        expect(result).toMatchObject({ status: 'needs-approval', releaseClaims: { of: 's3-object', record: 'unreadable', reason: expect.stringContaining('not authorized') } });
      });

      it('reads none where the playbook releases no object', async () => {
        executionRuns(scan, 'enforce', { stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Firebreak-unblock-dns-domain` });
        ddb.on(GetItemCommand).resolves({});
        const result = await guard({ protectedTagKey: undefined })(scanPayload());
        expect(result.releaseClaims).toBeUndefined();
        expect(ddb.commandCalls(GetItemCommand)).toHaveLength(0);
      });
    });

    it('reads no claims for a playbook that contains (not a release): only whether Firebreak holds the instance already (row 15o)', async () => {
      describes(instance());
      slotsHold();
      executionRuns(incident);
      const result = await guard()(payload());
      expect(result.releaseClaims).toBeUndefined();
      expect(ddb.commandCalls(GetItemCommand).map((call) => call.args[0].input)).toEqual([
        { TableName: TABLE, Key: { pk: { S: quarantineRecordKey(ACCOUNT, REGION, INSTANCE_ID) } }, ConsistentRead: true, ProjectionExpression: 'incidentKey, released, releasedAt, releasedBy, claims, releasedClaims, capturedAt, claimSerial' },
      ]);
    });
  });

  it("binds a manual playbook's grant to the request its steps receive, as the execution input states it (review r1 F2)", async () => {
    const manual = { ...RAILS, 'unblock-dns-domain': { ...RAILS['release-instance'], manualRequest: ['requestedBy', 'reason', 'dnsUnblock'] as ('requestedBy' | 'reason' | 'dnsUnblock')[] } };
    const dnsUnblock = { domain: 'c2.evil-domain.com', force: false };
    const input = { incident, mode: 'enforce', playbook: 'unblock-dns-domain', requestedBy: 'arn:aws:sts::111122223333:assumed-role/on-call/alice', reason: null, dnsUnblock };
    sfn.on(DescribeExecutionCommand).resolves({ ...EXECUTION, stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Firebreak-unblock-dns-domain`, status: 'RUNNING', startDate: NOW, input: JSON.stringify(input) });
    await guard({ protectedTagKey: undefined, rails: manual })(payload());
    expect(grants.grants.get(EXECUTION.executionArn)?.requestDigest).toBe(requestDigest({ requestedBy: input.requestedBy, reason: null, dnsUnblock }));
  });

  it('clears nothing for a manual playbook whose execution input carries no request its steps accept', async () => {
    const manual = { ...RAILS, 'release-instance': { ...RAILS['release-instance'], manualRequest: ['requestedBy', 'reason'] as ('requestedBy' | 'reason')[] } };
    executionRuns(incident, 'enforce', { stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Firebreak-release-instance` });
    const result = await guard({ protectedTagKey: undefined, rails: manual })(payload());
    expectNothingCleared(result);
  });

  it("writes no request digest for an automatic playbook's grant", async () => {
    describes(instance());
    slotsHold();
    executionRuns(incident);
    await guard()(payload());
    expect(grants.grants.get(EXECUTION.executionArn)).not.toHaveProperty('requestDigest');
  });
});

describe('containment-guard: game days and served accounts (issue 8)', () => {
  const drill = ec2Incident({ key: 'gameday-7ab9d1b3c0e24f8a', gameDay: true, resource: ec2Resource({ tags: { 'firebreak:gameday-target': 'true' } }) });

  it("answers evidence-only for a game-day incident on an instance EC2 does not show opted in, taking no slot (the event's tag is ignored)", async () => {
    describes(instance());
    const { result } = await runGuard(drill, { config: config({ protectedTagKey: undefined }) });
    expect(result).toMatchObject({ status: 'evidence-only', gameDay: true });
    expect(result.reasons[0]).toContain('firebreak:gameday-target=true');
    expect(ddb.calls()).toHaveLength(0);
    expect(grants.grants.size).toBe(0);
  });

  it("a direct invocation naming a real game-day execution cannot drop its game-day flag: an incident that differs from the execution's clears nothing", async () => {
    describes(instance());
    const drillLike = ec2Incident({ key: 'gd-7ab9d1b3c0e24f8a', gameDay: true });
    const handler = createContainmentGuardHandler({ clients: clientFactory(), logger: silentLogger, config: config({ protectedTagKey: undefined }), grants, emergencyPause, now: () => NOW });
    executionRuns(drillLike);
    const result = await handler({ incident: { ...drillLike, gameDay: false }, mode: 'enforce', options: {}, execution: EXECUTION });
    expect(result).toMatchObject({ status: 'evidence-only', execution: { verified: false } });
    expect(result.reasons[0]).toContain('differs from the one the guard was given in other details');
    expect(grants.grants.size).toBe(0);
    expect(ec2.calls()).toHaveLength(0);
  });

  it('ATTACK: clears no game-day containment in a deployment without game days (an oversized-event intake or StartExecution caller is no game-day principal), taking no slot', async () => {
    describes(instance({ Tags: [{ Key: 'firebreak:gameday-target', Value: 'true' }] }));
    slotsHold();
    const off = config({ protectedTagKey: undefined, environment: { FIREBREAK_MODE: 'enforce', FIREBREAK_GAMEDAY_ENABLED: 'false' } });
    const { result } = await runGuard(drill, { config: off });
    expect(result).toMatchObject({ status: 'evidence-only', gameDay: true });
    expect(result.reasons.join(' ')).toContain('game days are not enabled in this deployment (FIREBREAK_GAMEDAY_ENABLED is not true)');
    expect(ddb.calls()).toHaveLength(0);
    expect(grants.grants.size).toBe(0);
    expect(ec2.calls()).toHaveLength(0);
  });

  it('still clears a real containment in a deployment without game days', async () => {
    describes(instance());
    slotsHold();
    const off = config({ protectedTagKey: undefined, environment: { FIREBREAK_MODE: 'enforce', FIREBREAK_GAMEDAY_ENABLED: 'false' } });
    const { result } = await runGuard(ec2Incident(), { config: off });
    expect(result.status).toBe('proceed');
  });

  it('counts a game-day containment in the blast-gameday# pool, never in the real allowance', async () => {
    describes(instance({ Tags: [{ Key: 'firebreak:gameday-target', Value: 'true' }] }));
    slotsHold();
    const { result } = await runGuard(drill, { config: config({ protectedTagKey: undefined }) });
    expect(result.status).toBe('proceed');
    expect(readInputs()[0]!.RequestItems![TABLE]!.Keys!.map((key) => key.pk!.S)).toEqual([0, 1, 2].map((slot) => `blast-gameday#${ACCOUNT}#${slot}`));
    expect(putInputs().map((put) => put.Item!.pk!.S)).toEqual([expect.stringMatching(/^blast-gameday#111122223333#\d$/)]);
    expect(grants.grants.get(EXECUTION.executionArn)).toMatchObject({ gameDay: true });
    expect(result.reasons).toContain(`Blast radius: containment 1 of 3 in account ${ACCOUNT} (game-day pool) within 3600 s (1 h).`);
  });

  it('refuses an incident of an account the deployment does not serve: UnservedAccountError, no EC2 call, no slot', async () => {
    const elsewhere = ec2Incident({ account: '444455556666' });
    await expect(runGuard(elsewhere)).rejects.toMatchObject({
      name: 'UnservedAccountError',
      message: expect.stringContaining('no member role is configured') as unknown,
    });
    expect(ec2.calls()).toHaveLength(0);
    expect(ddb.calls()).toHaveLength(0);
    expect(grants.grants.size).toBe(0);
  });

  /** The guard's configuration in an organization deployment with member roles, read as the function reads it. */
  const organizationConfig = (extra: Record<string, string> = {}) =>
    readContainmentGuardConfig({
      FIREBREAK_SECURITY_ACCOUNT_ID: ACCOUNT,
      AWS_REGION: REGION,
      FIREBREAK_PLAYBOOK_RAILS: JSON.stringify(RAILS),
      FIREBREAK_ORGANIZATION_ID: 'o-a1b2c3d4e5',
      FIREBREAK_MEMBER_ROLE_NAME: 'FirebreakResponder',
      ...extra,
    });

  it("refuses an incident of the deployment's forensic account, though its organization serves every other account: no EC2 call, no slot, no grant", async () => {
    const forensic = '777788889999';
    const organization = organizationConfig({ FIREBREAK_FORENSIC_ACCOUNT_ID: forensic });
    expect(organization.servedAccounts).toMatchObject({ organizationId: 'o-a1b2c3d4e5', forensicAccountId: forensic });
    await expect(runGuard(ec2Incident({ account: forensic }), { config: { ...config(), servedAccounts: organization.servedAccounts! } })).rejects.toMatchObject({
      name: 'UnservedAccountError',
      account: forensic,
      message: expect.stringContaining(`account ${forensic} is the deployment's forensic account (the evidence vault): Firebreak never acts there automatically; a person must`) as unknown,
    });
    expect(ec2.calls()).toHaveLength(0);
    expect(ddb.calls()).toHaveLength(0);
    expect(grants.grants.size).toBe(0);
  });

  it("ATTACK (review-accounts): refuses a per-instance execution placed in the security account by a member account's finding (row 9h): no EC2 call, no slot, no grant", async () => {
    const member = '444455556666';
    const organization = organizationConfig();
    // The member's sequence placed the instance in the security account: the child's account is the
    // instance's, the finding's ARN still the member's.
    const base = ec2Incident();
    const child = ec2Incident({ key: `${base.key}-${INSTANCE_ID}-0a1b2c3d`, guardDuty: { ...base.guardDuty!, arn: base.guardDuty!.arn!.replace(`:${ACCOUNT}:`, `:${member}:`) } });
    await expect(runGuard(child, { config: { ...config(), servedAccounts: organization.servedAccounts! } })).rejects.toMatchObject({
      name: 'UnservedAccountError',
      account: ACCOUNT,
      message: expect.stringContaining(`account ${ACCOUNT} is the security account, and the finding is account ${member}'s`) as unknown,
    });
    expect(ec2.calls()).toHaveLength(0);
    expect(ddb.calls()).toHaveLength(0);
    expect(grants.grants.size).toBe(0);
  });
});

describe('containment-guard: a per-credential execution (contain-each-credential)', () => {
  /** The deployment says the execution's playbook clears one credential per execution. */
  const perCredential = (environment: Record<string, string> = { FIREBREAK_MODE: 'enforce', FIREBREAK_GAMEDAY_ENABLED: 'true' }) =>
    config({ rails: { ...RAILS, 'compromised-ec2-instance': { ...RAILS['compromised-ec2-instance'], grantScope: 'one-credential' } }, environment });
  const keyOf = (userName: string, accessKeyId = 'AKIAQ3EGRW6JSEXAMPLE') =>
    ec2Incident({ key: `gd-7ab9d1b3c0e24f8a9e0d1c2b3a4f5e6d-${accessKeyId}`, resource: { kind: 'access-key', accessKeyId, userName, userType: 'IAMUser' } });
  const role = (roleName: string) =>
    ec2Incident({ key: 'gd-7ab9d1b3c0e24f8a9e0d1c2b3a4f5e6d-role-0123456789ab', resource: { kind: 'access-key', userName: roleName, userType: 'AssumedRole', accessKeyId: 'ASIAQ3EGRW6JSEXAMPLE' } });

  /** IAM's answers: the user's path and tags (GetUser) and the role's (GetRole). */
  const userTags = (tags: Record<string, string>, path = '/') => iam.on(GetUserCommand).callsFake((input: { UserName?: string }) => getUserAnswer(input.UserName ?? '', tags, path));
  const roleTags = (roleName: string, tags: Record<string, string>, createDate = new Date('2026-01-05T08:00:00Z')) =>
    iam.on(GetRoleCommand).resolves({
      // Created long before the finding (ec2Incident's, 2026-11-20T09:55:00Z), as the role it saw was.
      Role: { RoleName: roleName, Arn: `arn:aws:iam::${ACCOUNT}:role/${roleName}`, Path: '/', RoleId: 'AROAQ3EGRW6JEXAMPLE1', CreateDate: createDate, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
    });
  const getUserInputs = () => iam.commandCalls(GetUserCommand).map((call) => call.args[0].input);
  const getRoleInputs = () => iam.commandCalls(GetRoleCommand).map((call) => call.args[0].input);
  /** IAM's list of a user's keys (ListAccessKeys): by default keyOf's key is the user's, as the guard checks before any slot. */
  const userKeys = (...accessKeyIds: string[]) => iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: accessKeyIds.map((AccessKeyId) => ({ AccessKeyId, Status: 'Active' })), IsTruncated: false });
  const listAccessKeysInputs = () => iam.commandCalls(ListAccessKeysCommand).map((call) => call.args[0].input);
  beforeEach(() => {
    userKeys('AKIAQ3EGRW6JSEXAMPLE');
    userTags({});
  });

  it("grants the one access key its incident is about, and takes that credential's own blast-radius slot", async () => {
    slotsHold();
    userTags({ team: 'ci' });
    const incident = keyOf('ci-deployer');

    const { result, clients } = await runGuard(incident, { config: perCredential() });

    expect(result.status).toBe('proceed');
    expect(ec2.calls()).toHaveLength(0);
    // The user's tags as IAM holds them now, in the credential's account, before the slot.
    expect(getUserInputs()).toEqual([{ UserName: 'ci-deployer' }]);
    expect(clients.iamTargets).toEqual([{ account: ACCOUNT, region: REGION }]);
    expect(result.actions.find((entry) => entry.api === 'iam:GetUser')).toMatchObject({ target: 'ci-deployer', outcome: 'observed', detail: expect.stringContaining('no firebreak:protected tag, not protected') as unknown });
    const put = putInputs();
    expect(put).toHaveLength(1);
    expect(put[0]!.Item!.incidentKey).toEqual({ S: incident.key });
    expect(grants.grants.get(EXECUTION.executionArn)).toMatchObject({ instanceId: 'access-key/111122223333/AKIAQ3EGRW6JSEXAMPLE', incidentKey: incident.key, kind: 'contain', status: 'proceed' });
  });

  it('ATTACK: invoked with another credential than its execution names (same key, account, Region), grants nothing', async () => {
    slotsHold();
    const running = keyOf('ci-deployer');
    const forged = { ...running, resource: { kind: 'access-key', accessKeyId: 'AKIAQ3EGRW6JOTHERKEY', userName: 'ci-deployer', userType: 'IAMUser' } } as Incident;
    const handler = createContainmentGuardHandler({ clients: clientFactory(), logger: silentLogger, config: perCredential(), grants, emergencyPause, now: () => NOW });
    executionRuns(running);

    const result = await handler({ incident: forged, mode: 'enforce', execution: EXECUTION } as never);

    expect(result.status).not.toBe('proceed');
    expect(result.reasons[0]).toContain('its input names credential access-key/111122223333/akiaq3egrw6jsexample, not access-key/111122223333/akiaq3egrw6jotherkey');
    expect(grants.grants.size).toBe(0);
    expect(putInputs()).toHaveLength(0);
  });

  it('grants a role (every session of it) by name', async () => {
    slotsHold();
    roleTags('ci-deploy-role', {});

    const { result } = await runGuard(role('ci-deploy-role'), { config: perCredential() });

    expect(result.status).toBe('proceed');
    expect(getRoleInputs()).toEqual([{ RoleName: 'ci-deploy-role' }]);
    expect(grants.grants.get(EXECUTION.executionArn)?.instanceId).toBe('iam-role/111122223333/ci-deploy-role');
  });

  it("ATTACK (review-member): takes no slot for a same-named role whose id is not the session's: evidence-only, nothing granted", async () => {
    slotsHold();
    roleTags('ci-deploy-role', {});
    // The session names the role by its unique id; the account's role of that name has another (IAM answers AROAQ3EGRW6JEXAMPLE1).
    const incident = role('ci-deploy-role');
    const session = { ...incident, resource: { ...incident.resource, principalId: 'AROAQ3EGRW6JREMOTE01:bot' } } as Incident;

    const { result } = await runGuard(session, { config: perCredential() });

    expect(result.status).toBe('evidence-only');
    expect(result.reasons.join(' ')).toContain('has the id AROAQ3EGRW6JEXAMPLE1, not AROAQ3EGRW6JREMOTE01');
    expect(putInputs()).toHaveLength(0);
    expect(grants.grants.size).toBe(0);
  });

  // Before review guard-role-age the guard read no role whose session gives no id, without a
  // protected tag key outside game days: a role deleted and created again after GuardDuty saw the
  // name took a blast-radius slot, and revoke-role-sessions denied the new (innocent) role's sessions.
  it('ATTACK (guard-role-age): takes no slot for a role whose session gives no id and that IAM created after the finding', async () => {
    slotsHold();
    roleTags('ci-deploy-role', {}, new Date('2026-11-20T10:01:00Z'));
    const untagged = { ...perCredential({ FIREBREAK_MODE: 'enforce' }), protectedTagKey: undefined };

    const { result } = await runGuard(role('ci-deploy-role'), { config: untagged });

    expect(result.status).toBe('evidence-only');
    expect(getRoleInputs()).toEqual([{ RoleName: 'ci-deploy-role' }]);
    expect(result.reasons.join(' ')).toContain(`The role ci-deploy-role in account ${ACCOUNT} was created at 2026-11-20T10:01:00.000Z, after the finding (created 2026-11-20T09:55:00.000Z)`);
    expect(putInputs()).toHaveLength(0);
    expect(grants.grants.size).toBe(0);

    // The same role created before the finding is granted by its name, after the same one read.
    iam.reset();
    roleTags('ci-deploy-role', {});
    expect((await runGuard(role('ci-deploy-role'), { config: untagged })).result.status).toBe('proceed');
    expect(getRoleInputs()).toEqual([{ RoleName: 'ci-deploy-role' }]);
  });

  // Before review guard-role-id the guard read no role without a protected tag key outside game
  // days: it granted this role by name and took a blast-radius slot, which only revoke-role-sessions'
  // own id check refused afterwards (a lever to use up the account's automatic containments).
  it('ATTACK: without a protected tag key, still reads a role whose session gives its id, and takes no slot for a same-named role', async () => {
    slotsHold();
    roleTags('ci-deploy-role', {});
    const incident = role('ci-deploy-role');
    const session = (principalId: string) => ({ ...incident, resource: { ...incident.resource, principalId } }) as Incident;
    const untagged = () => ({ ...perCredential(), protectedTagKey: undefined });

    const other = await runGuard(session('AROAQ3EGRW6JREMOTE01:bot'), { config: untagged() });
    expect(other.result.status).toBe('evidence-only');
    expect(other.result.reasons.join(' ')).toContain('has the id AROAQ3EGRW6JEXAMPLE1, not AROAQ3EGRW6JREMOTE01');
    expect(getRoleInputs()).toEqual([{ RoleName: 'ci-deploy-role' }]);
    expect(ddb.calls()).toHaveLength(0);
    expect(grants.grants.size).toBe(0);

    // The role its session names (same id) is granted after that one read; without an id, after the
    // same read, for its creation date (row 11v).
    const same = await runGuard(session('AROAQ3EGRW6JEXAMPLE1:bot'), { config: untagged() });
    expect(same.result.status).toBe('proceed');
    expect(getRoleInputs()).toEqual([{ RoleName: 'ci-deploy-role' }, { RoleName: 'ci-deploy-role' }]);
    grants.grants.clear();
    iam.resetHistory();
    expect((await runGuard(incident, { config: untagged() })).result.status).toBe('proceed');
    expect(getRoleInputs()).toEqual([{ RoleName: 'ci-deploy-role' }]);
  });

  // Before review guard-user-key the guard read no user without a protected tag key outside game
  // days: it granted a key's containment by the user's name and took a blast-radius slot, which only
  // disable-access-key's own ListAccessKeys check refused afterwards (a lever to use up the
  // account's automatic containments with findings pairing a key with a user who does not own it).
  it("ATTACK: without a protected tag key, reads the user's keys and takes no slot for a key that is not the named user's", async () => {
    slotsHold();
    userKeys('AKIAQ3EGRW6JOWNKEY01');
    const untagged = () => ({ ...perCredential(), protectedTagKey: undefined });

    const other = await runGuard(keyOf('ci-deployer'), { config: untagged() });
    expect(other.result.status).toBe('evidence-only');
    expect(other.result.reasons.join(' ')).toContain("Access key AKIAQ3EGRW6JSEXAMPLE is not one of user ci-deployer's access keys in account 111122223333 (ListAccessKeys)");
    expect(listAccessKeysInputs()).toEqual([{ UserName: 'ci-deployer' }]);
    // GetUser (the user's path, row 11ae) goes with ListAccessKeys; its answer is not needed here.
    expect(getUserInputs()).toEqual([{ UserName: 'ci-deployer' }]);
    expect(iam.calls()).toHaveLength(2);
    expect(other.result.blastRadius.evaluated).toBe(false);
    expect(ddb.calls()).toHaveLength(0);
    expect(grants.grants.size).toBe(0);

    // The user's own key is granted after those reads; a user IAM does not know takes no slot.
    const own = await runGuard(keyOf('ci-deployer', 'AKIAQ3EGRW6JOWNKEY01'), { config: untagged() });
    expect(own.result.status).toBe('proceed');
    expect(listAccessKeysInputs()).toEqual([{ UserName: 'ci-deployer' }, { UserName: 'ci-deployer' }]);
    expect(getUserInputs()).toEqual([{ UserName: 'ci-deployer' }, { UserName: 'ci-deployer' }]);
    grants.grants.clear();
    iam.reset();
    iam.on(ListAccessKeysCommand).rejects(new NoSuchEntityException({ message: 'The user with name ghost cannot be found.', $metadata: {} }));
    const ghost = await runGuard(keyOf('ghost'), { config: untagged() });
    expect(ghost.result.status).toBe('evidence-only');
    expect(ghost.result.reasons.join(' ')).toContain('IAM knows no user ghost in account 111122223333');
    expect(grants.grants.size).toBe(0);
  });

  // Before review renamed-user: the user renamed after GuardDuty saw its key (iam:UpdateUser with that
  // key) was unknown to IAM by the finding's name: evidence only, no slot, and the key stayed Active.
  it('ATTACK: follows a user renamed since the finding by its key, takes the slot and grants the key; a privileged new name takes none', async () => {
    slotsHold();
    const untagged = () => ({ ...perCredential(), protectedTagKey: undefined });
    const renamedTo = (to: string) => {
      iam.on(ListAccessKeysCommand, { UserName: 'ci-deployer' }).rejects(new NoSuchEntityException({ message: 'The user with name ci-deployer cannot be found.', $metadata: {} }));
      iam.on(ListAccessKeysCommand, { UserName: to }).resolves({ AccessKeyMetadata: [{ UserName: to, AccessKeyId: 'AKIAQ3EGRW6JSEXAMPLE', Status: 'Active' }], IsTruncated: false });
      iam.on(GetAccessKeyLastUsedCommand).resolves({ UserName: to });
    };
    renamedTo('svc-metrics');
    const followed = await runGuard(keyOf('ci-deployer'), { config: untagged() });
    expect(followed.result.status).toBe('proceed');
    expect(iam.commandCalls(GetAccessKeyLastUsedCommand).map((call) => call.args[0].input)).toEqual([{ AccessKeyId: 'AKIAQ3EGRW6JSEXAMPLE' }]);
    expect(listAccessKeysInputs()).toEqual([{ UserName: 'ci-deployer' }, { UserName: 'svc-metrics' }]);
    expect(followed.result.blastRadius.evaluated).toBe(true);
    expect(grants.grants.size).toBe(1);
    expect(followed.result.actions.find((action) => action.api === 'firebreak:follow-renamed-user')?.detail).toMatch(/^The finding names user ci-deployer, unknown to IAM in account \d{12}; access key \w+ is user svc-metrics's now .*: renamed since the finding .*, or a forged finding's name/);

    grants.grants.clear();
    iam.reset();
    renamedTo('breakglass-ops');
    const privileged = await runGuard(keyOf('ci-deployer'), { config: untagged() });
    expect(privileged.result.status).toBe('evidence-only');
    expect(privileged.result.reasons.join(' ')).toMatch(/is user breakglass-ops's now .*renamed from ci-deployer.*privileged name pattern/);
    expect(listAccessKeysInputs()).toEqual([{ UserName: 'ci-deployer' }]);
    expect(grants.grants.size).toBe(0);
  });

  it("ATTACK: for an access-key playbook that is not per-credential, takes no slot when no key the incident names is its user's", async () => {
    slotsHold();
    userKeys('AKIAQ3EGRW6JOWNKEY01');
    const { result } = await runGuard(keyOf('ci-deployer'), { config: { ...config(), protectedTagKey: undefined } });
    expect(result.status).toBe('evidence-only');
    expect(listAccessKeysInputs()).toEqual([{ UserName: 'ci-deployer' }]);
    expect(ddb.calls()).toHaveLength(0);
    expect(grants.grants.size).toBe(0);
  });

  // Before review cred-rails (row 11t): a key IAM lists under its user was granted whatever its
  // status: a finding about a key already Inactive (its owner, or an administrator, turned it off)
  // took a blast-radius slot for a containment that changes nothing, and whoever can cause such
  // findings used up the account's automatic containments.
  it('ATTACK (cred-rails): takes no slot when every key it covers is already Inactive and no Firebreak record holds it, for a playbook that only disables keys', async () => {
    const KEY = 'AKIAQ3EGRW6JSEXAMPLE';
    const keysOnly = (rails: Record<string, unknown> = { disablesKeysOnly: true }) => ({ ...config(), protectedTagKey: undefined, rails: { ...RAILS, 'compromised-ec2-instance': { ...RAILS['compromised-ec2-instance'], ...rails } } });
    const inactive = () => iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [{ AccessKeyId: KEY, Status: 'Inactive' }], IsTruncated: false });
    /** The state table afresh: the blast-radius slots all free, PutItem answered. */
    const tableAnswers = () => {
      ddb.reset();
      ddb.on(PutItemCommand).resolves({});
      slotsHold();
    };
    const recordRead = { TableName: TABLE, Key: { pk: { S: `credential#${ACCOUNT}#access-key#${KEY}` } }, ConsistentRead: true, ProjectionExpression: 'released' };
    tableAnswers();
    inactive();
    ddb.on(GetItemCommand).resolves({});
    const { result } = await runGuard(keyOf('ci-deployer'), { config: keysOnly() });
    expect(result.status).toBe('evidence-only');
    expect(result.reasons).toEqual([
      `Access key ${KEY} of user ${'ci-deployer'} is already Inactive in account ${ACCOUNT} (ListAccessKeys), and no containment by Firebreak holds it: the playbook would change nothing, so no blast-radius slot is taken; evidence and an alert only. Made Active again, it is contained on the next finding about it.`,
    ]);
    // Read again after the record (row 11z): still Inactive.
    expect(listAccessKeysInputs()).toEqual([{ UserName: 'ci-deployer' }, { UserName: 'ci-deployer' }]);
    expect(ddb.commandCalls(GetItemCommand).map((call) => call.args[0].input)).toEqual([recordRead]);
    expect(ddb.commandCalls(BatchGetItemCommand)).toHaveLength(0);
    expect(result.blastRadius.evaluated).toBe(false);
    expect(grants.grants.size).toBe(0);

    // Held by Firebreak (another incident contained it): this incident's step must claim it, so
    // that the other's release does not make it Active while this one is open: slot and grant as before.
    tableAnswers();
    ddb.on(GetItemCommand).resolves({ Item: { released: { BOOL: false } } });
    const held = await runGuard(keyOf('ci-deployer'), { config: keysOnly() });
    expect(held.result.status).toBe('proceed');
    expect(ddb.commandCalls(GetItemCommand).map((call) => call.args[0].input)).toEqual([recordRead]);
    expect(held.result.blastRadius.slotTaken).toBe(true);

    // A playbook that attaches AWSDenyAll (or changes anything else) still changes the user: slot, no record read.
    grants.grants.clear();
    tableAnswers();
    const denyAll = await runGuard(keyOf('ci-deployer'), { config: keysOnly({}) });
    expect(denyAll.result.status).toBe('proceed');
    expect(ddb.commandCalls(GetItemCommand)).toHaveLength(0);

    // An Active key: slot as before, no record read.
    grants.grants.clear();
    tableAnswers();
    iam.reset();
    userKeys(KEY);
    userTags({});
    const active = await runGuard(keyOf('ci-deployer'), { config: keysOnly() });
    expect(active.result.status).toBe('proceed');
    expect(ddb.commandCalls(GetItemCommand)).toHaveLength(0);
  });

  // Before review review-cred (row 11z): the guard read the key's status (ListAccessKeys), then
  // whether a record holds it (GetItem). A release of another incident re-activates the key and only
  // then marks its record released: between the two reads, the guard saw the key Inactive and the
  // record released, took no slot, and the new finding's incident contained nothing while the key
  // was Active again (the step, had it run, would have found the record released and disabled it).
  it('ATTACK (review-cred): a release that re-activates the key between the status read and the record read does not leave the new finding uncontained', async () => {
    const KEY = 'AKIAQ3EGRW6JSEXAMPLE';
    const config_ = { ...config(), protectedTagKey: undefined, rails: { ...RAILS, 'compromised-ec2-instance': { ...RAILS['compromised-ec2-instance'], disablesKeysOnly: true as const } } };
    ddb.on(PutItemCommand).resolves({});
    slotsHold();
    iam
      .on(ListAccessKeysCommand)
      .resolvesOnce({ AccessKeyMetadata: [{ AccessKeyId: KEY, Status: 'Inactive' }], IsTruncated: false })
      .resolves({ AccessKeyMetadata: [{ AccessKeyId: KEY, Status: 'Active' }], IsTruncated: false });
    // The other incident's release: UpdateAccessKey Active, then its record marked released.
    ddb.on(GetItemCommand).resolves({ Item: { released: { BOOL: true } } });
    const { result } = await runGuard(keyOf('ci-deployer'), { config: config_ });
    expect(result.status).toBe('proceed');
    expect(result.blastRadius.slotTaken).toBe(true);
    expect(listAccessKeysInputs()).toEqual([{ UserName: 'ci-deployer' }, { UserName: 'ci-deployer' }]);
  });

  it('refuses a break-glass user by name before any slot is taken, and grants nothing', async () => {
    const { result } = await runGuard(keyOf('break-glass-ops'), { config: perCredential() });

    expect(result.status).toBe('evidence-only');
    expect(result.protected).toBe(true);
    expect(result.protectedBy).toBe('privileged-name');
    expect(result.reasons.join(' ')).toContain('user break-glass-ops matches the privileged name pattern *break-glass*');
    expect(result.blastRadius.evaluated).toBe(false);
    expect(ddb.calls()).toHaveLength(0);
    expect(grants.grants.size).toBe(0);
  });

  // A finding about a protected credential must not use up the account's automatic containments:
  // an attacker who can make findings about such a credential would otherwise push every real
  // containment after them into waiting for approval.
  it('ATTACK: a user carrying the protected tag in IAM is refused before any slot is taken, whatever the finding says of its tags', async () => {
    userTags({ [TAG_KEY]: 'payroll exports' });

    const { result } = await runGuard(keyOf('data-loader'), { config: perCredential() });

    expect(result.status).toBe('evidence-only');
    expect(result).toMatchObject({ protected: true, protectedBy: 'credential-tag' });
    expect(result.reasons.join(' ')).toContain('The user data-loader is protected: it carries the tag firebreak:protected="payroll exports" in IAM now');
    expect(result.blastRadius.evaluated).toBe(false);
    expect(getUserInputs()).toEqual([{ UserName: 'data-loader' }]);
    expect(ddb.calls()).toHaveLength(0);
    expect(grants.grants.size).toBe(0);
  });

  // IAM compares the tag keys of users and roles whatever their case: a user tagged
  // "Firebreak:Protected" carries the key firebreak:protected as IAM (and its
  // aws:ResourceTag/<key> Deny) sees it. Before review guard-review the guard compared exactly,
  // called such a user unprotected, took a blast-radius slot and cleared its credentials.
  it('ATTACK: a user or role carrying the protected tag key in another case is protected, as IAM compares its keys, before any slot is taken', async () => {
    slotsHold();
    userTags({ 'Firebreak:Protected': 'payroll exports' });
    const user = await runGuard(keyOf('data-loader'), { config: perCredential() });
    expect(user.result).toMatchObject({ status: 'evidence-only', protected: true, protectedBy: 'credential-tag' });
    expect(user.result.reasons.join(' ')).toContain('The user data-loader is protected: it carries the tag Firebreak:Protected="payroll exports" in IAM now');

    roleTags('payments-role', { 'FIREBREAK:PROTECTED': '' });
    const roleResult = await runGuard(role('payments-role'), { config: perCredential() });
    expect(roleResult.result).toMatchObject({ status: 'evidence-only', protected: true, protectedBy: 'credential-tag' });

    expect(ddb.calls()).toHaveLength(0);
    expect(grants.grants.size).toBe(0);
  });

  it('keeps the game-day opt-in exact for IAM: a drill never reaches a user whose opt-in tag differs in case', async () => {
    userTags({ 'Firebreak:GameDay-Target': 'true' });
    const drill = { ...keyOf('ci-deployer'), gameDay: true };

    const { result } = await runGuard(drill, { config: perCredential() });

    expect(result.status).toBe('evidence-only');
    expect(ddb.calls()).toHaveLength(0);
    expect(grants.grants.size).toBe(0);
  });

  it('refuses a protected role before any slot is taken', async () => {
    roleTags('payments-role', { [TAG_KEY]: '' });

    const { result } = await runGuard(role('payments-role'), { config: perCredential() });

    expect(result).toMatchObject({ status: 'evidence-only', protected: true, protectedBy: 'credential-tag' });
    expect(getRoleInputs()).toEqual([{ RoleName: 'payments-role' }]);
    expect(ddb.calls()).toHaveLength(0);
    expect(grants.grants.size).toBe(0);
  });

  it('takes no slot for a user IAM does not know (unverifiable), and fails the step on any other IAM error, so that it is retried and nothing is guessed', async () => {
    iam.on(GetUserCommand).rejects(new NoSuchEntityException({ message: 'The user with name ghost cannot be found.', $metadata: {} }));
    const { result } = await runGuard(keyOf('ghost'), { config: perCredential() });
    expect(result).toMatchObject({ status: 'evidence-only', protected: false });
    expect(result.reasons.join(' ')).toContain('IAM knows no user ghost in account 111122223333');
    expect(ddb.calls()).toHaveLength(0);

    iam.reset();
    userKeys('AKIAQ3EGRW6JSEXAMPLE');
    iam.on(GetUserCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }));
    await expect(runGuard(keyOf('ci-deployer'), { config: perCredential() })).rejects.toBeInstanceOf(TransientResponderError);
    // So does a throttled read of the user's keys: no slot on a guess either way.
    iam.reset();
    iam.on(ListAccessKeysCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }));
    await expect(runGuard(keyOf('ci-deployer'), { config: perCredential() })).rejects.toBeInstanceOf(TransientResponderError);
    expect(ddb.calls()).toHaveLength(0);
    expect(grants.grants.size).toBe(0);
  });

  it('ATTACK: a game-day incident about a credential without the game-day opt-in tag in IAM takes no slot and changes nothing', async () => {
    userTags({ [TAG_KEY.replace('protected', 'other')]: 'x' });
    const drill = { ...keyOf('ci-deployer'), gameDay: true };

    const { result } = await runGuard(drill, { config: perCredential() });

    expect(result.status).toBe('evidence-only');
    expect(result.reasons.join(' ')).toContain('Game-day incident: user ci-deployer does not carry the tag firebreak:gameday-target=true in IAM now');
    expect(ddb.calls()).toHaveLength(0);
    expect(grants.grants.size).toBe(0);
  });

  it("reads the user's keys and the user (its path) when no tag rule is set (no protected tag key, not a game day), and nothing more", async () => {
    slotsHold();

    const { result } = await runGuard(keyOf('ci-deployer'), { config: { ...perCredential(), protectedTagKey: undefined } as ContainmentGuardConfig });

    expect(result.status).toBe('proceed');
    expect(iam.calls()).toHaveLength(2);
    expect(listAccessKeysInputs()).toEqual([{ UserName: 'ci-deployer' }]);
    expect(getUserInputs()).toEqual([{ UserName: 'ci-deployer' }]);
  });

  // Row 11ae: the stack's DenyProtectedUsers names `user/*admin*` and `user/*/<pattern>`, which a
  // user's path meets; before, the guard read no path and took a slot for such a user (row 11e's
  // lever), and disable-access-key then met AccessDenied.
  it('ATTACK: takes no slot for a user whose path a privileged name pattern names, with or without a tag rule', async () => {
    slotsHold();
    userTags({}, '/sysadmin/');
    for (const config of [perCredential(), { ...perCredential(), protectedTagKey: undefined } as ContainmentGuardConfig]) {
      const { result } = await runGuard(keyOf('ci-deployer'), { config });
      expect(result).toMatchObject({ status: 'evidence-only', protected: true, protectedBy: 'privileged-name' });
      expect(result.reasons.join(' ')).toContain('user ci-deployer at path /sysadmin/ matches the privileged name pattern *Admin* as IAM reads its ARN (user/sysadmin/ci-deployer)');
    }
    expect(ddb.calls()).toHaveLength(0);
    expect(grants.grants.size).toBe(0);
  });

  it("ATTACK: a finding naming one of Firebreak's own roles in the security account takes no slot and reads nothing", async () => {
    for (const roleName of ['Firebreak-ResponderQuarantineInstanceRole-1A2B3C4D', 'firebreak-ResponderRevokeRoleSessions-9Z', 'Firebreak-responder-quarantine-instance']) {
      const { result } = await runGuard(role(roleName), { config: perCredential() });
      expect(result.status, roleName).toBe('evidence-only');
      expect(result.reasons.join(' '), roleName).toContain(`role ${roleName} is one of Firebreak's own roles in the security account`);
    }
    expect(ddb.calls()).toHaveLength(0);
    expect(iam.calls()).toHaveLength(0);
  });

  it('clears a role named like Firebreak\'s own in a member account: only the security account\'s are its own', async () => {
    slotsHold();
    roleTags('Firebreak-payments', {});
    const member = { ...role('Firebreak-payments'), account: '444455556666' };
    const { result } = await runGuard(member, { config: { ...perCredential(), servedAccounts: { securityAccountId: ACCOUNT, allowlist: ['444455556666'], memberRoles: true } } });
    expect(result.status).toBe('proceed');
  });

  it("reads the deployment's own privileged name patterns", async () => {
    const { result } = await runGuard(role('payroll-runner'), { config: perCredential({ FIREBREAK_MODE: 'enforce', FIREBREAK_PRIVILEGED_NAME_PATTERNS: 'payroll-*' }) });

    expect(result.status).toBe('evidence-only');
    expect(result.reasons.join(' ')).toContain('role payroll-runner matches the privileged name pattern payroll-*');
  });

  it('clears nothing when the incident names no single credential (an instance, a root key)', async () => {
    for (const incident of [ec2Incident(), ec2Incident({ resource: { kind: 'access-key', accessKeyId: 'AKIAQ3EGRW6JROOTKEY1', userName: 'root', userType: 'Root' } })]) {
      const { result } = await runGuard(incident, { config: perCredential() });
      expect(result.status).toBe('evidence-only');
      expect(result.reasons.join(' ')).toContain('names no IAM user\'s access key nor role');
    }
    expect(ec2.calls()).toHaveLength(0);
    expect(grants.grants.size).toBe(0);
  });

  it("keeps granting every credential of an access-key incident for a playbook that is not per-credential", async () => {
    slotsHold();
    userTags({});

    await runGuard(keyOf('ci-deployer'));

    expect(grants.grants.get(EXECUTION.executionArn)?.instanceId).toBe('iam-credentials');
    expect(getUserInputs()).toEqual([{ UserName: 'ci-deployer' }]);
  });

  // An access-key incident of any credential playbook whose credentials all belong to one user or
  // role: the steps would refuse each alike, so the guard refuses first and takes no slot.
  it('ATTACK: refuses a plain access-key incident about a protected or break-glass user before any slot is taken', async () => {
    userTags({ [TAG_KEY]: '' });
    const protectedUser = await runGuard(keyOf('data-loader'));
    expect(protectedUser.result).toMatchObject({ status: 'evidence-only', protected: true, protectedBy: 'credential-tag' });

    iam.reset();
    const breakGlass = await runGuard(keyOf('break-glass-ops'));
    expect(breakGlass.result).toMatchObject({ status: 'evidence-only', protected: true, protectedBy: 'privileged-name' });
    expect(iam.calls()).toHaveLength(0);

    expect(ddb.calls()).toHaveLength(0);
    expect(grants.grants.size).toBe(0);
  });

  // Review of session 15: a malformed key id (or a root user's key) reached the guard, which took a
  // slot and wrote a grant for a credential no step could act on. Triage refuses a malformed id
  // first; this is the rail where the action happens (an execution started by hand).
  it('ATTACK: takes no slot for an access-key incident with nothing to act on (a malformed key id, a root key)', async () => {
    slotsHold();
    for (const incident of [
      ec2Incident({ resource: { kind: 'access-key', accessKeyId: 'AKIA; rm -rf /', userName: 'ci-deployer', userType: 'IAMUser' } }),
      ec2Incident({ resource: { kind: 'access-key', accessKeyId: 'AKIAQ3EGRW6JROOTKEY1', userName: 'root', userType: 'Root' } }),
    ]) {
      const { result } = await runGuard(incident);
      expect(result.status).toBe('evidence-only');
      expect(result.reasons.join(' ')).toContain('names no access key or role a credential step can act on');
    }
    expect(ddb.calls()).toHaveLength(0);
    expect(iam.calls()).toHaveLength(0);
    expect(grants.grants.size).toBe(0);
  });

  // Review-pause (row 15i): the incident key is the execution input's claim. A plain access-key
  // incident's hold recorded no resource, so the key alone made it "the incident's own" for an
  // execution under that key about any other user's key: granted as a re-run, with no slot.
  it('ATTACK (review-pause): a plain access-key incident under the key of one holding a slot with no recorded resource takes a slot of its own', async () => {
    const incident = keyOf('ci-deployer');
    const start = startSlot(incident.key, MAX);
    // The key's first execution (about another user's key) took its slot as the guard wrote such holds: no target.
    slotsHold(slotItem(start, incident.key, NOW_S + 1800), ...[0, 1, 2].filter((slot) => slot !== start).map((slot) => ({ ...slotItem(slot, `gd-other-${slot}`, NOW_S + 1800), target: { S: `${REGION}/i-0eeeeffff00001111` } })));
    userTags({});

    const { result } = await runGuard(incident);

    expect(putInputs()).toEqual([]);
    expect(result.status).toBe('needs-approval');
    expect(result.idempotentReplay).toBe(false);
  });

  it('counts a plain access-key incident whose credentials are all one user\'s against that user: its hold records the user (review-pause)', async () => {
    slotsHold();
    userTags({});

    await runGuard(keyOf('ci-deployer'));

    expect(putInputs().map((input) => input.Item?.target)).toEqual([{ S: `${REGION}/iam-user/${ACCOUNT}/ci-deployer` }]);
  });

  // Review-15i: the hold of a plain access-key incident named its user as the FINDING spelled it,
  // while the guard (and disable-access-key) follow a name IAM does not know to whoever owns the key
  // now (row 11o). An execution naming a vanished user "ghost" with bob's key took a slot recorded
  // for ghost; another naming ghost with carol's key found that hold "about the same resource" and
  // was granted under it, with no slot: every user's key cut off under one slot.
  it('ATTACK (review-15i): a key followed from a name IAM does not know counts against the user that owns it, never the vanished name', async () => {
    const CAROL_KEY = 'AKIAQ3EGRW6JCAROLKEY';
    const incident = keyOf('ghost', CAROL_KEY);
    const start = startSlot(incident.key, MAX);
    // Every slot held; one by an earlier execution naming ghost with another user's key, as the guard recorded it.
    slotsHold(
      ...[0, 1, 2].map((slot) => ({
        ...slotItem(slot, `gd-other-${slot}`, NOW_S + 1800),
        target: { S: slot === start ? `${REGION}/iam-user/${ACCOUNT}/ghost` : `${REGION}/i-0eeeeffff0000111${slot}` },
      })),
    );
    iam.on(ListAccessKeysCommand, { UserName: 'ghost' }).rejects(new NoSuchEntityException({ message: 'The user with name ghost cannot be found.', $metadata: {} }));
    iam.on(ListAccessKeysCommand, { UserName: 'carol' }).resolves({ AccessKeyMetadata: [{ UserName: 'carol', AccessKeyId: CAROL_KEY, Status: 'Active' }], IsTruncated: false });
    iam.on(GetAccessKeyLastUsedCommand).resolves({ UserName: 'carol' });
    userTags({});

    const { result } = await runGuard(incident);

    expect(result.status).toBe('needs-approval');
    expect(result.blastRadius).not.toHaveProperty('sharedWith');
    expect(putInputs()).toEqual([]);

    // A free slot: the hold records carol, the user whose key is contained.
    ddb.reset();
    ddb.on(PutItemCommand).resolves({});
    slotsHold();
    grants.grants.clear();
    await runGuard(incident);
    expect(putInputs().map((input) => input.Item?.target)).toEqual([{ S: `${REGION}/iam-user/${ACCOUNT}/carol` }]);
  });

  // Review-15i: an access-key incident naming credentials of several users or roles recorded no
  // resource on its hold, so its key alone matched it (row 15i's left-open case). Whoever may
  // states:StartExecution chooses to be in that case: name a second principal beside the one whose
  // keys are the target, reuse the key of such a hold (their own first execution's), and every other
  // set of keys was granted as a re-run, with no slot.
  it('ATTACK (review-15i): an access-key incident of several principals under the key of a hold counts its own credentials, never the key alone', async () => {
    const severalOf = (accessKeyId: string, roleName: string): Incident => ({
      ...keyOf('ci-deployer', accessKeyId),
      key: 'gd-7ab9d1b3c0e24f8a9e0d1c2b3a4f5e6d-several',
      affected: [
        { kind: 'access-key', accessKeyId, temporary: false, userName: 'ci-deployer', userType: 'IAMUser', from: 'resource.accessKeyDetails' },
        { kind: 'role-session', roleName, from: 'service.additionalInfo' },
      ] as Incident['affected'],
    });
    const first = severalOf('AKIAQ3EGRW6JFIRSTKEY', 'reports-reader');
    const other = severalOf('AKIAQ3EGRW6JOTHERKEY', 'billing-exporter');
    const start = startSlot(first.key, MAX);
    const fullWith = (held: Record<string, AttributeValue>) =>
      slotsHold(held, ...[0, 1, 2].filter((slot) => slot !== start).map((slot) => ({ ...slotItem(slot, `gd-other-${slot}`, NOW_S + 1800), target: { S: `${REGION}/i-0eeeeffff0000111${slot}` } })));
    // The key's first execution held its slot (as the guard wrote it before: no resource recorded).
    fullWith(slotItem(start, first.key, NOW_S + 1800));

    const { result } = await runGuard(other);

    expect(result.status).toBe('needs-approval');
    expect(result.idempotentReplay).toBe(false);
    expect(putInputs()).toEqual([]);

    // A free slot: the hold records every credential the incident names (keys by id, roles by name).
    ddb.reset();
    ddb.on(PutItemCommand).resolves({});
    slotsHold();
    grants.grants.clear();
    await runGuard(first);
    const target = `${REGION}/iam-credentials/${JSON.stringify([`access-key/${ACCOUNT}/AKIAQ3EGRW6JFIRSTKEY`, `iam-role/${ACCOUNT}/reports-reader`])}`;
    expect(putInputs().map((input) => input.Item?.target)).toEqual([{ S: target }]);

    // A re-run of that incident (the same credentials) is granted under its hold, with no slot.
    ddb.reset();
    ddb.on(PutItemCommand).resolves({});
    fullWith({ ...slotItem(start, first.key, NOW_S + 1800), target: { S: target } });
    grants.grants.clear();
    const rerun = await runGuard(first);
    expect(rerun.result.status).toBe('proceed');
    expect(rerun.result.idempotentReplay).toBe(true);
    expect(putInputs()).toEqual([]);
  });

  it('leaves the rails to the steps when a plain access-key incident names credentials of another principal too', async () => {
    slotsHold();
    const incident = keyOf('ci-deployer');
    const withAnother: Incident = {
      ...incident,
      affected: [
        { kind: 'access-key', accessKeyId: 'AKIAQ3EGRW6JSEXAMPLE', temporary: false, userName: 'ci-deployer', userType: 'IAMUser', from: 'resource.accessKeyDetails' },
        { kind: 'iam-user', userName: 'data-loader', from: 'service.additionalInfo' },
      ] as Incident['affected'],
    };

    const { result } = await runGuard(withAnother);

    expect(result.status).toBe('proceed');
    expect(iam.calls()).toHaveLength(0);
    expect(grants.grants.get(EXECUTION.executionArn)?.instanceId).toBe('iam-credentials');
  });

  it('reads no credential tags for a release: protection stops containment, not the undoing of one', async () => {
    const releaseRails = { ...RAILS, 'compromised-ec2-instance': RAILS['release-instance'] };
    const { result } = await runGuard(keyOf('data-loader'), { config: config({ rails: releaseRails }) });

    expect(result.status).toBe('needs-approval');
    expect(iam.calls()).toHaveLength(0);
  });
});

// Written for the mutants Stryker found surviving in containment-guard.ts (docs/testing.md): what
// the guard's answer and its grant say, beyond proceed or not.
describe('containment-guard: what its answer, its grant and its log say', () => {
  const ARN = EXECUTION.executionArn;
  const handler = (overrides: Partial<ContainmentGuardConfig> = {}) =>
    createContainmentGuardHandler({ clients: clientFactory(), logger: silentLogger, config: config(overrides), grants, emergencyPause, now: () => NOW });
  const payload = (of: Incident = incident) => ({ incident: of, mode: 'enforce' as const, options: {}, execution: EXECUTION });
  const releaseRuns = () => executionRuns(incident, 'enforce', { stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Firebreak-release-instance` });

  it.each([
    ['another incident key', { incidentKey: 'gd-someone-else' }],
    ['another instance', { instanceId: 'i-0fff0000aaaa11112' }],
    ['another account', { account: '444455556666' }],
    ['another region', { region: 'us-east-1' }],
    ['another kind', { kind: 'release' as const }],
    ['a request digest', { requestDigest: 'e'.repeat(64) }],
  ])('fails rather than stand behind a grant of this execution with %s', async (_what, field) => {
    describes(instance());
    slotsHold();
    executionRuns(incident);
    grants.grants.set(ARN, grantFor(incident, NOW, field));
    await expect(handler()(payload())).rejects.toThrow(`The grant of ${ARN} already exists for another incident or instance`);
  });

  it('answers with the decision of the grant in force when it differs from the one it would make now', async () => {
    describes(instance());
    slotsHold();
    executionRuns(incident);
    grants.grants.set(ARN, grantFor(incident, NOW, { status: 'awaiting-approval', approvalDeadline: NOW.toISOString(), onTimeout: 'evidence-only' }));
    const result = await handler()(payload());
    expect(result).toMatchObject({ status: 'needs-approval', grant: { status: 'awaiting-approval', written: false } });
    expect(result.actions).toContainEqual(
      expect.objectContaining({ api: 'firebreak:grant', outcome: 'already-done', detail: `A grant for execution ${ARN} already exists (awaiting-approval, written ${NOW.toISOString()}): its decision stands.` }),
    );
  });

  it('writes no grant for an incident whose resource no step acts on under one (not an instance, a scanned object or an access key)', async () => {
    const { resource: _r, ...rest } = incident;
    const bucket = incidentSchema.parse({ ...rest, resource: { kind: 'other', type: 'S3Bucket', id: 'evidence' } }) as Incident;
    slotsHold();
    executionRuns(bucket);
    const result = await handler()(payload(bucket));
    expect(result).toMatchObject({ status: 'proceed', idempotentReplay: false });
    expect(result.grant).toBeUndefined();
    expect(grants.grants.size).toBe(0);
  });

  it('logs the slot it took and the grant it wrote, with their expiry', async () => {
    describes(instance());
    slotsHold();
    executionRuns(incident);
    const result = await handler()(payload());
    expect(result.idempotentReplay).toBe(false);
    expect(result.actions).toContainEqual(
      expect.objectContaining({ api: 'firebreak:blast-radius', target: `${ACCOUNT}#${START}`, outcome: 'done', detail: `Blast radius: containment 1 of 3 in account ${ACCOUNT} within 3600 s (1 h).` }),
    );
    expect(result.actions).toContainEqual(
      expect.objectContaining({
        api: 'firebreak:grant',
        target: `grant#${ARN}`,
        outcome: 'done',
        detail: `Granted contain of ${INSTANCE_ID} to execution ${ARN} (proceed, enforce, until ${new Date((NOW_S + 900) * 1000).toISOString()}).`,
      }),
    );
    expect(result.actions).toContainEqual(
      expect.objectContaining({ api: 'states:DescribeExecution', target: ARN, outcome: 'observed', detail: `RUNNING execution of playbook compromised-ec2-instance (contain) for incident ${incident.key}.` }),
    );
  });

  it('logs the preview it made without a slot, and why no slot was taken', async () => {
    describes(instance());
    slotsHold();
    executionRuns(incident);
    const preview = `Blast radius: containing now would be containment 1 of 3 in account ${ACCOUNT} within 3600 s (1 h).`;
    const dry = await handler({ environment: { FIREBREAK_MODE: 'dry-run' } })(payload());
    expect(dry.actions).toContainEqual(expect.objectContaining({ api: 'firebreak:blast-radius', target: ACCOUNT, outcome: 'observed', detail: `${preview} No slot taken (dry-run).` }));
    grants = new InMemoryGrantStore();
    const rails = { 'compromised-ec2-instance': { ...RAILS['compromised-ec2-instance'], approvalRequired: true } };
    const approval = await createContainmentGuardHandler({ clients: clientFactory(), logger: silentLogger, config: config({ rails }), grants, emergencyPause, now: () => NOW })({ ...payload(), options: { requireApproval: true } });
    expect(approval.actions).toContainEqual(expect.objectContaining({ detail: `${preview} No slot taken (approval required).` }));
  });

  it('gives the grant of a full blast radius an approval deadline and the playbook onTimeout, in enforce and in dry-run', async () => {
    const held = [0, 1, 2].map((slot) => slotItem(slot, `gd-other-${slot}`, NOW_S + 600));
    for (const environment of [{ FIREBREAK_MODE: 'enforce' }, { FIREBREAK_MODE: 'dry-run' }]) {
      grants = new InMemoryGrantStore();
      describes(instance());
      slotsHold(...held);
      executionRuns(incident);
      const result = await createContainmentGuardHandler({ clients: clientFactory(), logger: silentLogger, config: config({ environment }), grants, emergencyPause, now: () => NOW })(payload());
      expect(result.status).toBe('needs-approval');
      expect(grants.grants.get(ARN)).toMatchObject({ status: 'awaiting-approval', approvalDeadline: new Date(NOW.getTime() + 3600_000).toISOString(), onTimeout: 'evidence-only' });
    }
  });

  it('gives a release that waits for approval its deadline, and clears a release its rails do not hold for approval', async () => {
    releaseRuns();
    ddb.on(GetItemCommand).resolves({});
    const waiting = await handler({ protectedTagKey: undefined })(payload());
    expect(waiting.reasons).toContain('The release-instance playbook requires a person to approve before it changes resources.');
    expect(grants.grants.get(ARN)).toMatchObject({ status: 'awaiting-approval', approvalDeadline: new Date(NOW.getTime() + 3600_000).toISOString() });

    grants = new InMemoryGrantStore();
    const rails = { ...RAILS, 'release-instance': { ...RAILS['release-instance'], approvalRequired: false } };
    const cleared = await handler({ protectedTagKey: undefined, rails })(payload());
    expect(cleared).toMatchObject({ status: 'proceed', grant: { status: 'proceed' } });
    expect(cleared.reasons).toContain("The release-instance playbook releases without approval (this deployment's rails).");
  });

  it('keeps the ARN of an execution it refused in its answer, and none when there was none', async () => {
    executionRuns(incident, 'enforce', { status: 'SUCCEEDED' });
    const refused = await handler()(payload());
    expect(refused.execution).toStrictEqual({ verified: false, executionArn: ARN });
    expect(refused.idempotentReplay).toBe(false);
    expect(refused.actions[0]).toMatchObject({ api: 'states:DescribeExecution', target: ARN, outcome: 'skipped' });
    const direct = await handler()({ incident, mode: 'enforce', options: {} });
    expect(direct.execution).toStrictEqual({ verified: false });
    expect(direct.actions[0]).toMatchObject({ api: 'states:DescribeExecution', target: incident.key, outcome: 'skipped' });
    expect(direct.actions.at(-1)).toMatchObject({ api: 'firebreak:containment-guard', target: INSTANCE_ID, detail: `evidence-only: ${direct.reasons.join(' ')}` });
  });
});

// The rest of the survivors of containment-guard.ts that a test can tell apart (docs/testing.md).
describe('containment-guard: wiring, release paths and the words of its log', () => {
  const ARN = EXECUTION.executionArn;
  const payload = (of: Incident = incident) => ({ incident: of, mode: 'enforce' as const, options: {}, execution: EXECUTION });
  const onReleasePlaybook = (of: Incident) => executionRuns(of, 'enforce', { stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Firebreak-release-instance` });
  const keyIncident = (userName: string, userType = 'IAMUser') =>
    ec2Incident({ resource: { kind: 'access-key', accessKeyId: 'AKIAQ3EGRW6JSEXAMPLE', userName, userType } });

  it('applies the contain-time credential rails to a contain only: a release of an administrator key, or of a root key, is cleared', async () => {
    for (const [of, guarded] of [[keyIncident('PaymentsAdmin'), true], [keyIncident('root-user', 'Root'), false]] as const) {
      grants = new InMemoryGrantStore();
      onReleasePlaybook(of);
      const result = await createContainmentGuardHandler({ clients: clientFactory(), logger: silentLogger, config: config({ protectedTagKey: undefined }), grants, emergencyPause, now: () => NOW })(payload(of));
      expect(result.status).toBe('needs-approval');
      expect(result.protected).toBe(false);
      expect(grants.grants.get(ARN)).toMatchObject({ kind: 'release', instanceId: 'iam-credentials' });
      if (guarded) expect(iam.calls()).toHaveLength(0);
    }
  });

  it('contains an instance whose finding also names a malformed access key: the unactionable-key rule is for credential incidents', async () => {
    const withBadKey = ec2Incident({ affected: [{ kind: 'ec2-instance', from: 'test', instanceId: INSTANCE_ID }, { kind: 'unverified', from: 'test', claimedKind: 'access-key', value: 'AKIA-bad', expected: 'an access key id' }] as never });
    describes(instance());
    slotsHold();
    const { result } = await runGuard(withBadKey);
    expect(result.status).toBe('proceed');
  });

  it("reads no release claims for a release of an incident that names no instance", async () => {
    const { resource: _r, ...rest } = incident;
    const bucket = incidentSchema.parse({ ...rest, resource: { kind: 'other', type: 'S3Bucket', id: 'evidence' } }) as Incident;
    onReleasePlaybook(bucket);
    const result = await createContainmentGuardHandler({ clients: clientFactory(), logger: silentLogger, config: config({ protectedTagKey: undefined }), grants, emergencyPause, now: () => NOW })(payload(bucket));
    expect(result).not.toHaveProperty('releaseClaims');
    expect(ddb.calls()).toHaveLength(0);
  });

  it('without a state table (limiter and grants injected), reads no release claims', async () => {
    onReleasePlaybook(incident);
    const limiter = { acquire: () => Promise.reject(new Error('no slot for a release')), preview: () => Promise.reject(new Error('no slot for a release')) };
    const result = await createContainmentGuardHandler({ clients: clientFactory(), logger: silentLogger, config: config({ protectedTagKey: undefined, stateTable: undefined }), limiter, grants, emergencyPause, now: () => NOW })(payload());
    expect(result.status).toBe('needs-approval');
    expect(result).not.toHaveProperty('releaseClaims');
    expect(ddb.calls()).toHaveLength(0);
  });

  it('with a limiter injected but no grant store, writes its grants to the state table', async () => {
    describes(instance());
    executionRuns(incident);
    const limiter = { acquire: () => Promise.resolve({ granted: true as const, slot: 0, alreadyHeld: false, used: 1, limit: 3, windowSeconds: WINDOW, expiresAt: NOW.toISOString(), activeIncidents: [] }), preview: () => Promise.reject(new Error('enforce')) };
    const result = await createContainmentGuardHandler({ clients: clientFactory(), logger: silentLogger, config: config(), limiter, emergencyPause, now: () => NOW })(payload());
    expect(result.grant).toMatchObject({ status: 'proceed', written: true });
    expect(putInputs().map((put) => put.Item!.pk!.S)).toEqual([`grant#${ARN}`]);
  });

  it('runs on the current time when no clock is given', async () => {
    describes(instance());
    slotsHold();
    executionRuns(incident);
    const before = Date.now();
    await createContainmentGuardHandler({ clients: clientFactory(), logger: silentLogger, config: config(), grants, emergencyPause })(payload());
    expect(Date.parse(grants.grants.get(ARN)!.grantedAt)).toBeGreaterThanOrEqual(before - 1000);
  });

  it('logs a forced dry-run against the instance, says why, joins its reasons with spaces, and tells the logger its decision', async () => {
    describes(instance());
    slotsHold();
    executionRuns(incident, 'dry-run');
    const infos: [string, Record<string, unknown>][] = [];
    const logger = { ...silentLogger, info: (message: string, fields: Record<string, unknown>) => void infos.push([message, fields]) } as unknown as typeof silentLogger;
    const result = await createContainmentGuardHandler({ clients: clientFactory(), logger, config: config(), grants, emergencyPause, now: () => NOW })(payload());
    expect(result.actions).toContainEqual(
      expect.objectContaining({ api: 'firebreak:effective-mode', target: INSTANCE_ID, detail: 'The input asked for enforce, but the execution was started in dry-run: running as dry-run, nothing is changed.' }),
    );
    expect(result.reasons.length).toBeGreaterThan(1);
    expect(result.actions.at(-1)).toMatchObject({ api: 'firebreak:containment-guard', detail: `proceed: ${result.reasons.join(' ')}` });
    expect(infos).toContainEqual(['containment-guard decided', expect.objectContaining({ status: 'proceed', mode: 'dry-run', reasons: result.reasons })]);

    // Refused before its execution is verified, in a dry-run deployment: the forced dry-run is logged against the instance too.
    const refused = await createContainmentGuardHandler({ clients: clientFactory(), logger: silentLogger, config: config({ environment: { FIREBREAK_MODE: 'dry-run' } }), grants, emergencyPause, now: () => NOW })({ incident, mode: 'enforce', options: {} });
    expect(refused.actions).toContainEqual(expect.objectContaining({ api: 'firebreak:effective-mode', target: INSTANCE_ID }));
  });
});

describe('containment-guard: the emergency pause (pause#deployment)', () => {
  const BY = 'arn:aws:sts::111122223333:assumed-role/OnCall/alice';
  const PAUSED = { paused: true, pausedBy: BY, pausedAt: '2026-11-20T10:00:00.000Z', reason: 'false-positive storm' } as const;

  it('ATTACK (false-positive storm): while paused, clears a containment in dry-run only, takes no slot, and says who paused, when and why', async () => {
    describes(instance());
    slotsHold();
    emergencyPause.state = PAUSED;
    const { result } = await runGuard(incident);
    expect(result).toMatchObject({ status: 'proceed', mode: 'dry-run', grant: { mode: 'dry-run', status: 'proceed' }, blastRadius: { slotTaken: false } });
    expect(grants.grants.get(EXECUTION.executionArn)?.mode).toBe('dry-run');
    expect(putInputs()).toEqual([]);
    expect(result.reasons[0]).toBe(
      `Firebreak is PAUSED: ${BY} paused automated containment at 2026-11-20T10:00:00.000Z (reason: "false-positive storm"); no containment is enforced until firebreak resume: this containment is cleared in dry-run only, and no blast-radius slot is taken.`,
    );
    expect(result.forcedDryRun).toEqual({ requested: 'enforce', reason: expect.stringMatching(/^The input asked for enforce, but Firebreak is PAUSED: /) });
    expect(result.actions.find((a) => a.api === 'firebreak:emergency-pause')).toMatchObject({ outcome: 'skipped', target: INSTANCE_ID });
  });

  it('clears the same containment in enforce once resumed (the pause is not a standing dry-run)', async () => {
    describes(instance());
    slotsHold();
    const { result } = await runGuard(incident);
    expect(result).toMatchObject({ status: 'proceed', mode: 'enforce', grant: { mode: 'enforce' } });
    expect(result.actions.some((a) => a.api === 'firebreak:emergency-pause')).toBe(false);
  });

  it('says PAUSED in a dry-run execution too (the alert must say why, whatever the mode)', async () => {
    describes(instance());
    slotsHold();
    emergencyPause.state = PAUSED;
    const { result } = await runGuard(incident, { mode: 'dry-run' });
    expect(result.mode).toBe('dry-run');
    expect(result.reasons[0]).toMatch(/^Firebreak is PAUSED/);
  });

  /** An execution of the release playbook, as the input names it (what DescribeExecution then says is up to each test). */
  const RELEASE_EXECUTION = {
    ...EXECUTION,
    executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:Firebreak-release-instance:release-${incident.key}`,
    stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Firebreak-release-instance`,
    playbook: 'release-instance',
  };

  it('never pauses a release: the guard does not read the pause, and clears the release as it would unpaused', async () => {
    executionRuns(incident, 'enforce', { executionArn: RELEASE_EXECUTION.executionArn, stateMachineArn: RELEASE_EXECUTION.stateMachineArn });
    ddb.on(GetItemCommand).resolves({});
    let read = 0;
    const handler = createContainmentGuardHandler({ clients: clientFactory(), logger: silentLogger, config: config({ protectedTagKey: undefined }), grants, emergencyPause: { pauseState: () => ((read += 1), Promise.resolve(PAUSED)) }, now: () => NOW });
    const result = await handler({ incident, mode: 'enforce', options: {}, execution: RELEASE_EXECUTION });
    expect(read).toBe(0);
    expect(result).toMatchObject({ status: 'needs-approval', mode: 'enforce', grant: { mode: 'enforce' } });
  });

  it.each([
    ['answers PAUSED', () => Promise.resolve(PAUSED)],
    ['fails', () => Promise.reject(new TransientResponderError('dynamodb:GetItem throttled'))],
  ])('ignores the pause read ahead for an input that claims a containment but verifies as a release (the read %s)', async (_, pauseState) => {
    // The input names a containment's execution ARN; DescribeExecution says it is the release playbook's.
    executionRuns(incident, 'enforce', { stateMachineArn: RELEASE_EXECUTION.stateMachineArn });
    const unhandled = watchUnhandledRejections();
    const handler = createContainmentGuardHandler({ clients: clientFactory(), logger: silentLogger, config: config({ protectedTagKey: undefined }), grants, emergencyPause: { pauseState }, now: () => NOW });
    const result = await handler({ incident, mode: 'enforce', options: {}, execution: EXECUTION });
    expect(result).toMatchObject({ status: 'needs-approval', mode: 'enforce', grant: { mode: 'enforce' } });
    expect(result.actions.some((a) => a.api === 'firebreak:emergency-pause')).toBe(false);
    expect(await unhandled()).toEqual([]);
  });

  it('reads the pause beside DescribeExecution when the input claims a containment: the GetItem is sent before DescribeExecution answers', async () => {
    describes(instance());
    slotsHold();
    const sent: string[] = [];
    let pauseRead!: () => void;
    const pauseReadSent = new Promise<void>((resolve) => (pauseRead = resolve));
    ddb.on(GetItemCommand).callsFake(async () => {
      sent.push('dynamodb:GetItem pause#deployment');
      pauseRead();
      return {};
    });
    // DescribeExecution answers once the pause read was sent, or after 300 ms (the guard that reads the pause only after it).
    sfn.on(DescribeExecutionCommand).callsFake(async () => {
      sent.push('states:DescribeExecution sent');
      await Promise.race([pauseReadSent, new Promise((resolve) => setTimeout(resolve, 300))]);
      sent.push('states:DescribeExecution answered');
      return runningExecution(incident);
    });
    const result = await createContainmentGuardHandler({ clients: clientFactory(), logger: silentLogger, config: config(), grants, now: () => NOW })({ incident, mode: 'enforce', options: {}, execution: EXECUTION });
    expect(sent.indexOf('dynamodb:GetItem pause#deployment')).toBeGreaterThanOrEqual(0);
    expect(sent.indexOf('dynamodb:GetItem pause#deployment')).toBeLessThan(sent.indexOf('states:DescribeExecution answered'));
    // The pause first; then, before a slot is taken, whether Firebreak holds the instance already (row 15o).
    expect(ddb.commandCalls(GetItemCommand).map((call) => call.args[0].input.Key)).toEqual([{ pk: { S: PAUSE_KEY } }, { pk: { S: quarantineRecordKey(ACCOUNT, REGION, INSTANCE_ID) } }]);
    expect(ddb.commandCalls(GetItemCommand)[0]!.args[0].input).toEqual({ TableName: TABLE, Key: { pk: { S: PAUSE_KEY } }, ConsistentRead: true });
    expect(sfn.commandCalls(DescribeExecutionCommand).map((call) => call.args[0].input)).toEqual([{ executionArn: EXECUTION.executionArn }]);
    expect(result).toMatchObject({ status: 'proceed', mode: 'enforce', grant: { mode: 'enforce' } });
  });

  it('uses the pause read ahead once the execution is verified: PAUSED clears in dry-run only', async () => {
    describes(instance());
    slotsHold();
    let pauseRead!: () => void;
    const pauseReadSent = new Promise<void>((resolve) => (pauseRead = resolve));
    ddb.on(GetItemCommand).callsFake(async () => (pauseRead(), { Item: pauseItem({ pausedBy: BY, pausedAt: '2026-11-20T10:00:00.000Z', reason: 'false-positive storm' }) }));
    sfn.on(DescribeExecutionCommand).callsFake(async () => (await Promise.race([pauseReadSent, new Promise((resolve) => setTimeout(resolve, 300))]), runningExecution(incident)));
    const result = await createContainmentGuardHandler({ clients: clientFactory(), logger: silentLogger, config: config(), grants, now: () => NOW })({ incident, mode: 'enforce', options: {}, execution: EXECUTION });
    expect(result).toMatchObject({ status: 'proceed', mode: 'dry-run', grant: { mode: 'dry-run' }, blastRadius: { slotTaken: false } });
    expect(result.reasons[0]).toMatch(/^Firebreak is PAUSED: arn:aws:sts::111122223333:assumed-role\/OnCall\/alice paused automated containment/);
    expect(putInputs()).toEqual([]);
  });

  it('fails closed when the pause read ahead fails: the guard step fails as the read did (retried), no grant and no slot', async () => {
    describes(instance());
    slotsHold();
    ddb.on(GetItemCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} }));
    executionRuns(incident);
    const unhandled = watchUnhandledRejections();
    const guard = createContainmentGuardHandler({ clients: clientFactory(), logger: silentLogger, config: config(), grants, now: () => NOW });
    await expect(guard({ incident, mode: 'enforce', options: {}, execution: EXECUTION })).rejects.toBeInstanceOf(TransientResponderError);
    expect(grants.grants.size).toBe(0);
    expect(putInputs()).toEqual([]);
    expect(await unhandled()).toEqual([]);
  });

  it('leaves no unhandled rejection when the execution does not verify: the failed pause read ahead is ignored, evidence only', async () => {
    ddb.on(GetItemCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: {} }));
    executionRuns(incident, 'enforce', { status: 'SUCCEEDED' });
    const unhandled = watchUnhandledRejections();
    const result = await createContainmentGuardHandler({ clients: clientFactory(), logger: silentLogger, config: config(), grants, now: () => NOW })({ incident, mode: 'enforce', options: {}, execution: EXECUTION });
    expect(result).toMatchObject({ status: 'evidence-only', execution: { verified: false } });
    expect(ddb.commandCalls(GetItemCommand)).toHaveLength(1);
    expect(await unhandled()).toEqual([]);
  });

  it('reads the pause from the state table by default: one consistent GetItem of pause#deployment; a malformed item pauses', async () => {
    describes(instance());
    slotsHold();
    ddb.on(GetItemCommand).resolves({ Item: { pk: { S: PAUSE_KEY }, pausedBy: { S: BY } } });
    executionRuns(incident);
    const result = await createContainmentGuardHandler({ clients: clientFactory(), logger: silentLogger, config: config(), grants, now: () => NOW })({ incident, mode: 'enforce', options: {}, execution: EXECUTION });
    expect(ddb.commandCalls(GetItemCommand).map((call) => call.args[0].input)).toEqual([{ TableName: TABLE, Key: { pk: { S: PAUSE_KEY } }, ConsistentRead: true }]);
    expect(result).toMatchObject({ status: 'proceed', mode: 'dry-run' });
    expect(result.reasons[0]).toMatch(/^Firebreak is PAUSED: the emergency pause item \(pause#deployment\) cannot be read whole \(pausedAt is not a time; reason is missing/);
    expect(pauseItem({ pausedBy: BY, pausedAt: 'x', reason: 'y' }).pk).toEqual({ S: PAUSE_KEY });
  });
});

describe('containment-guard: the incident record confirmation (row 17d)', () => {
  it("ATTACK (review-17d): confirms only an invocation naming its RUNNING execution's own incident, never one verified for another incident", async () => {
    describes(instance());
    slotsHold();
    const handler = createContainmentGuardHandler({ clients: clientFactory(), logger: silentLogger, config: config(), grants, emergencyPause, now: () => NOW });
    const invoke = (named: Incident, mode: 'enforce' | 'dry-run' = 'enforce') => runAttempt(() => handler({ incident: named, mode, options: {}, execution: EXECUTION }), () => NOW);
    const other = { ...incident, key: 'gd-another-incident' };
    // The execution runs for this incident: a direct invocation naming it for another key (a forger
    // filling that incident's record), or lowering its mode, is refused and stays unconfirmed.
    executionRuns(incident);
    const forOther = await invoke(other);
    const lowered = await invoke(incident, 'dry-run');
    // The execution runs for the other incident: an invocation naming this one is not confirmed by it.
    executionRuns(other);
    const crossed = await invoke(incident);
    executionRuns(incident);
    const genuine = await invoke(incident);
    expect([forOther, lowered, crossed, genuine].map((attempt) => [attempt.ok && attempt.value.execution.verified, attempt.originVerified])).toEqual([
      [false, false],
      [false, false],
      [false, false],
      [true, true],
    ]);
  });
});
