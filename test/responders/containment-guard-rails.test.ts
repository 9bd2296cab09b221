/**
 * The containment guard's pure rails and its look at the instance, called directly. Written for the
 * mutants Stryker found surviving in containment-guard-rails.ts and containment-guard-instance.ts
 * (docs/testing.md); the guard's own tests (containment-guard.test.ts) try the rails through the
 * handler.
 */
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { Instance } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActionLog } from '../../lib/responders/action-log';
import type { BlastRadiusDecision } from '../../lib/responders/blast-radius';
import { lookAtInstance } from '../../lib/responders/containment-guard-instance';
import type { ContainmentGuardConfig } from '../../lib/responders/containment-guard-model';
import { blastRadiusReason, blastRadiusSummary, protectionOf, protectionRulesOf } from '../../lib/responders/containment-guard-rails';
import { ACCOUNT, INSTANCE_ID, REGION, ec2Incident } from '../support/incidents';

const ec2 = mockClient(EC2Client);
const NOW = new Date('2026-11-20T10:05:00.000Z');
const TAG_KEY = 'firebreak:protected';

beforeEach(() => ec2.reset());
afterEach(() => ec2.reset());

describe('protectionRulesOf', () => {
  it('reads the id list and the tag key trimmed, without blank entries', () => {
    expect(protectionRulesOf({ FIREBREAK_PROTECTED_INSTANCE_IDS: ' i-0aaa , ,i-0bbb,', FIREBREAK_PROTECTED_TAG_KEY: ` ${TAG_KEY} ` })).toStrictEqual({
      protectedInstanceIds: ['i-0aaa', 'i-0bbb'],
      protectedTagKey: TAG_KEY,
    });
    expect(protectionRulesOf({ FIREBREAK_PROTECTED_TAG_KEY: '  ' })).toStrictEqual({ protectedInstanceIds: [] });
  });

  it('protects by tag only when the deployment names a key (IAM and EC2 allow a tag key spelt "undefined")', () => {
    expect(protectionOf(INSTANCE_ID, { protectedInstanceIds: [] }, { undefined: 'x' })).toEqual({ protected: false });
  });
});

describe('blastRadiusReason and blastRadiusSummary', () => {
  const denied = (fields: Partial<Extract<BlastRadiusDecision, { granted: false }>> = {}): BlastRadiusDecision => ({
    granted: false,
    used: 2,
    limit: 2,
    windowSeconds: 3600,
    activeIncidents: [],
    ...fields,
  });

  it('names the holders and when the first slot frees only when it knows them', () => {
    expect(blastRadiusReason(ACCOUNT, denied(), false)).toBe(
      `Blast radius reached: 2 of 2 automatic containments already made in account ${ACCOUNT} within the last 3600 s (1 h); a person must approve any further containment.`,
    );
    const known = denied({
      activeIncidents: [{ slot: 0, incidentKey: 'gd-a', expiresAt: 1 }, { slot: 1, incidentKey: 'gd-b', expiresAt: 2 }],
      retryAfter: '2026-11-20T10:30:00.000Z',
      retryAfterSeconds: 1500,
    });
    expect(blastRadiusReason(ACCOUNT, known, false)).toBe(
      `Blast radius reached: 2 of 2 automatic containments already made in account ${ACCOUNT} within the last 3600 s (1 h) (gd-a, gd-b); a person must approve any further containment. The first slot frees at 2026-11-20T10:30:00.000Z.`,
    );
    expect(blastRadiusSummary(denied(), false)).toStrictEqual({ evaluated: true, granted: false, slotTaken: false, used: 2, limit: 2, windowSeconds: 3600, activeIncidents: [] });
    expect(blastRadiusSummary(known, false)).toMatchObject({ activeIncidents: ['gd-a', 'gd-b'], retryAfter: '2026-11-20T10:30:00.000Z' });
  });

  it('says when the incident already held its slot', () => {
    const held: BlastRadiusDecision = { granted: true, slot: 1, alreadyHeld: true, used: 2, limit: 3, windowSeconds: 60, expiresAt: NOW.toISOString(), activeIncidents: [] };
    expect(blastRadiusReason(ACCOUNT, held, false)).toBe(`Blast radius: this incident already counts as containment 2 of 3 in account ${ACCOUNT} for the 60 s (1 min) window; no second slot taken.`);
    expect(blastRadiusReason(ACCOUNT, { ...held, alreadyHeld: false }, false)).toBe(`Blast radius: containment 2 of 3 in account ${ACCOUNT} within 60 s (1 min).`);
  });

  it('tells the alert which slot items counted for nothing, whatever the decision', () => {
    const unreadable = ' Slot item(s) 0, 2 of this pool hold no time within the window (no readable write time, and no expiry or one more than a window ahead): counted as free. Only the guard writes slots: find out who wrote these.';
    const taken: BlastRadiusDecision = { granted: true, slot: 1, alreadyHeld: false, used: 1, limit: 3, windowSeconds: 60, expiresAt: NOW.toISOString(), activeIncidents: [], unboundedSlots: [0, 2] };
    expect(blastRadiusReason(ACCOUNT, taken, false)).toBe(`Blast radius: containment 1 of 3 in account ${ACCOUNT} within 60 s (1 min).${unreadable}`);
    expect(blastRadiusReason(ACCOUNT, denied({ unboundedSlots: [0, 2] }), true)).toMatch(new RegExp(`approve any further containment\\.${unreadable.replace(/[().]/g, '\\$&')}$`));
  });
});

