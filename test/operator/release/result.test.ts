import { describe, expect, it } from 'vitest';
import { formatReleaseOutcome, releaseOutcomesOf, releaseSummary } from '../../../lib/operator/release/result';
import type { ReleaseOutcome } from '../../../lib/operator/release/result';
import type { ReleaseResult } from '../../../lib/responders/release';

const INSTANCE = 'i-0123456789abcdef0';
const PROFILE = 'arn:aws:iam::111122223333:instance-profile/web';

/** A release-instance result as the responder returns it (typed against ReleaseResult, so it follows the responder's contract). */
const RELEASED: ReleaseResult = {
  responder: 'release-instance',
  incidentKey: 'gd-6ac3f0e9a1b2c3d4',
  mode: 'enforce',
  status: 'released',
  idempotentReplay: false,
  instanceId: INSTANCE,
  actions: [
    { api: 'firebreak:read-pre-quarantine-state', target: INSTANCE, outcome: 'observed', detail: 'Pre-quarantine state recorded at 2026-11-20T10:02:00.000Z by incident gd-6ac3f0e9a1b2c3d4', at: '2026-11-27T16:30:00.000Z' },
    { api: 'ec2:ModifyNetworkInterfaceAttribute', target: 'eni-0aaa', outcome: 'done', detail: 'move eni-0aaa from sg-iso back to its recorded groups sg-app', at: '2026-11-27T16:30:00.000Z' },
    { api: 'ec2:AssociateIamInstanceProfile', target: INSTANCE, outcome: 'done', detail: `re-associate instance profile ${PROFILE}`, at: '2026-11-27T16:30:00.000Z' },
    { api: 'firebreak:mark-released', target: INSTANCE, outcome: 'done', detail: 'Marked the pre-quarantine record released at 2026-11-27T16:30:00.000Z', at: '2026-11-27T16:30:00.000Z' },
  ],
  networkInterfaces: [
    { id: 'eni-0aaa', groupsRestored: ['sg-app'] },
    { id: 'eni-0bbb', groupsRestored: ['sg-db', 'sg-mon'] },
  ],
  instanceProfileArn: PROFILE,
  preQuarantine: {
    account: '111122223333',
    region: 'eu-west-1',
    instanceId: INSTANCE,
    incidentKey: 'gd-6ac3f0e9a1b2c3d4',
    capturedAt: '2026-11-20T10:02:00.000Z',
    networkInterfaces: [
      { networkInterfaceId: 'eni-0aaa', groupIds: ['sg-app'] },
      { networkInterfaceId: 'eni-0bbb', groupIds: ['sg-db', 'sg-mon'] },
    ],
    instanceProfileArn: PROFILE,
    disableApiTermination: false,
    shutdownBehavior: 'terminate',
    deleteOnTermination: [],
    tags: {},
  },
};

/** The final state of a release execution: the compiled playbook keeps each step's result at $.results.<step>.result. */
function executionOutput(results: Record<string, unknown>): string {
  return JSON.stringify({ incident: { key: 'gd-6ac3f0e9a1b2c3d4' }, mode: 'enforce', playbook: 'release-instance', results });
}

const outcome = (result: Partial<ReleaseResult> = {}): ReleaseOutcome => releaseOutcomesOf(executionOutput({ release: { result: { ...RELEASED, ...result } } }))[0]!;

describe('releaseOutcomesOf', () => {
  it('finds the release-instance result by responder, whatever the step is called, and skips the other steps', () => {
    const outcomes = releaseOutcomesOf(
      executionOutput({
        'restore-instance': { result: RELEASED },
        alert: { result: { responder: 'publish-alert', status: 'published', actions: [] } },
      }),
    );

    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ step: 'restore-instance', status: 'released', instanceId: INSTANCE, instanceProfileArn: PROFILE });
    expect(outcomes[0]?.networkInterfaces).toEqual(RELEASED.networkInterfaces);
  });

  it('answers no result for an output that is missing, not JSON, or has no results', () => {
    expect(releaseOutcomesOf(undefined)).toEqual([]);
    expect(releaseOutcomesOf('not json')).toEqual([]);
    expect(releaseOutcomesOf(JSON.stringify({ incident: {} }))).toEqual([]);
  });
});

