/**
 * Triage throughput per core (`npm run bench`; not a unit test): the pure part of the triage Lambda
 * (parse the event into an incident, then decide: playbook, mode, gates) over the shipped event
 * templates (GuardDuty findings of each family, CloudWatch alarms, attack sequences), round robin,
 * on one thread. Prints decisions per second and the time per decision.
 *
 * Options: TRIAGE_SECONDS (3): how long to measure, after one second of warm-up.
 */
import { resolve } from 'node:path';
import { servedAccountsFromEnvironment } from '../../lib/contracts/security';
import { wallClockMs } from '../../lib/gameday/backend';
import { defaultTemplateDirectories, listTemplates, loadTemplate } from '../../lib/gameday/templates';
import { parseEvent } from '../../lib/incident/parse';
import { loadPlaybookDirectory } from '../../lib/playbooks/loader';
import { routingTableFor } from '../../lib/playbooks/routing';
import { triage } from '../../lib/playbooks/triage';

const SECONDS = Number(process.env.TRIAGE_SECONDS ?? 3);
const ROOT = resolve(import.meta.dirname, '../..');

const playbooks = await loadPlaybookDirectory(resolve(ROOT, 'playbooks'));
const arns = Object.fromEntries(playbooks.map((playbook) => [playbook.name, `arn:aws:states:us-east-1:111122223333:stateMachine:Firebreak-${playbook.name}`]));
const routing = routingTableFor(playbooks, arns, { forceDryRun: false });
const directories = defaultTemplateDirectories(ROOT);
const events = await Promise.all([...(await listTemplates(directories)).keys()].map((name) => loadTemplate(name, directories)));
// The templates' own account is the security account, as in a single-account deployment.
const account = String((events[0] as { account?: unknown } | undefined)?.account ?? '111122223333');
const deployment = { servedAccounts: servedAccountsFromEnvironment({ FIREBREAK_SECURITY_ACCOUNT_ID: account }) };

function decide(event: unknown) {
  try {
    return triage(parseEvent(event), routing, deployment).outcome;
  } catch {
    return 'invalid';
  }
}

function measure(ms: number): { decisions: number; elapsedMs: number; cpuMs: number; outcomes: Map<string, number> } {
  const outcomes = new Map<string, number>();
  const cpu = process.cpuUsage();
  const start = wallClockMs();
  let decisions = 0;
  while (wallClockMs() - start < ms) {
    for (const event of events) {
      const outcome = decide(event);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      decisions += 1;
    }
  }
  const used = process.cpuUsage(cpu);
  return { decisions, elapsedMs: wallClockMs() - start, cpuMs: (used.user + used.system) / 1000, outcomes };
}

measure(1000);
const { decisions, elapsedMs, cpuMs, outcomes } = measure(SECONDS * 1000);
console.log(`Triage throughput: pure triage (parse + decide) over ${events.length} shipped event templates, one thread`);
console.log(`  ${decisions} decisions in ${(elapsedMs / 1000).toFixed(2)} s wall, ${(cpuMs / 1000).toFixed(2)} s CPU`);
console.log(`  per core: ${((decisions / cpuMs) * 1000).toFixed(0)} decisions/s of CPU (${((cpuMs * 1000) / decisions).toFixed(1)} µs each); wall: ${((decisions / elapsedMs) * 1000).toFixed(0)}/s`);
console.log(`  outcomes: ${[...outcomes].map(([outcome, count]) => `${outcome} ${count}`).join(', ')}`);
