/**
 * What a guard run answers when its execution's grant is already written (a retry or rerun of the
 * guard step, or a direct invocation naming the same execution), and what a terminated instance's
 * incident is granted. The blast radius is a stub here: containment-guard.test.ts checks its calls.
 */
import { InMemoryPause } from '../../lib/responders/emergency-pause';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { Instance } from '@aws-sdk/client-ec2';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClientFactory } from '../../lib/aws/clients';
import type { ContainmentGrant } from '../../lib/contracts/security';
import type { Incident } from '../../lib/incident/model';
import type { BlastRadiusDecision, BlastRadiusLimiter } from '../../lib/responders/blast-radius';
import { createContainmentGuardHandler } from '../../lib/responders/containment-guard';
import { storedGrantDifference } from '../../lib/responders/containment-guard-grant';
import type { ContainmentGuardConfig } from '../../lib/responders/containment-guard-model';
import { ResponderFailedError } from '../../lib/contracts/responder-errors';
import { InMemoryGrantStore } from '../../lib/responders/grants';
import { silentLogger } from '../../lib/responders/logging';
import { EXECUTION, grantFor } from '../support/grants';
import { ACCOUNT, INSTANCE_ID, REGION, ec2Incident } from '../support/incidents';

const NOW = new Date('2026-11-20T10:05:00.000Z');
const NOW_S = NOW.getTime() / 1000;
const ARN = EXECUTION.executionArn;
const TAG_KEY = 'firebreak:protected';
const PLAYBOOK = 'compromised-ec2-instance';
const CONTAIN = { approvalRequired: false, onTimeout: 'evidence-only', timeoutSeconds: 3600, kind: 'contain' } as const;

const ec2 = mockClient(EC2Client);
const sfn = mockClient(SFNClient);

const incident = ec2Incident();
let grants: InMemoryGrantStore;
let slotsTaken: number;

/** A blast radius with room: every acquire takes a slot (counted), every preview would. */
const limiter: BlastRadiusLimiter = {
  acquire: async () => {
    slotsTaken++;
    return room();
  },
  preview: async () => room(),
};
function room(): BlastRadiusDecision {
  return { granted: true, slot: 0, alreadyHeld: false, used: 1, limit: 3, windowSeconds: 3600, expiresAt: new Date((NOW_S + 3600) * 1000).toISOString(), activeIncidents: [] };
}

function clients(): ClientFactory {
  return {
    ec2: async (target) => new EC2Client({ region: target.region }),
    iam: () => Promise.reject(new Error('no IAM here')),
    sns: () => {
      throw new Error('the guard never needs SNS');
    },
    sfn: () => new SFNClient({ region: REGION }),
    dynamodb: () => {
      throw new Error('the stub limiter and the in-memory grants need no table');
    },
  };
}

function config(overrides: Partial<ContainmentGuardConfig> = {}): ContainmentGuardConfig {
  return {
    protectedInstanceIds: [],
    protectedTagKey: TAG_KEY,
    blastRadius: { maxContainments: 3, windowSeconds: 3600 },
    securityAccountId: ACCOUNT,
    region: REGION,
    stackName: 'Firebreak',
    rails: { [PLAYBOOK]: CONTAIN },
    servedAccounts: { securityAccountId: ACCOUNT, allowlist: [], memberRoles: false },
    environment: { FIREBREAK_MODE: 'enforce' },
    ...overrides,
  };
}

function executionRuns(running: Incident, mode: 'enforce' | 'dry-run' = 'enforce'): void {
  sfn.on(DescribeExecutionCommand).resolves({
    executionArn: ARN,
    stateMachineArn: EXECUTION.stateMachineArn,
    status: 'RUNNING',
    startDate: NOW,
    input: JSON.stringify({ incident: running, mode, playbook: PLAYBOOK }),
  });
}

function describes(found: Partial<Instance> = {}): void {
  ec2.on(DescribeInstancesCommand).resolves({
    Reservations: [{ Instances: [{ InstanceId: INSTANCE_ID, State: { Name: 'running', Code: 16 }, Tags: [{ Key: 'Name', Value: 'web-1' }], ...found }] }],
  });
}

function guard(overrides: Partial<ContainmentGuardConfig> = {}, at: Date = NOW) {
  return createContainmentGuardHandler({ clients: clients(), logger: silentLogger, config: config(overrides), limiter, grants, emergencyPause: new InMemoryPause(), now: () => at });
}

function payload(options: { requireApproval?: boolean } = {}, of: Incident = incident) {
  return { incident: of, mode: 'enforce' as const, options, execution: EXECUTION };
}

beforeEach(() => {
  ec2.reset();
  sfn.reset();
  grants = new InMemoryGrantStore();
  slotsTaken = 0;
});
afterEach(() => {
  ec2.reset();
  sfn.reset();
});