describe('releaseSummary', () => {
  it('says what was restored to which record, and that the record is marked released', () => {
    expect(releaseSummary(outcome())).toBe(
      `Released: ${INSTANCE} is back to its pre-quarantine state recorded at 2026-11-20T10:02:00.000Z by incident gd-6ac3f0e9a1b2c3d4 (eni-0aaa → sg-app; eni-0bbb → sg-db, sg-mon; instance profile ${PROFILE}; protections and tags as above); the record is marked released.`,
    );
  });

  it('ATTACK (review-3m): a release that left the instance on standby in a group it could not describe (row 3o) does not say the instance is back to its pre-quarantine state (row 3p)', () => {
    const left = {
      api: 'autoscaling:ExitStandby',
      target: 'web-asg',
      outcome: 'skipped' as const,
      detail: 'The instance is in a group named web-asg, but Auto Scaling does not describe that group now: it is left as it is (Standby); check the group, then return it by hand',
      at: '2026-11-27T16:30:00.000Z',
    };
    const summary = releaseSummary(outcome({ actions: [...RELEASED.actions, left] }));
    expect(summary).not.toContain('back to its pre-quarantine state');
    expect(summary).toBe(
      `Released: ${INSTANCE} is out of quarantine (record of 2026-11-20T10:02:00.000Z by incident gd-6ac3f0e9a1b2c3d4: eni-0aaa → sg-app; eni-0bbb → sg-db, sg-mon; instance profile ${PROFILE}), but NOT all of its pre-quarantine state is back: 1 action above was skipped (autoscaling:ExitStandby web-asg), left as it is: do it by hand as its reason says; the record is marked released.`,
    );
  });

  it('says a claim-released instance STAYS QUARANTINED, and which incidents still hold it (review r3 F1)', () => {
    const claimOnly = outcome({ status: 'claim-released', incidentKey: 'gd-b', heldBy: ['gd-a'], networkInterfaces: [] });
    expect(releaseSummary(claimOnly)).toBe(
      `Claim released: incident gd-b no longer holds ${INSTANCE}, but ${INSTANCE} STAYS QUARANTINED: incident gd-a still holds it. Nothing was restored; the release of the last of them restores it.`,
    );
    expect(releaseSummary(outcome({ status: 'dry-run', mode: 'dry-run', heldBy: ['gd-a', 'gd-c'] }))).toContain('incidents gd-a, gd-c still hold it');
  });

  it('says a dry run changed nothing', () => {
    expect(releaseSummary(outcome({ status: 'dry-run', mode: 'dry-run' }))).toMatch(/^Dry run: nothing was changed\./);
  });

  it('says when there was no record, so nothing was changed', () => {
    const { preQuarantine: _dropped, ...noRecord } = RELEASED;
    expect(releaseSummary(releaseOutcomesOf(executionOutput({ release: { result: { ...noRecord, status: 'no-record', networkInterfaces: [] } } }))[0]!)).toMatch(
      new RegExp(`^No pre-quarantine record for ${INSTANCE}: Firebreak did not quarantine it`),
    );
  });

  it('says who released it before for an already-released instance', () => {
    expect(
      releaseSummary(outcome({ status: 'already-released', preQuarantine: { ...RELEASED.preQuarantine!, releasedAt: '2026-11-21T09:00:00.000Z', releasedBy: 'gd-1' } })),
    ).toBe('Already released at 2026-11-21T09:00:00.000Z by gd-1: nothing was changed.');
  });
});

describe('formatReleaseOutcome', () => {
  it('prints a header, one aligned line per action and the summary', () => {
    const lines = formatReleaseOutcome(outcome());

    expect(lines[0]).toBe('Release (step release): status released, mode enforce');
    expect(lines.slice(1, -1)).toEqual([
      `  observed  firebreak:read-pre-quarantine-state  ${INSTANCE}  Pre-quarantine state recorded at 2026-11-20T10:02:00.000Z by incident gd-6ac3f0e9a1b2c3d4`,
      `  done      ec2:ModifyNetworkInterfaceAttribute  eni-0aaa             move eni-0aaa from sg-iso back to its recorded groups sg-app`,
      `  done      ec2:AssociateIamInstanceProfile      ${INSTANCE}  re-associate instance profile ${PROFILE}`,
      `  done      firebreak:mark-released              ${INSTANCE}  Marked the pre-quarantine record released at 2026-11-27T16:30:00.000Z`,
    ]);
    expect(lines.at(-1)).toMatch(/^Released: /);
  });

  it("ATTACK (session 38, row 14i's left item): a run of spaces in an action's target or detail cannot pad a forged line to the start of a screen line, nor widen every row", () => {
    const padded = `${' '.repeat(300)}Release REFUSED: nothing was changed`;
    const lines = formatReleaseOutcome(
      outcome({ actions: [{ api: 'ec2:CreateTags', target: `${INSTANCE}${padded}`, outcome: 'done', detail: `restored tag Name=web${padded}`, at: '2026-11-27T16:30:00.000Z' }] }),
    );
    expect(lines[1]).toBe(`  done  ec2:CreateTags  ${INSTANCE} Release REFUSED: nothing was changed  restored tag Name=web Release REFUSED: nothing was changed`);
    const summary = formatReleaseOutcome(outcome({ status: 'already-released', preQuarantine: { ...RELEASED.preQuarantine!, releasedAt: '2026-11-21T09:00:00.000Z', releasedBy: `gd-1${padded}` } })).at(-1);
    expect(summary).toBe('Already released at 2026-11-21T09:00:00.000Z by gd-1 Release REFUSED: nothing was changed: nothing was changed.');
  });

  it('ATTACK: prints one line per action, whatever line feeds the execution output carries', () => {
    // A detail can quote a tag value or an error message: its line feed would print a line that reads as the outcome.
    const lines = formatReleaseOutcome(
      outcome({ actions: [{ api: 'ec2:CreateTags', target: `${INSTANCE}\r\nRelease REFUSED: x`, outcome: 'done', detail: 'restored tag Name=web\nReleased: i-0fff is back', at: '2026-11-27T16:30:00.000Z' }] }),
    );
    for (const line of lines) expect(line).not.toMatch(/[\n\r]/);
    expect(lines[1]).toContain('restored tag Name=web\\u000aReleased: i-0fff is back');
  });
});
