/**
 * Triage throughput per core (`npm run bench`; not a unit test) over the shipped event templates
 * (GuardDuty findings of each family, CloudWatch alarms, attack sequences), round robin, on one
 * thread: the pure part (parse the event into an incident, then decide: playbook, mode, gates), and
 * the whole triage Lambda handler as the dispatcher invokes it (`{ event, receivedAt }`, a fresh copy
 * each time as Lambda delivers it; the routing table read once from the function's environment).
 * Prints decisions per second and the time per decision.
 *
 * Options: TRIAGE_SECONDS (3): how long to measure, after one second of warm-up.
 */
import { resolve } from 'node:path';
import { servedAccountsFromEnvironment } from '../../lib/contracts/security';
import { wallClockMs } from '../../lib/gameday/backend';
import { defaultTemplateDirectories, listTemplates, loadTemplate } from '../../lib/gameday/templates';
import { parseEvent } from '../../lib/incident/parse';
import { loadPlaybookDirectory } from '../../lib/playbooks/loader';
import { routingEnvironment, routingTableFor } from '../../lib/playbooks/routing';
import { triage } from '../../lib/playbooks/triage';
import { silentLogger } from '../../lib/responders/logging';
import { createTriageHandler } from '../../lib/responders/triage-handler';
import { wholeNumberFromEnvironment } from './options';

const SECONDS = wholeNumberFromEnvironment(process.env, 'TRIAGE_SECONDS', 3);
const ROOT = resolve(import.meta.dirname, '../..');

const playbooks = await loadPlaybookDirectory(resolve(ROOT, 'playbooks'));
const routing = routingTableFor(playbooks, { forceDryRun: false });
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

// The Lambda's handler, as deployed: the payload is JSON (a fresh copy per invocation), the routing table in its environment.
const handler = createTriageHandler({ logger: silentLogger, environment: { FIREBREAK_SECURITY_ACCOUNT_ID: account, ...routingEnvironment(routing) } });
const payloads = events.map((event) => JSON.stringify({ event, receivedAt: '2025-01-15T09:00:00.000Z' }));
async function invoke(payload: string): Promise<string> {
  return (await handler(JSON.parse(payload) as unknown)).outcome;
}

async function measure(ms: number, run: (index: number) => string | Promise<string>): Promise<{ decisions: number; elapsedMs: number; cpuMs: number; outcomes: Map<string, number> }> {
  const outcomes = new Map<string, number>();
  const cpu = process.cpuUsage();
  const start = wallClockMs();
  let decisions = 0;
  while (wallClockMs() - start < ms) {
    for (let index = 0; index < events.length; index += 1) {
      const outcome = await run(index);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      decisions += 1;
    }
  }
  const used = process.cpuUsage(cpu);
  return { decisions, elapsedMs: wallClockMs() - start, cpuMs: (used.user + used.system) / 1000, outcomes };
}

console.log(`Triage throughput over ${events.length} shipped event templates, one thread`);
for (const [label, run] of [
  ['pure triage (parse + decide)', (index: number) => decide(events[index])],
  ['the triage Lambda handler (event payload, parse, decide; routing table from its environment)', (index: number) => invoke(payloads[index] as string)],
] as const) {
  await measure(1000, run);
  const { decisions, elapsedMs, cpuMs, outcomes } = await measure(SECONDS * 1000, run);
  console.log(`  ${label}: ${decisions} decisions in ${(elapsedMs / 1000).toFixed(2)} s wall, ${(cpuMs / 1000).toFixed(2)} s CPU`);
  console.log(`    per core: ${((decisions / cpuMs) * 1000).toFixed(0)} decisions/s of CPU (${((cpuMs * 1000) / decisions).toFixed(1)} µs each); wall: ${((decisions / elapsedMs) * 1000).toFixed(0)}/s`);
  console.log(`    outcomes: ${[...outcomes].map(([outcome, count]) => `${outcome} ${count}`).join(', ')}`);
}