describe('containment-guard: a run that finds its execution\'s grant already written', () => {
  it('ATTACK: a direct invocation claiming enforce against an execution whose stored grant is dry-run never answers enforce, and leaves the grant as it is', async () => {
    describes();
    executionRuns(incident);
    // The execution's first guard run, under a deployment in dry-run then: a dry-run grant.
    const stored = grantFor(incident, NOW, { mode: 'dry-run' });
    grants.grants.set(ARN, stored);

    const answer = guard()(payload());

    // Before the fix: { status: 'proceed', mode: 'enforce', grant: { mode: 'dry-run', written: false } }.
    await expect(answer).rejects.toBeInstanceOf(ResponderFailedError);
    await expect(answer).rejects.toThrow(`The grant of ${ARN} already exists with other terms than this run would issue (mode: the stored grant says dry-run, this run would issue enforce)`);
    expect(grants.grants.get(ARN)).toEqual(stored);
  });

  it.each<[string, Partial<ContainmentGrant>, string]>([
    ['another playbook', { playbook: 'ec2-malware-found' }, 'playbook: the stored grant says ec2-malware-found, this run would issue compromised-ec2-instance'],
    ['another game-day flag', { gameDay: true }, 'gameDay: the stored grant says true, this run would issue false'],
    ['an expiry beyond what this run would write', { expiresAt: NOW_S + 900 + 1 }, `expiresAt: the stored grant says ${new Date((NOW_S + 901) * 1000).toISOString()}, later than the ${new Date((NOW_S + 900) * 1000).toISOString()} this run would issue`],
    ['an expiry already passed', { expiresAt: NOW_S }, `expiresAt: the stored grant expired at ${NOW.toISOString()}; a guard run never renews a grant`],
    ['an approval deadline on a proceed grant', { approvalDeadline: NOW.toISOString() }, 'approvalDeadline: the stored proceed grant has one, this run would issue none'],
    ['an onTimeout on a proceed grant', { onTimeout: 'contain' }, 'onTimeout: the stored proceed grant has one, this run would issue none'],
  ])('refuses to answer from a stored grant with %s, naming the field', async (_what, overrides, field) => {
    describes();
    executionRuns(incident);
    const stored = grantFor(incident, NOW, overrides);
    grants.grants.set(ARN, stored);

    await expect(guard()(payload())).rejects.toThrow(`already exists with other terms than this run would issue (${field})`);
    expect(grants.grants.get(ARN)).toEqual(stored);
  });

  it('refuses a stored awaiting-approval grant whose onTimeout or deadline is not what this run would write', async () => {
    describes();
    executionRuns(incident);
    const deadline = new Date(NOW.getTime() + 3600_000).toISOString();
    const waiting = { status: 'awaiting-approval', approvalDeadline: deadline, expiresAt: NOW_S + 3600 + 900 } as const;
    grants.grants.set(ARN, grantFor(incident, NOW, { ...waiting, onTimeout: 'contain' }));
    await expect(guard()(payload())).rejects.toThrow('(onTimeout: the stored grant says contain, this run would issue evidence-only)');

    const later = new Date(NOW.getTime() + 3601_000).toISOString();
    grants.grants.set(ARN, grantFor(incident, NOW, { ...waiting, onTimeout: 'evidence-only', approvalDeadline: later }));
    await expect(guard()(payload())).rejects.toThrow(`(approvalDeadline: the stored grant says ${later}, later than the ${deadline} this run would issue)`);
  });

  it('refuses a stored proceed grant where this run requires a person to approve: the stored grant clears more than it would', async () => {
    describes();
    executionRuns(incident);
    grants.grants.set(ARN, grantFor(incident, NOW));
    const rails = { [PLAYBOOK]: { ...CONTAIN, approvalRequired: true } };

    await expect(guard({ rails })(payload())).rejects.toThrow(
      "(status: the stored grant proceeds without approval, this run would issue awaiting-approval: a person must approve)",
    );
  });

  it('answers from a stored grant written by an earlier run of the same terms, with its mode, status and expiry', async () => {
    describes();
    executionRuns(incident, 'dry-run');
    const earlier = new Date(NOW.getTime() - 120_000);
    grants.grants.set(ARN, grantFor(incident, earlier, { mode: 'dry-run' }));

    const result = await guard()({ ...payload(), mode: 'dry-run' });

    expect(result).toMatchObject({ status: 'proceed', mode: 'dry-run', grant: { mode: 'dry-run', status: 'proceed', written: false, expiresAt: NOW_S - 120 + 900 } });
  });

  it('keeps a stored awaiting-approval grant where this run would proceed: it clears less, and its decision stands', async () => {
    describes();
    executionRuns(incident);
    const earlier = new Date(NOW.getTime() - 60_000);
    grants.grants.set(
      ARN,
      grantFor(incident, earlier, { status: 'awaiting-approval', approvalDeadline: new Date(earlier.getTime() + 3600_000).toISOString(), onTimeout: 'evidence-only', expiresAt: NOW_S - 60 + 3600 + 900 }),
    );

    const result = await guard()(payload());

    expect(result).toMatchObject({ status: 'needs-approval', mode: 'enforce', grant: { status: 'awaiting-approval', written: false } });
  });
});

