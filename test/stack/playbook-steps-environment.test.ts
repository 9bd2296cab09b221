/**
 * FIREBREAK_PLAYBOOK_STEPS on the responders that act under a containment grant: which deployed
 * playbooks have a step of each, with exactly which options (lib/responders/step-binding.ts reads
 * it), and the synth-time check that keeps a function's environment within Lambda's 4 KB.
 */
import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { loadPlaybookDirectorySync } from '../../lib/playbooks/loader';
import type { Playbook } from '../../lib/playbooks/model';
import { LAMBDA_ENVIRONMENT_LIMIT_BYTES, assertEnvironmentFits, environmentSize } from '../../lib/stack/responder-function';
import { action, logicalIdOf, playbook, resourcesOf, synthesize } from './support';

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
