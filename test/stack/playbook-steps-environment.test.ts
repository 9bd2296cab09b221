/**
 * FIREBREAK_PLAYBOOK_STEPS on the responders that act under a containment grant: which deployed
 * playbooks have a step of each, with exactly which options (lib/responders/step-binding.ts reads
 * it); FIREBREAK_ROUTING_TABLE on triage; and the synth-time check that keeps a function's
 * environment within Lambda's 4 KB.
 */
import { createHash } from 'node:crypto';
import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { loadPlaybookDirectorySync } from '../../lib/playbooks/loader';
import type { Playbook } from '../../lib/playbooks/model';
import { LAMBDA_ENVIRONMENT_LIMIT_BYTES, assertEnvironmentFits, environmentSize } from '../../lib/stack/responder-function';
import { isAutomatic } from '../../lib/playbooks/model';
import { routedPlaybookNames, routingTableFor, routingTableFromEnvironment } from '../../lib/playbooks/routing';
import { action, ALARM, logicalIdOf, playbook, resourcesOf, synthesize } from './support';

const PLAYBOOKS = loadPlaybookDirectorySync('playbooks');

/** The variables of a responder's synthesized function. */
function variablesOf(playbooks: readonly Playbook[], functionId: string): Record<string, unknown> {
  const { template } = synthesize({ playbooks: [...playbooks] });
  const fn = resourcesOf(template, 'AWS::Lambda::Function')[logicalIdOf(template, 'AWS::Lambda::Function', functionId)]!;
  return (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
}

describe('FIREBREAK_PLAYBOOK_STEPS', () => {
  it('tells release-instance and unblock-dns-domains exactly which playbooks have their steps, with which options', () => {
    expect(JSON.parse(variablesOf(PLAYBOOKS, 'ResponderReleaseInstanceFunction').FIREBREAK_PLAYBOOK_STEPS as string)).toEqual({
      'release-instance': [{ restoreInstanceProfile: true, restoreAutoScaling: true, restoreLoadBalancers: true }],
    });
    expect(JSON.parse(variablesOf(PLAYBOOKS, 'ResponderUnblockDnsDomainsFunction').FIREBREAK_PLAYBOOK_STEPS as string)).toEqual({
      'release-instance': [{}],
      'unblock-dns-domain': [{ target: 'requested-domain' }],
    });
  });

  it('lists each distinct options of a playbook once, and is set on no responder that acts without a grant', () => {
    const twice = playbook('two-alerts', [action('contain', 'quarantine-instance', { autoScaling: 'detach' }), action('again', 'quarantine-instance', { autoScaling: 'detach' }), action('alert', 'notify')]);
    expect(JSON.parse(variablesOf([twice], 'ResponderQuarantineInstanceFunction').FIREBREAK_PLAYBOOK_STEPS as string)).toEqual({ 'two-alerts': [{ autoScaling: 'detach' }] });
    expect(variablesOf(PLAYBOOKS, 'ResponderSnapshotVolumesFunction').FIREBREAK_PLAYBOOK_STEPS).toBeUndefined();
    expect(variablesOf(PLAYBOOKS, 'ResponderContainmentGuardFunction').FIREBREAK_PLAYBOOK_STEPS).toBeUndefined();
  });
});

describe('FIREBREAK_ROUTING_TABLE', () => {
  it("is written into triage's environment: every automatic playbook, no manual one, with the deployment's dry-run setting", () => {
    const { template } = synthesize({ playbooks: [...PLAYBOOKS], mode: 'enforce' });
    const functions = resourcesOf(template, 'AWS::Lambda::Function');
    const variables = (functions[logicalIdOf(template, 'AWS::Lambda::Function', 'ResponderTriageFunction')]!.Properties.Environment as { Variables: Record<string, string> }).Variables;
    const table = routingTableFromEnvironment(variables);
    expect(table).toEqual(routingTableFor(PLAYBOOKS, { forceDryRun: false }));
    expect(routedPlaybookNames(table).sort()).toEqual(PLAYBOOKS.filter(isAutomatic).map((p) => p.name).sort());
    expect(routedPlaybookNames(table)).not.toContain('release-instance');
    // Compressed: the shipped playbooks' table leaves most of Lambda's 4 KB to the other variables.
    expect(variables.FIREBREAK_ROUTING_TABLE!.length).toBeLessThan(1_500);
    // On triage only.
    const others = Object.entries(functions).filter(([id]) => !id.startsWith('ResponderTriageFunction'));
    expect(others.filter(([, fn]) => JSON.stringify(fn.Properties.Environment ?? {}).includes('FIREBREAK_ROUTING_TABLE'))).toEqual([]);
    expect(routingTableFromEnvironment(variablesOf(PLAYBOOKS, 'ResponderTriageFunction') as Record<string, string>).settings).toEqual({ forceDryRun: true });
  });

  it("fails the synth naming triage and its routing table when a team's playbooks make it too big for Lambda's 4 KB", () => {
    // Alarm names that do not compress (each a hash), as a team with many named alarms might list.
    const alarmNames = Array.from({ length: 250 }, (_, i) => `alarm-${createHash('sha256').update(String(i)).digest('hex').slice(0, 20)}`);
    const crowded = { ...ALARM, match: { ...ALARM.match, alarmNames } };
    expect(() => synthesize({ playbooks: [crowded] })).toThrow(
      /responder "triage": its environment variables would total about \d+ bytes, over Lambda's 4096 \(largest: FIREBREAK_ROUTING_TABLE \(\d+ bytes\).*The routing table .* grows with the automatic playbooks/,
    );
    expect(() => synthesize({ playbooks: [{ ...ALARM, match: { ...ALARM.match, alarmNames: alarmNames.slice(0, 40) } }] })).not.toThrow();
  });
});

describe("a function's environment within Lambda's 4 KB", () => {
  it('counts names and values, pseudo parameters at their longest', () => {
    const stack = new Stack(new App(), 'Sizes');
    expect(environmentSize(stack, { AB: 'xyz' })).toBe(5);
    expect(environmentSize(stack, { R: stack.region })).toBe(1 + 20);
  });

  it('fails the synth naming the function and its largest variable when the total would pass 4 KB', () => {
    const stack = new Stack(new App(), 'TooBig');
    expect(() => assertEnvironmentFits(stack, 'quarantine-instance', { FIREBREAK_PLAYBOOK_STEPS: 'x'.repeat(LAMBDA_ENVIRONMENT_LIMIT_BYTES) })).toThrow(
      /responder "quarantine-instance": its environment variables would total about 4120 bytes, over Lambda's 4096 \(largest: FIREBREAK_PLAYBOOK_STEPS/,
    );
    expect(() => assertEnvironmentFits(stack, 'quarantine-instance', { FIREBREAK_PLAYBOOK_STEPS: 'x'.repeat(1000) })).not.toThrow();
  });
});
