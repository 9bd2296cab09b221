/**
 * Every shipped scenario, rehearsed again in a dry-run deployment (CDK context forceDryRun): the
 * rail holds where the action happens, so whatever the scenario's events, approvals and releases
 * lead the playbooks to do, the account ends as it began: the scenario's instances, groups,
 * interfaces, volumes and snapshots, its instance roles' policies, IAM users' keys and roles, S3
 * objects, Auto Scaling and load balancer membership, and the DNS Firewall. Only the scenarios in
 * which someone other than Firebreak changes the account (an attacker's `tamper:` injection, an
 * Auto Scaling group ending a launch hook's wait) are left out, and so are those already in dry-run. The operator's own requests (`release:`,
 * `releaseObject:`, `releaseCredentials:`, `unblockDns:`) are left out of each run: in dry-run
 * nothing was quarantined or tagged, so `firebreak release` has no incident to start from and
 * refuses before any playbook runs (ReleaseSetupError: no firebreak:incident tag).
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AccountInspection } from '../../lib/gameday/backend';
import { runScenario } from '../../lib/gameday/runner';
import { loadScenarioDirectory } from '../../lib/gameday/scenario-loader';
import { defaultTemplateDirectories, listTemplates } from '../../lib/gameday/templates';
import { loadPlaybookDirectory } from '../../lib/playbooks/loader';

const ROOT = resolve(import.meta.dirname, '../..');
const playbooks = await loadPlaybookDirectory(resolve(ROOT, 'playbooks'));
const templates = [...(await listTemplates(defaultTemplateDirectories(ROOT))).keys()];
const scenarios = await loadScenarioDirectory(resolve(ROOT, 'playbooks/scenarios'), { playbooks, templates });

/** What a responder could change in the account, as the inspection reads it. */
function accountState(inspection: AccountInspection | undefined): unknown {
  if (!inspection) return undefined;
  const { digest, fleet, dnsFirewall, instances } = inspection as AccountInspection & { fleet?: unknown; dnsFirewall?: unknown };
  return { digest, fleet, dnsFirewall, instances };
}

describe('dry-run parity', () => {
  const candidates = scenarios.filter(
    (scenario) =>
      scenario.pending === undefined &&
      scenario.settings.mode !== 'dry-run' &&
      !scenario.settings.forceDryRun &&
      !scenario.inject.some((injection) => injection.tamper !== undefined) &&
      // A launch hook's wait that times out changes the account on its own (the group terminates or
      // puts in service the instance it holds): a dry-run sends no heartbeat, so the account cannot
      // end as it began (asg-pending-wait-*, security.md row 3q).
      !Object.values(scenario.environment.autoScalingGroups).some((group) => group.pendingWait.length > 0),
  );

  it('covers the shipped scenarios', () => {
    expect(candidates.length).toBeGreaterThan(80);
  });

  for (const scenario of candidates) {
    it(`${scenario.name}: in a dry-run deployment the account ends as it began`, async () => {
      const inject = scenario.inject.filter(
        (injection) => injection.release === undefined && injection.releaseObject === undefined && injection.releaseCredentials === undefined && injection.unblockDns === undefined,
      );
      const run = await runScenario({ ...scenario, inject, settings: { ...scenario.settings, forceDryRun: true } }, { playbooks });
      expect(run.error).toBeUndefined();
      expect(accountState(run.after)).toEqual(accountState(run.before));
    });
  }
});
