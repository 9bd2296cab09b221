/**
 * The one alert of an IAM attack sequence: what happened to each credential (the
 * contain-each-credential step's per-credential executions), refusals named with their reasons,
 * credentials that got no execution, within the alert's byte budget.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseEvent } from '../../lib/incident/parse';
import { buildAlertMessage } from '../../lib/responders/alert-message';
import { alertInputSchema, MAX_MESSAGE_BYTES } from '../../lib/responders/alert-model';
import { credentialHeld, describeCredentialOutcome, perCredentialOutcomes, sectionCredentials } from '../../lib/responders/alert-credentials';
import { PER_CREDENTIAL_ACTION } from '../../lib/playbooks/fan-out-names';
import { RENAMED_USER_ACTION } from '../../lib/responders/model';

const raw = JSON.parse(readFileSync('playbooks/events/guardduty-attack-sequence-iam-compromised-credentials.json', 'utf8')) as unknown;
const incident = parseEvent(raw, { receivedAt: new Date('2026-03-19T12:00:00Z') });
const EXECUTION = 'arn:aws:states:eu-west-1:111122223333:execution:Firebreak-iam-credentials-attack-sequence-credential';
const KEY = 'AKIAQ3EGRW6JSEXAMPLE';
const keyTarget = { credential: 'access-key', id: KEY, userName: 'ci-deployer', account: '111122223333', region: 'eu-west-1', subject: `access-key/111122223333/${KEY}`, executionName: `${incident.key}-${KEY}-5f0c2a9e7b13` };
const roleTarget = { credential: 'iam-role', id: 'ci-deploy-role', account: '111122223333', region: 'eu-west-1', subject: 'iam-role/111122223333/ci-deploy-role', executionName: `${incident.key}-role-9d18398935ea-5f0c2a9e7b13` };
const guardProceeds = { Guard: { result: { responder: 'containment-guard', status: 'proceed', reasons: ['Blast radius: containment 1 of 5.'] } } };

const cutOffKey = {
  target: keyTarget,
  executionName: keyTarget.executionName,
  executionArn: `${EXECUTION}:${keyTarget.executionName}`,
  status: 'SUCCEEDED',
  guard: 'proceed',
  reasons: ['Blast radius: containment 1 of 5.'],
  results: {
    ...guardProceeds,
    'disable-key': { result: { responder: 'disable-access-key', status: 'disabled', keys: [{ accessKeyId: KEY, account: '111122223333', userName: 'ci-deployer', outcome: 'disabled', previousStatus: 'Active', denyAll: 'attached' }], actions: [] } },
    'revoke-sessions': { result: { responder: 'revoke-role-sessions', status: 'no-role', roles: [], actions: [] } },
  },
};
const protectedRole = {
  target: roleTarget,
  executionName: roleTarget.executionName,
  executionArn: `${EXECUTION}:${roleTarget.executionName}`,
  status: 'SUCCEEDED',
  guard: 'proceed',
  reasons: ['Blast radius: containment 2 of 5.'],
  results: {
    ...guardProceeds,
    'disable-key': { result: { responder: 'disable-access-key', status: 'no-key', keys: [], actions: [] } },
    'revoke-sessions': {
      result: { responder: 'revoke-role-sessions', status: 'refused', roles: [{ roleName: 'ci-deploy-role', account: '111122223333', sessions: ['deploy-bot'], outcome: 'refused', reason: 'role ci-deploy-role carries the protected tag key firebreak:protected in IAM now: never contained automatically' }], actions: [] },
    },
  },
};
const breakGlass = {
  target: { ...keyTarget, id: 'AKIAQ3EGRW6JBREAKGLS', userName: 'break-glass-ops', executionName: 'x' },
  executionName: 'x',
  status: 'SUCCEEDED',
  guard: 'evidence-only',
  reasons: ['The access key AKIAQ3EGRW6JBREAKGLS of user break-glass-ops is protected: user break-glass-ops matches the privileged name pattern *break-glass* (administrator or break-glass).'],
  results: { Guard: { result: { responder: 'containment-guard', status: 'evidence-only' } } },
};

function alertFor(credentials: unknown[]) {
  return buildAlertMessage(
    alertInputSchema.parse({
      kind: 'report',
      incident,
      mode: 'enforce',
      playbook: 'iam-credentials-attack-sequence',
      results: { 'cut-off-each': { responder: PER_CREDENTIAL_ACTION, status: 'done', playbook: 'iam-credentials-attack-sequence-credential', credentials, actions: [] } },
    }),
    { now: new Date('2026-03-19T12:05:00Z') },
  );
}

describe('the alert of an IAM attack sequence', () => {
  it('tells the story, then what happened to each credential, each refusal with its reason', () => {
    const { message } = alertFor([cutOffKey, protectedRole, breakGlass, { target: keyTarget, executionName: 'y', status: 'ALREADY_STARTED' }]);
    expect(message).toContain('ATTACK SEQUENCE');
    expect(message).toContain('CREDENTIALS (4 per-credential execution(s), each cleared by its own containment guard)');
    expect(message).toContain(`access key ${KEY} of user ci-deployer (account 111122223333): CUT OFF: set Inactive (never deleted); AWSDenyAll attached to the user`);
    expect(message).toContain('role ci-deploy-role (every session issued so far) (account 111122223333): NOT cut off, refused: role ci-deploy-role carries the protected tag key firebreak:protected');
    expect(message).toContain('access key AKIAQ3EGRW6JBREAKGLS of user break-glass-ops (account 111122223333): NOT cut off, refused by its containment guard: The access key AKIAQ3EGRW6JBREAKGLS of user break-glass-ops is protected');
    expect(message).toContain('already handled by another run of this revision of the incident');
    expect(message).toContain(`#/v2/executions/details/${EXECUTION}:${keyTarget.executionName}`);
    // The partner role of an unserved account got no execution: named, never silently dropped.
    expect(message).toContain('role partner-deploy-role (every session issued so far) (account 999988887777): NOT cut off by Firebreak, no execution started');
    expect(message).toContain('2 credential(s) of this incident were NOT cut off automatically (see CREDENTIALS');
    expect(message).toContain('Check CREDENTIALS above: cut off by hand every credential Firebreak did not');
    // The account note under the links speaks of the credential, not of an instance it does not have.
    expect(message).toContain('(The credential is in account 111122223333; the execution is in the account Firebreak runs in.)');
    expect(message).not.toContain('snapshots');
  });

  it('says what another run of the revision did to a credential, read again, and holds it unless it cut it off', () => {
    const earlierRun = (status: string, extra: Record<string, unknown> = {}) => ({ target: keyTarget, executionName: keyTarget.executionName, status: 'ALREADY_STARTED', earlier: { status, ...extra } });
    const cutOff = earlierRun('SUCCEEDED', { guard: 'proceed', reasons: cutOffKey.reasons, results: cutOffKey.results });
    expect(describeCredentialOutcome(cutOff as never)).toBe(
      // tried (sequence-revision): the incident to look up is the child's key, not the per-revision
      // execution name (`firebreak incident` finds no incident by that name; row 1zj).
      `handled by another run of this revision of the incident, not started again: CUT OFF: set Inactive (never deleted); AWSDenyAll attached to the user (as that run left it) (firebreak incident ${incident.key}-${KEY})`,
    );
    expect(credentialHeld(cutOff as never)).toBe(false);
    const waiting = earlierRun('RUNNING');
    expect(describeCredentialOutcome(waiting as never)).toContain('not started again: its execution is still RUNNING (waiting for an approval or a retry): NOT cut off yet');
    expect(credentialHeld(waiting as never)).toBe(true);
    expect(credentialHeld(earlierRun('FAILED') as never)).toBe(true);
    // Not read again (the read failed): the name alone, and not held (that revision's alert said).
    expect(credentialHeld({ target: keyTarget, executionName: 'y', status: 'ALREADY_STARTED' } as never)).toBe(false);
  });

  it('counts as held every credential not cut off (refused, failed, awaiting approval), never one cut off or handled before', () => {
    const outcomes = perCredentialOutcomes([{ stepId: 'cut-off-each', result: { responder: PER_CREDENTIAL_ACTION, status: 'done', credentials: [cutOffKey, protectedRole, breakGlass], actions: [] } } as never])!;
    expect(outcomes.map(credentialHeld)).toEqual([false, true, true]);
    expect(credentialHeld({ target: keyTarget, status: 'ALREADY_STARTED' } as never)).toBe(false);
    expect(credentialHeld({ target: keyTarget, status: 'FAILED', error: 'States.Timeout' } as never)).toBe(true);
    expect(credentialHeld({ ...cutOffKey, guard: 'needs-approval' } as never)).toBe(true);
    expect(describeCredentialOutcome({ ...cutOffKey, guard: 'needs-approval' } as never)).toContain('a person was asked to approve');
  });

  it('counts its credentials by kind in the subject, a role once however many of its sessions it names', () => {
    expect(alertFor([cutOffKey]).subject).toContain(' on 1 access key and 2 roles - ');
    const keysOnly = { ...incident, affected: incident.affected?.filter((resource) => resource.kind === 'access-key' && resource.userType === 'IAMUser') };
    const oneKey = buildAlertMessage(alertInputSchema.parse({ kind: 'report', incident: keysOnly, mode: 'enforce', playbook: 'iam-credentials-attack-sequence' }), { now: new Date('2026-03-19T12:05:00Z') });
    expect(oneKey.subject).toContain(` on ${KEY} - `);
  });

  it('is empty for a playbook without the step, and skips an item it cannot read', () => {
    expect(sectionCredentials(incident, [])).toEqual([]);
    const { message } = alertFor([cutOffKey, { nonsense: true }]);
    expect(message).toContain('CREDENTIALS (1 per-credential execution(s)');
  });

  it('stays within the alert budget with many credentials and long reasons', () => {
    const many = Array.from({ length: 40 }, (_, index) => ({ ...breakGlass, target: { ...breakGlass.target, id: `AKIAQ3EGRW6J${index.toString().padStart(8, '0')}` }, reasons: ['x'.repeat(900)] }));
    const { message } = alertFor(many);
    expect(Buffer.byteLength(message, 'utf8')).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    expect(message).toContain('... and 20 more');
  });
});

// Review renamed-user: the user whose key GuardDuty saw was renamed since (iam:UpdateUser with that
// key); the guard and disable-access-key followed the key to the new name. The alert says so, with
// both names, wherever the step ran.
describe('the alert of a user renamed since the finding', () => {
  const renamed = `The finding names user ci-deployer, unknown to IAM in account 111122223333; access key ${KEY} is user svc-metrics's now (GetAccessKeyLastUsed, ListAccessKeys): renamed since the finding (a strong sign of an attacker, who may call iam:UpdateUser with the key), or a forged finding's name`;
  const at = '2026-03-19T12:01:00.000Z';

  it("warns, once, naming both names, when the playbook's own steps followed the key", () => {
    const { message } = buildAlertMessage(
      alertInputSchema.parse({
        kind: 'report',
        incident,
        mode: 'enforce',
        playbook: 'iam-user-key-compromise',
        results: {
          Guard: { responder: 'containment-guard', status: 'proceed', reasons: [], actions: [{ api: RENAMED_USER_ACTION, target: 'ci-deployer', outcome: 'observed', detail: `${renamed}: its containment is checked under its current name svc-metrics`, at }] },
          'disable-key': {
            responder: 'disable-access-key',
            status: 'disabled',
            keys: [{ accessKeyId: KEY, account: '111122223333', userName: 'svc-metrics', renamedFrom: 'ci-deployer', outcome: 'disabled', previousStatus: 'Active', reason: renamed }],
            actions: [
              { api: RENAMED_USER_ACTION, target: 'ci-deployer', outcome: 'observed', detail: `${renamed}: acted on under its current name svc-metrics`, at },
              { api: 'iam:UpdateAccessKey', target: KEY, outcome: 'done', detail: `Set access key ${KEY} of user svc-metrics Inactive`, at },
            ],
          },
        },
      }),
      { now: new Date('2026-03-19T12:05:00Z') },
    );
    expect(message).toContain(`WARNING: ${renamed}: its containment is checked under its current name svc-metrics. Find out from CloudTrail (iam:UpdateUser) whether and by whom the user was renamed`);
    expect(message.split('WARNING: The finding names user ci-deployer, unknown to IAM')).toHaveLength(2);
  });

  it('says it on the credential cut off by a per-credential execution', () => {
    const key = { ...cutOffKey, results: { ...cutOffKey.results, 'disable-key': { result: { responder: 'disable-access-key', status: 'disabled', keys: [{ accessKeyId: KEY, account: '111122223333', userName: 'svc-metrics', renamedFrom: 'ci-deployer', outcome: 'disabled', previousStatus: 'Active', reason: renamed }], actions: [] } } } };
    expect(alertFor([key]).message).toContain(`CUT OFF: set Inactive (never deleted): ${renamed}`);
  });
});
