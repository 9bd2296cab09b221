/** Containment grants in tests: what the guard would have written for an execution. */
import type { ContainmentGrant } from '../../lib/contracts/security';
import type { Incident } from '../../lib/incident/model';
import { GRANT_VALIDITY_SECONDS, InMemoryGrantStore, grantKey, incidentDigest } from '../../lib/responders/grants';
import { incidentSchema } from '../../lib/responders/incident-schema';
import { canonicalJson } from '../../lib/contracts/canonical-json';
import { SECURITY_ENV } from '../../lib/contracts/security';
import type { ResponderRequest } from '../../lib/responders/responder-input';
import type { StepClaim } from '../../lib/responders/step-binding';

/** A playbook execution of the default deployment (stack `Firebreak`). */
export const EXECUTION_ARN = 'arn:aws:states:eu-west-1:111122223333:execution:Firebreak-compromised-ec2-instance:gd-7ab9d1b3c0e24f8a9e0d1c2b3a4f5e6d-0a1b2c3d4e5f';
export const EXECUTION = {
  executionArn: EXECUTION_ARN,
  executionName: 'gd-7ab9d1b3c0e24f8a9e0d1c2b3a4f5e6d-0a1b2c3d4e5f',
  playbook: 'compromised-ec2-instance',
  stateMachineArn: 'arn:aws:states:eu-west-1:111122223333:stateMachine:Firebreak-compromised-ec2-instance',
};

/** The grant the guard writes for `incident`'s instance, valid from `at` (a proceed grant unless overridden). */
export function grantFor(
  incident: Incident,
  at: Date,
  overrides: Partial<ContainmentGrant> = {},
): ContainmentGrant {
  const executionArn = overrides.executionArn ?? EXECUTION_ARN;
  return {
    pk: grantKey(executionArn),
    executionArn,
    playbook: 'compromised-ec2-instance',
    incidentKey: incident.key,
    // As the guard takes it: of the incident as a step's input schema parses it.
    incidentDigest: incidentDigest(incidentSchema.parse(incident) as Incident),
    account: incident.account,
    region: incident.region,
    instanceId: incident.resource.kind === 'ec2-instance' ? incident.resource.instanceId : 'none',
    kind: 'contain',
    gameDay: incident.gameDay,
    mode: 'enforce',
    status: 'proceed',
    grantedAt: at.toISOString(),
    expiresAt: Math.floor(at.getTime() / 1000) + GRANT_VALIDITY_SECONDS,
    ...overrides,
  };
}

/** A store holding the grant for `incident`. */
export function storeGranting(incident: Incident, at: Date, overrides: Partial<ContainmentGrant> = {}): InMemoryGrantStore {
  const store = new InMemoryGrantStore();
  const grant = grantFor(incident, at, overrides);
  store.grants.set(grant.executionArn, grant);
  return store;
}

/**
 * A step's claim for evaluateGrant: `responder`'s step with `options` (as its schema parsed them),
 * the only one the deployment lists, in `playbook` (the grants above are compromised-ec2-instance's).
 */
export function deployedStep(responder: string, options: unknown, playbook = 'compromised-ec2-instance', request?: ResponderRequest): StepClaim {
  return { responder, options, request, deployed: { byPlaybook: new Map([[playbook, new Set([canonicalJson(options)])]]) } };
}

/**
 * The FIREBREAK_PLAYBOOK_STEPS a responder test's environment needs: each of `playbooks` (the
 * grants' playbook by default) has one step of the responder, with `options` (as a playbook file writes them).
 */
export function playbookStepsEnvironment(options: Readonly<Record<string, unknown>>, playbooks: readonly string[] = ['compromised-ec2-instance']): Record<string, string> {
  return { [SECURITY_ENV.playbookSteps]: JSON.stringify(Object.fromEntries(playbooks.map((playbook) => [playbook, [options]]))) };
}

/**
 * `store` with the emergency pause in force (set after its grants were written): every step that
 * contains under them must act in dry-run (docs/security.md rows 15a, 15b).
 */
export function paused(store: InMemoryGrantStore): InMemoryGrantStore {
  store.pause = { paused: true, pausedBy: 'arn:aws:sts::111122223333:assumed-role/OnCall/alice', pausedAt: '2026-11-20T09:59:00.000Z', reason: 'false-positive storm' };
  return store;
}