describe('storedGrantDifference', () => {
  const expected = { candidate: grantFor(incident, NOW), now: NOW, approvalSeconds: 3600, onTimeout: 'evidence-only' as const, personDecides: false };

  it('finds none in the grant this run would write, nor in one an earlier run wrote on the same terms', () => {
    expect(storedGrantDifference(grantFor(incident, NOW), expected)).toBeUndefined();
    expect(storedGrantDifference(grantFor(incident, new Date(NOW.getTime() - 60_000)), expected)).toBeUndefined();
  });

  it.each<[string, Partial<ContainmentGrant>, string]>([
    ['incidentKey', { incidentKey: 'gd-other' }, `incidentKey: the stored grant says gd-other, this run would issue ${incident.key}`],
    ['incidentDigest', { incidentDigest: 'f'.repeat(64) }, 'incidentDigest: the stored grant binds another incident (SHA-256'],
    ['instanceId', { instanceId: 'i-0fff0000aaaa11112' }, `instanceId: the stored grant says i-0fff0000aaaa11112, this run would issue ${INSTANCE_ID}`],
    ['requestDigest', { requestDigest: 'e'.repeat(64) }, 'requestDigest: the stored grant binds a request, this run would issue none'],
    ['kind', { kind: 'release' }, 'kind: the stored grant says release, this run would issue contain'],
  ])('names %s when the stored grant differs there', (_field, overrides, text) => {
    expect(storedGrantDifference(grantFor(incident, NOW, overrides), expected)?.text).toContain(text);
  });

  it('says which differences are of the target (another incident or instance) and which of the terms', () => {
    expect(storedGrantDifference(grantFor(incident, NOW, { account: '444455556666' }), expected)?.of).toBe('target');
    expect(storedGrantDifference(grantFor(incident, NOW, { mode: 'dry-run' }), expected)?.of).toBe('terms');
  });

  it('never answers a run that would clear a held quarantine with no slot from a stored grant that clears more (row 15s); the reverse clears less and stands', () => {
    const held = { ...expected, candidate: grantFor(incident, NOW, { heldQuarantine: true }) };
    expect(storedGrantDifference(grantFor(incident, NOW), held)).toMatchObject({ of: 'terms', field: 'heldQuarantine' });
    expect(storedGrantDifference(grantFor(incident, NOW, { heldQuarantine: true }), held)).toBeUndefined();
    expect(storedGrantDifference(grantFor(incident, NOW, { heldQuarantine: true }), expected)).toBeUndefined();
  });
});

describe('containment-guard: a terminated instance', () => {
  it('ATTACK: where the playbook requires approval, its grant waits for a person like any other, and takes no slot', async () => {
    describes({ State: { Name: 'terminated', Code: 48 } });
    executionRuns(incident);
    const rails = { [PLAYBOOK]: { ...CONTAIN, approvalRequired: true, onTimeout: 'contain' as const, timeoutSeconds: 600 } };

    const result = await guard({ rails })(payload({ requireApproval: true }));

    // Before the fix: status proceed, and a proceed grant that cleared every granted step without approval.
    expect(result.status).toBe('needs-approval');
    expect(grants.grants.get(ARN)).toMatchObject({ status: 'awaiting-approval', onTimeout: 'contain', approvalDeadline: new Date(NOW.getTime() + 600_000).toISOString() });
    expect(slotsTaken).toBe(0);
    expect(result.blastRadius.evaluated).toBe(false);
    expect(result.reasons).toEqual([
      `Instance ${INSTANCE_ID} is terminated: nothing to contain, so no blast-radius slot is taken.`,
      `The ${PLAYBOOK} playbook requires a person to approve before it changes resources.`,
    ]);
  });

  it('ATTACK: from the oversized-event intake, its grant waits for a person and never contains on timeout', async () => {
    const clipped = ec2Incident({ clipped: { tags: 0, networkInterfaces: 0, securityGroups: 0, texts: 0, sections: [], event: { originalBytes: 409_600 } } });
    describes({ State: { Name: 'terminated', Code: 48 } });
    executionRuns(clipped);
    const rails = { [PLAYBOOK]: { ...CONTAIN, onTimeout: 'contain' as const } };

    const result = await guard({ rails })(payload({}, clipped));

    expect(result).toMatchObject({ status: 'needs-approval', intake: 'oversized-event' });
    expect(grants.grants.get(ARN)).toMatchObject({ status: 'awaiting-approval', onTimeout: 'evidence-only' });
    expect(slotsTaken).toBe(0);
  });

  it('still proceeds without a slot where no person must decide: nothing is left to contain, and the steps refuse it', async () => {
    describes({ State: { Name: 'terminated', Code: 48 } });
    executionRuns(incident);

    const result = await guard()(payload());

    expect(result.status).toBe('proceed');
    expect(grants.grants.get(ARN)).toMatchObject({ status: 'proceed' });
    expect(slotsTaken).toBe(0);
  });
});
