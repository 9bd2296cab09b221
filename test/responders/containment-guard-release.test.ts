/**
 * readReleaseClaims, called directly: what the guard tells the approver of a release about the
 * incidents that hold the instance, and its log lines. Written for the mutants Stryker found
 * surviving there (docs/testing.md).
 */
import { describe, expect, it } from 'vitest';
import { ActionLog } from '../../lib/responders/action-log';
import { MAX_LISTED_RELEASE_CLAIMS, readReleaseClaims } from '../../lib/responders/containment-guard-release';
import type { QuarantineReleaseState, QuarantineReleaseStates } from '../../lib/responders/quarantine-release-state';
import { ACCOUNT, INSTANCE_ID, REGION } from '../support/incidents';

const NOW = new Date('2026-11-20T10:05:00.000Z');
const TARGET = { account: ACCOUNT, region: REGION, instanceId: INSTANCE_ID };

async function read(states: QuarantineReleaseStates) {
  const log = new ActionLog(() => NOW);
  const claims = await readReleaseClaims(states, TARGET, log);
  return { claims, log: log.actions.map(({ api, target, outcome, detail }) => ({ api, target, outcome, detail })) };
}
const holding = (state: Partial<QuarantineReleaseState> | undefined): QuarantineReleaseStates => ({
  releaseStateOf: () => Promise.resolve(state === undefined ? undefined : ({ incidentKey: 'gd-a', released: false, ...state } as QuarantineReleaseState)),
});

describe('readReleaseClaims', () => {
  it('says so when there is no record, or it is already released', async () => {
    expect(await read(holding(undefined))).toEqual({
      claims: { record: 'no-record' },
      log: [{ api: 'dynamodb:GetItem', target: INSTANCE_ID, outcome: 'observed', detail: `Firebreak holds no pre-quarantine record of ${INSTANCE_ID}` }],
    });
    expect(await read(holding({ released: true }))).toEqual({
      claims: { record: 'released' },
      log: [{ api: 'dynamodb:GetItem', target: INSTANCE_ID, outcome: 'observed', detail: `The pre-quarantine record of ${INSTANCE_ID} is already released` }],
    });
  });

  it('lists the incidents that hold the instance, and marks a list it had to cut', async () => {
    expect(await read(holding({ claims: ['gd-a', 'gd-b'] }))).toEqual({
      claims: { record: 'held', claims: ['gd-a', 'gd-b'], claimCount: 2, claimSerial: 0 },
      log: [{ api: 'dynamodb:GetItem', target: INSTANCE_ID, outcome: 'observed', detail: `${INSTANCE_ID} is held quarantined by 2 incident(s): gd-a, gd-b` }],
    });
    const many = Array.from({ length: MAX_LISTED_RELEASE_CLAIMS + 2 }, (_, i) => `gd-${i}`);
    const cut = await read(holding({ claims: many }));
    expect(cut.claims).toEqual({ record: 'held', claims: many.slice(0, MAX_LISTED_RELEASE_CLAIMS), claimCount: MAX_LISTED_RELEASE_CLAIMS + 2, claimSerial: 0 });
    expect(cut.log[0]!.detail).toBe(`${INSTANCE_ID} is held quarantined by 12 incident(s): ${many.slice(0, MAX_LISTED_RELEASE_CLAIMS).join(', ')}, ...`);
  });

  it('cuts each incident key it keeps to 128 characters', async () => {
    const long = `gd-${'x'.repeat(200)}`;
    const { claims } = await read(holding({ claims: [long] }));
    expect(claims).toEqual({ record: 'held', claims: [long.slice(0, 128)], claimCount: 1, claimSerial: 0 });
  });

  it('keeps the capture and claim serial read with the claims (absent serial: 0), for the grant to bind', async () => {
    const { claims, log } = await read(holding({ claims: ['gd-a'], capturedAt: '2026-11-20T10:02:00.000Z', claimSerial: 4 }));
    expect(claims).toEqual({ record: 'held', claims: ['gd-a'], claimCount: 1, capturedAt: '2026-11-20T10:02:00.000Z', claimSerial: 4 });
    expect(log[0]!.detail).toBe(`${INSTANCE_ID} is held quarantined by 1 incident(s): gd-a (capture of 2026-11-20T10:02:00.000Z, claim serial 4)`);
  });

  it('says it could not read them, with a reason of at most 300 characters', async () => {
    const failing: QuarantineReleaseStates = { releaseStateOf: () => Promise.reject(Object.assign(new Error('x'.repeat(400)), { name: 'ProvisionedThroughputExceededException' })) };
    const { claims, log } = await read(failing);
    const reason = `ProvisionedThroughputExceededException: ${'x'.repeat(400)}`.slice(0, 300);
    expect(claims).toEqual({ record: 'unreadable', reason });
    expect(log).toEqual([
      { api: 'dynamodb:GetItem', target: INSTANCE_ID, outcome: 'skipped', detail: `Could not read which incidents hold ${INSTANCE_ID} (${reason}): the approval request cannot say whether this release restores it` },
    ]);
  });
});
