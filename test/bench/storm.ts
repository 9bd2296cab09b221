/**
 * Finding storm through the local engine (`npm run bench`; not a unit test): 10,000 GuardDuty
 * findings over 1,000 instances — each instance's finding delivered 10 times, shuffled, many at
 * once, as EventBridge's at-least-once delivery and GuardDuty's repeats can produce — must give
 * exactly 1,000 playbook runs, none lost: every delivery dispatched, every instance isolated once,
 * one alert each. Prints wall time, throughput and peak memory.
 *
 * Options: STORM_INSTANCES (1000), STORM_COPIES (10), STORM_CONCURRENCY (200).
 */
import { resolve } from 'node:path';
import { resourceUsage } from 'node:process';
import { wallClockMs } from '../../lib/gameday/backend';
import { definitionsFor } from '../../lib/gameday/definitions';
import type { ExecutionRecord } from '../../lib/gameday/engine';
import { LocalEngine } from '../../lib/gameday/engine';
import { LocalBackend } from '../../lib/gameday/local-backend';
import { environmentSchema, settingsSchema } from '../../lib/gameday/scenario';
import { aimEventAt, loadTemplate, setPath } from '../../lib/gameday/templates';
import { loadPlaybookDirectory } from '../../lib/playbooks/loader';

const INSTANCES = Number(process.env.STORM_INSTANCES ?? 1000);
const COPIES = Number(process.env.STORM_COPIES ?? 10);
const CONCURRENCY = Number(process.env.STORM_CONCURRENCY ?? 200);
const ROOT = resolve(import.meta.dirname, '../..');

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 50);

// The deployment's defaults, rails included: past the blast-radius limit (5 containments an hour)
// each incident waits for approval, and the bench's on-call engineer approves every request, so
// every instance ends contained and the approval path is part of the measurement.
const settings = settingsSchema.parse({});
let approvals = 0;
const playbooks = await loadPlaybookDirectory(resolve(ROOT, 'playbooks'));
const definitions = await definitionsFor(settings, playbooks);

const setupStart = wallClockMs();
const backend = new LocalBackend({ seed: 'storm' });
const instances = Object.fromEntries(Array.from({ length: INSTANCES }, (_, index) => [`web-${index}`, { enis: [{ groups: ['web-tier'] }] }]));
const environment = await backend.prepare(
  environmentSchema.parse({ vpcs: { prod: { cidr: '10.0.0.0/16', subnet: '10.0.0.0/20' } }, securityGroups: { 'web-tier': {} }, instances }),
  settings,
);
const template = await loadTemplate('guardduty-ec2-backdoor-c2activity-multi-eni');
const findings = Object.values(environment.instances).map((instance, index) => {
  const event = aimEventAt(template, instance);
  // One finding per instance: its own GuardDuty id, so its own incident key and execution name.
  setPath(event, 'detail.id', index.toString(16).padStart(32, '0'));
  return event;
});
// Every finding COPIES times, shuffled deterministically (a fixed-seed LCG), so duplicates race.
const deliveries: Record<string, unknown>[] = findings.flatMap((event) => Array.from({ length: COPIES }, () => event));
let seed = 42;
for (let index = deliveries.length - 1; index > 0; index -= 1) {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  const other = seed % (index + 1);
  [deliveries[index], deliveries[other]] = [deliveries[other] as Record<string, unknown>, deliveries[index] as Record<string, unknown>];
}
const setupMs = wallClockMs() - setupStart;

const ended = { dispatcher: 0, dispatcherFailed: 0, playbook: 0, playbookFailed: 0, duplicates: 0 };
const onExecutionEnd = (record: ExecutionRecord) => {
  if (record.kind === 'dispatcher') {
    ended.dispatcher += 1;
    if (record.status !== 'SUCCEEDED') ended.dispatcherFailed += 1;
    if (record.path.includes('DuplicateDelivery')) ended.duplicates += 1;
  } else {
    ended.playbook += 1;
    if (record.status !== 'SUCCEEDED') ended.playbookFailed += 1;
  }
};
const engine = new LocalEngine({
  backend,
  definitions,
  environment,
  settings,
  recordEvents: false,
  retainExecutions: false,
  onExecutionEnd,
  approvals: () => {
    approvals += 1;
    return { answer: 'approve', by: 'storm-bench' };
  },
});

const start = wallClockMs();
const cpuStart = process.cpuUsage();
let next = 0;
const workers = Array.from({ length: CONCURRENCY }, async () => {
  while (next < deliveries.length) {
    const event = deliveries[next];
    next += 1;
    await engine.deliver(event);
  }
});
await Promise.all(workers);
await engine.settle();
const wallMs = wallClockMs() - start;
const cpu = process.cpuUsage(cpuStart);
const cpuMs = (cpu.user + cpu.system) / 1000;
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage().rss, resourceUsage().maxRSS * 1024);

const after = await backend.inspect();
const isolated = Object.values(environment.instances).filter((instance) => {
  const state = after.instances[instance.instanceId];
  return state?.networkInterfaces.every((eni) => eni.groupIds.length === 1 && after.groupNames[eni.groupIds[0] as string] === 'firebreak-isolation');
}).length;
const calls = backend.callLog().length;

const checks = [
  [`every delivery dispatched (${deliveries.length})`, ended.dispatcher === deliveries.length && ended.dispatcherFailed === 0],
  [`exactly ${INSTANCES} playbook runs`, ended.playbook === INSTANCES && ended.playbookFailed === 0],
  [`${deliveries.length - INSTANCES} duplicates refused by execution name`, ended.duplicates === deliveries.length - INSTANCES],
  [`every instance isolated (${INSTANCES})`, isolated === INSTANCES],
  // One report per incident, plus one approval request per incident held back by the blast radius.
  [`one report per incident (${INSTANCES}) and one approval request each past the limit (${approvals})`, after.alerts.length === INSTANCES + approvals],
] as const;

console.log(`Finding storm: ${deliveries.length} deliveries (${INSTANCES} instances × ${COPIES}), ${CONCURRENCY} in flight, local engine`);
console.log(`  setup (environment, events): ${(setupMs / 1000).toFixed(2)} s`);
console.log(`  wall time:   ${(wallMs / 1000).toFixed(2)} s (CPU ${(cpuMs / 1000).toFixed(2)} s: on a shared machine CPU time is the steadier figure)`);
console.log(`  throughput:  ${((deliveries.length / wallMs) * 1000).toFixed(0)} findings/s, ${((INSTANCES / wallMs) * 1000).toFixed(1)} playbook runs/s`);
console.log(`  AWS calls:   ${calls} (${((calls / wallMs) * 1000).toFixed(0)}/s)`);
console.log(`  peak memory: ${(peakRss / 1024 / 1024).toFixed(0)} MiB RSS`);
console.log(`  playbook runs: ${ended.playbook} (${ended.playbookFailed} failed), duplicates: ${ended.duplicates}, dispatcher executions: ${ended.dispatcher} (${ended.dispatcherFailed} failed)`);
console.log(`  approvals asked past the blast-radius limit (all granted): ${approvals}`);
for (const [what, ok] of checks) console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`);
process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
