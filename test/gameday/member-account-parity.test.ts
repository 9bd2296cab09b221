/**
 * Every shipped scenario, rehearsed again as the usual deployment (Firebreak in the security
 * account, the environment in a member account reached through the member-account roles): the
 * member-account roles must allow whatever the security account's responder roles allow. A call
 * denied in the member account that the single-account run was not denied is a grant missing from
 * the member-role template, which a single-account game day cannot see and a first real incident
 * in a member account would.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GameDayCall } from '../../lib/gameday/backend';
import { runScenario } from '../../lib/gameday/runner';
import type { Scenario } from '../../lib/gameday/scenario';
import { loadScenarioDirectory } from '../../lib/gameday/scenario-loader';
import { defaultTemplateDirectories, listTemplates } from '../../lib/gameday/templates';
import { loadPlaybookDirectory } from '../../lib/playbooks/loader';

const ROOT = resolve(import.meta.dirname, '../..');
const playbooks = await loadPlaybookDirectory(resolve(ROOT, 'playbooks'));
const templates = [...(await listTemplates(defaultTemplateDirectories(ROOT))).keys()];
const scenarios = await loadScenarioDirectory(resolve(ROOT, 'playbooks/scenarios'), { playbooks, templates });
const SECURITY = '111122223333';
const MEMBER = '444455556666';
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthorizationError']);

/** The scenario as a member account's: same environment, same events, Firebreak in the security account. */
function inMemberAccount(scenario: Scenario): Scenario {
  return { ...scenario, settings: { ...scenario.settings, securityAccount: SECURITY }, environment: { ...scenario.environment, account: MEMBER } };
}

/** The denied calls of a run, by API (an AssumeRole refused outside the organization is the organization's rail, not a missing grant). */
function denials(calls: readonly GameDayCall[]): Set<string> {
  return new Set(
    calls
      .filter((call) => call.outcome === 'error' && DENIED.has(call.errorCode ?? ''))
      .filter((call) => !(call.api === 'sts:AssumeRole' && !String(call.input.RoleArn).includes(`::${MEMBER}:`)))
      .map((call) => call.api),
  );
}

describe('member-account parity', () => {
  // A bucket policy names principals of the account it was written for (the security account's
  // function roles in its exception): moved to a member account it would deny Firebreak's member
  // roles, as it would in AWS. Its member-account version is its own scenario
  // (member-account-s3-object-unreadable-under-bucket-policy, the exception naming the member roles).
  // So does a quarantine bucket's policy (the roles it admits by name): its member-account version is
  // member-account-s3-object-copied-to-quarantine-bucket.
  const candidates = scenarios.filter(
    (scenario) =>
      scenario.pending === undefined &&
      scenario.settings.securityAccount === undefined &&
      scenario.environment.account === SECURITY &&
      !Object.values(scenario.environment.s3Objects).some((object) => object.bucketPolicy !== undefined) &&
      scenario.settings.quarantineBucket?.bucketPolicy === undefined,
  );

  it('covers the shipped single-account scenarios', () => {
    expect(candidates.length).toBeGreaterThan(80);
  });

  for (const scenario of candidates) {
    it(`${scenario.name}: the member-account roles are denied nothing the security account's roles were allowed`, async () => {
      const single = await runScenario(scenario, { playbooks });
      const member = await runScenario(inMemberAccount(scenario), { playbooks });
      expect(member.error).toBeUndefined();
      const missing = [...denials(member.calls)].filter((api) => !denials(single.calls).has(api));
      expect(missing).toEqual([]);
    });
  }
});
