/**
 * The effective mode of a responder: `enforce` only when BOTH its input and its deployment say
 * enforce. The input (a Step Functions payload, or whatever a caller with lambda:InvokeFunction
 * sends) is a claim; the deployment's mode is the environment the stack wrote (FIREBREAK_MODE).
 * A missing or unreadable FIREBREAK_MODE counts as dry-run: a misconfigured deployment must fail
 * safe, never into enforce.
 */
import { SECURITY_ENV } from '../contracts/security';
import type { ActionLog } from './action-log';
import type { ResponderMode } from '../contracts/responder-mode';

/** What the deployment's environment says about its mode. */
export type DeploymentMode = ResponderMode | 'unset' | 'invalid';

interface EffectiveModeBase {
  /** The mode the responder acts in. */
  readonly mode: ResponderMode;
  /** The mode the input asked for. */
  readonly requested: ResponderMode;
  /** The deployment's ceiling as read from FIREBREAK_MODE. */
  readonly deployment: DeploymentMode;
}

/**
 * `forcedDryRun`: the input asked for enforce and a ceiling (deployment or grant) made it dry-run;
 * then, and only then, `reason` says why in words fit for the alert.
 */
export type EffectiveMode =
  | (EffectiveModeBase & { readonly forcedDryRun: true; readonly reason: string })
  | (EffectiveModeBase & { readonly forcedDryRun: false; readonly reason?: undefined });

/** The environment a responder reads its deployment's facts from (process.env in Lambda). */
export type DeploymentEnvironment = Readonly<Record<string, string | undefined>>;

/** FIREBREAK_MODE as the deployment set it: `enforce`, `dry-run`, or unset/invalid (both mean dry-run). */
export function deploymentModeOf(env: DeploymentEnvironment): DeploymentMode {
  const raw = env[SECURITY_ENV.mode];
  if (raw === undefined || raw.trim() === '') return 'unset';
  const value = raw.trim();
  return value === 'enforce' || value === 'dry-run' ? value : 'invalid';
}

/** Why a deployment that does not say enforce runs dry-run (only asked of one that does not). */
function deploymentSentence(deployment: Exclude<DeploymentMode, 'enforce'>, env: DeploymentEnvironment): string {
  switch (deployment) {
    case 'dry-run':
      return `this deployment runs in dry-run (${SECURITY_ENV.mode}=dry-run)`;
    case 'unset':
      return `${SECURITY_ENV.mode} is not set on this function, and a deployment that does not say enforce is dry-run`;
    case 'invalid':
      return `${SECURITY_ENV.mode} is ${JSON.stringify(env[SECURITY_ENV.mode])}, not enforce or dry-run, so the deployment counts as dry-run`;
  }
}

/**
 * The mode a responder acts in: the input's, unless the deployment (or an extra `ceiling`, such as
 * the mode a containment grant was issued in) says dry-run. Dry-run always wins.
 */
export function effectiveMode(
  inputMode: ResponderMode,
  env: DeploymentEnvironment = process.env,
  ceiling?: { readonly mode: ResponderMode; readonly why: string },
): EffectiveMode {
  const deployment = deploymentModeOf(env);
  const base = { requested: inputMode, deployment };
  if (inputMode === 'dry-run') return { ...base, mode: 'dry-run', forcedDryRun: false };
  if (deployment !== 'enforce') {
    return {
      ...base,
      mode: 'dry-run',
      forcedDryRun: true,
      reason: `The input asked for enforce, but ${deploymentSentence(deployment, env)}: running as dry-run, nothing is changed.`,
    };
  }
  if (ceiling?.mode === 'dry-run') {
    return {
      ...base,
      mode: 'dry-run',
      forcedDryRun: true,
      reason: `The input asked for enforce, but ${ceiling.why}: running as dry-run, nothing is changed.`,
    };
  }
  return { ...base, mode: 'enforce', forcedDryRun: false };
}

/** Records in the action log that the deployment forced dry-run (no entry when it did not). */
export function recordEffectiveMode(log: ActionLog, target: string, mode: EffectiveMode): void {
  if (mode.forcedDryRun) log.record('firebreak:effective-mode', target, 'skipped', mode.reason);
}

/** The part of a responder result that says the deployment forced dry-run (empty when it did not). */
export function forcedDryRunField(mode: EffectiveMode): { readonly forcedDryRun?: { readonly requested: 'enforce'; readonly reason: string } } {
  return mode.forcedDryRun ? { forcedDryRun: { requested: 'enforce', reason: mode.reason } } : {};
}