describe('lookAtInstance', () => {
  const incident = ec2Incident();
  const instance = (overrides: Partial<Instance> = {}): Instance => ({ InstanceId: INSTANCE_ID, State: { Name: 'running', Code: 16 }, Tags: [], ...overrides });
  const describes = (found: Instance) => ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [found] }] });
  const deps = (config: Partial<ContainmentGuardConfig>) =>
    ({
      config: { protectedInstanceIds: [], blastRadius: { maxContainments: 3, windowSeconds: 3600 }, rails: {}, ...config },
      clients: { ec2: async () => new EC2Client({ region: REGION }) },
    }) as unknown as Parameters<typeof lookAtInstance>[4];
  const look = async (kind: 'contain' | 'release', gameDay: boolean, config: Partial<ContainmentGuardConfig>) => {
    const log = new ActionLog(() => NOW);
    const reasons: string[] = [];
    const verdict = await lookAtInstance(incident, INSTANCE_ID, kind, gameDay, deps(config), log, reasons);
    return { verdict, reasons, log: log.actions.map(({ api, target, outcome, detail }) => ({ api, target, outcome, detail })) };
  };

  it('applies no protection to a release: the listed instance is released, and its tags are not read', async () => {
    describes(instance({ Tags: [{ Key: TAG_KEY, Value: '' }] }));
    expect(await look('release', false, { protectedInstanceIds: [INSTANCE_ID], protectedTagKey: TAG_KEY })).toEqual({ verdict: { protected: false }, reasons: [], log: [] });
    expect(ec2.calls()).toHaveLength(0);
  });

  it('logs what it read of the tags: the protected key present or absent, or a game-day target', async () => {
    describes(instance({ Tags: [{ Key: TAG_KEY, Value: 'yes' }] }));
    expect((await look('contain', false, { protectedTagKey: TAG_KEY })).log).toEqual([
      { api: 'ec2:DescribeInstances', target: INSTANCE_ID, outcome: 'observed', detail: `Read the current tags of ${INSTANCE_ID}: the protected tag key ${TAG_KEY} is present.` },
    ]);
    describes(instance());
    expect((await look('contain', false, { protectedTagKey: TAG_KEY })).log).toEqual([
      { api: 'ec2:DescribeInstances', target: INSTANCE_ID, outcome: 'observed', detail: `Read the current tags of ${INSTANCE_ID}: no ${TAG_KEY} tag, not protected.` },
    ]);
    describes(instance({ Tags: [{ Key: 'firebreak:gameday-target', Value: 'true' }] }));
    for (const [kind, config] of [['contain', {}], ['release', { protectedTagKey: TAG_KEY }]] as const) {
      expect(await look(kind, true, config)).toEqual({
        verdict: { protected: false },
        reasons: [],
        log: [{ api: 'ec2:DescribeInstances', target: INSTANCE_ID, outcome: 'observed', detail: `Read the current tags of ${INSTANCE_ID}: it is a game-day target.` }],
      });
    }
  });

  it('says why for an instance it cannot describe, one a drill may not change, and a terminated one', async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    const unknown = await look('contain', true, {});
    expect(unknown.verdict).toBe('unverifiable');
    expect(unknown.log).toEqual([{ api: 'ec2:DescribeInstances', target: INSTANCE_ID, outcome: 'observed', detail: unknown.reasons[0] }]);
    expect(unknown.reasons[0]).toContain('its game-day opt-in, cannot be verified');

    describes(instance());
    const drill = await look('contain', true, {});
    expect(drill.verdict).toBe('not-a-target');
    expect(drill.log).toEqual([{ api: 'ec2:DescribeInstances', target: INSTANCE_ID, outcome: 'observed', detail: drill.reasons[0] }]);

    describes(instance({ State: { Name: 'terminated', Code: 48 } }));
    const gone = await look('contain', false, { protectedTagKey: TAG_KEY });
    expect(gone).toEqual({
      verdict: 'terminated',
      reasons: [`Instance ${INSTANCE_ID} is terminated: nothing to contain, so no blast-radius slot is taken.`],
      log: [{ api: 'ec2:DescribeInstances', target: INSTANCE_ID, outcome: 'observed', detail: `Instance ${INSTANCE_ID} is terminated: nothing to contain, so no blast-radius slot is taken.` }],
    });
  });

  it('reads an instance EC2 describes without a state as not terminated', async () => {
    describes(instance({ State: undefined }));
    expect((await look('contain', false, { protectedTagKey: TAG_KEY })).verdict).toEqual({ protected: false });
  });
});
