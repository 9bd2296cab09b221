/**
 * Predicted time to containment per shipped playbook (`npm run bench`; not a unit test): one
 * representative shipped scenario per playbook, run on the local engine with its calls traced, then
 * timed with the shipped latency model (lib/gameday/latency/model.json) over seeded runs: p50 and
 * p99 from the finding's delivery on EventBridge to the last call that contained something (an ENI
 * in the isolation group, an access key deactivated, a role's older sessions revoked, an object
 * tagged infected: lib/gameday/timeline.ts containedBy), or, for a playbook that contains nothing,
 * to the end of its last execution. A per-resource child playbook (started by its parent's
 * contain-each-* step) is timed by its parent's scenario: the finding reaches the parent first.
 * Cold starts everywhere: the first incident after a quiet period.
 *
 * Options: LATENCY_RUNS (500).
 */
import { resolve } from 'node:path';
import { loadLatencyModel } from '../../lib/gameday/latency/model';
import { runScenario } from '../../lib/gameday/runner';
import { loadScenarioDirectory } from '../../lib/gameday/scenario-loader';
import { defaultTemplateDirectories, listTemplates } from '../../lib/gameday/templates';
import { loadPlaybookDirectory } from '../../lib/playbooks/loader';
import { isAutomatic } from '../../lib/playbooks/model';
import { wholeNumberFromEnvironment } from './options';

const RUNS = wholeNumberFromEnvironment(process.env, 'LATENCY_RUNS', 500);
const ROOT = resolve(import.meta.dirname, '../..');

/** The scenario that shows each playbook's usual path (others: their first scenario). */
const REPRESENTATIVE: Readonly<Record<string, string>> = {
  'attack-sequence-ec2': 'attack-sequence-three-instances-one-protected',
  'compromised-ec2-instance': 'compromised-instance-multi-eni',
  'cloudwatch-instance-alarm': 'cpu-alarm-snapshots-only',
  'default-alert': 's3-exfiltration-default-alert',
  'ec2-reconnaissance': 'port-probe-unprotected-port',
  'iam-credentials-attack-sequence': 'iam-attack-sequence-cuts-off-credentials',
  'iam-user-key-compromise': 'iam-user-key-disabled',
  'instance-credential-exfiltration': 'credential-exfiltration-revokes-sessions',
  'release-instance': 'quarantine-then-release',
  // Before session 33 the first scenario of the playbook by name, a drill whose release is refused.
  'release-credentials': 'iam-user-key-disabled-then-released',
  's3-object-with-threats': 's3-object-with-threats-tagged-and-copied',
  'ssh-rdp-brute-force-source': 'ssh-brute-force-from-instance',
  'ssh-rdp-brute-force-target': 'ssh-brute-force-against-instance',
};

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const model = await loadLatencyModel();
const playbooks = await loadPlaybookDirectory(resolve(ROOT, 'playbooks'));
const templates = [...(await listTemplates(defaultTemplateDirectories(ROOT))).keys()];
const scenarios = await loadScenarioDirectory(resolve(ROOT, 'playbooks/scenarios'), { playbooks, templates });

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
console.log(`Predicted time to containment per shipped playbook (shipped latency model, ${RUNS} seeded runs each, cold starts)`);
/** The playbook whose contain-each-* step starts `child`, if one does. */
const parentOf = (child: string) => playbooks.find((candidate) => candidate.steps.some((step) => 'action' in step && step.action.startsWith('contain-each-') && step.with.playbook === child));
const representative = (name: string) =>
  scenarios.find((candidate) => candidate.name === REPRESENTATIVE[name]) ?? scenarios.find((candidate) => candidate.playbook === name && candidate.pending === undefined);

for (const playbook of playbooks) {
  const parent = parentOf(playbook.name);
  const scenario = representative(playbook.name) ?? (parent ? representative(parent.name) : undefined);
  const through = parent && scenario?.playbook === parent.name ? `, started by ${parent.name}` : '';
  if (!scenario) {
    console.log(`  ${playbook.name.padEnd(34)} no shipped scenario runs it`);
    continue;
  }
  const run = await runScenario(scenario, { playbooks, latency: { model, runs: RUNS } });
  const prediction = run.latency;
  if (!run.passed || !prediction) {
    console.log(`  ${playbook.name.padEnd(34)} ${scenario.name}: the scenario did not pass (${run.error ?? 'an expectation failed'}), no prediction`);
    continue;
  }
  const colds = prediction.criticalPath.filter((hop) => hop.kind === 'cold-start').length;
  const hops = `${prediction.criticalPath.length} hops on the critical path, ${colds} cold start(s)${through}`;
  if (!isAutomatic(playbook) && !parent) {
    // A person starts it (release); its scenario quarantines first, so containment is not this playbook's figure.
    console.log(`  ${playbook.name.padEnd(34)} started by a person, not by a finding: its scenario ends p50 ${seconds(prediction.completion.p50Ms)}, p99 ${seconds(prediction.completion.p99Ms)} (${scenario.name})`);
    continue;
  }
  console.log(
    prediction.containment
      ? `  ${playbook.name.padEnd(34)} containment p50 ${seconds(prediction.containment.p50Ms)}, p99 ${seconds(prediction.containment.p99Ms)}  (${scenario.name}; ${hops})`
      : `  ${playbook.name.padEnd(34)} contains nothing; done p50 ${seconds(prediction.completion.p50Ms)}, p99 ${seconds(prediction.completion.p99Ms)}  (${scenario.name}; ${hops})`,
  );
}
