/**
 * The opening and the ending every instance responder shares: the effective mode (the input's mode
 * is a claim the deployment, and then the containment grant, can only lower), the action log, the
 * result's common fields with the "finished" log line, and the first gates (the incident is not an
 * EC2 instance; a sample finding or placeholder id, where no AWS call may be made at all).
 */
import type { ResponderMode } from '../contracts/responder-mode';
import type { Ec2InstanceResource, Incident } from '../incident/model';
import { ActionLog } from './action-log';
import type { DeploymentEnvironment, EffectiveMode } from './effective-mode';
import { effectiveMode, forcedDryRunField, recordEffectiveMode } from './effective-mode';
import { isPlaceholderInstanceId } from '../incident/identifiers';
import type { IncidentLogger } from './logging';
import type { ResponderAction } from './model';

/** The fields every responder result starts with. */
export interface ResponderResultBase<Status extends string> {
  readonly responder: string;
  readonly incidentKey: string;
  readonly mode: ResponderMode;
  readonly status: Status;
  readonly idempotentReplay: boolean;
  readonly actions: readonly ResponderAction[];
  readonly forcedDryRun?: { readonly requested: 'enforce'; readonly reason: string };
}

type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
type OwnFields<S extends string, R extends ResponderResultBase<S>> = Omit<R, keyof ResponderResultBase<S>>;
/** The result fields of its own a responder must always give (e.g. an empty list). */
export type ResultDefaults<S extends string, R extends ResponderResultBase<S>> = Pick<OwnFields<S, R>, RequiredKeys<OwnFields<S, R>>>;
/** The result fields of its own a responder adds when it finishes (and `idempotentReplay` when its status alone does not say). */
export type ResultExtra<S extends string, R extends ResponderResultBase<S>> = Partial<OwnFields<S, R>> & { readonly idempotentReplay?: boolean };

export interface ResponderRunSpec<Status extends string> {
  /** The responder's name, as in its results and log lines. */
  readonly responder: string;
  readonly incident: Pick<Incident, 'key'>;
  /** The mode the input asked for (a claim). */
  readonly requestedMode: ResponderMode;
  readonly logger: IncidentLogger;
  /** The deployment's environment (FIREBREAK_MODE). @default process.env */
  readonly environment?: DeploymentEnvironment | undefined;
  readonly now?: (() => Date) | undefined;
  /** The statuses that mean the work was already done (a redelivery or rerun). */
  readonly replayStatuses: readonly Status[];
}

/** One run of a responder: its mode, its action log and how it finishes. */
export class ResponderRun<Status extends string> {
  readonly log: ActionLog;
  readonly now: () => Date;
  private readonly environment: DeploymentEnvironment;
  private current: EffectiveMode;

  constructor(private readonly spec: ResponderRunSpec<Status>) {
    this.now = spec.now ?? (() => new Date());
    this.log = new ActionLog(this.now);
    this.environment = spec.environment ?? process.env;
    this.current = effectiveMode(spec.requestedMode, this.environment);
  }

  /** The responder's name, as in its results and log lines. */
  get responder(): string {
    return this.spec.responder;
  }

  /** The deployment's environment the run reads its rails from (never the input). */
  get deployment(): DeploymentEnvironment {
    return this.environment;
  }

  /** The mode the responder acts in now. */
  get mode(): ResponderMode {
    return this.current.mode;
  }

  get effective(): EffectiveMode {
    return this.current;
  }

  /** Lowers the mode to a containment grant's (dry-run always wins; a grant never raises it). */
  lowerTo(ceiling: ResponderMode, why: string): void {
    this.current = effectiveMode(this.spec.requestedMode, this.environment, { mode: ceiling, why });
  }

  /** Records in the action log that the mode was forced to dry-run (nothing when it was not). */
  recordMode(target: string): void {
    recordEffectiveMode(this.log, target, this.current);
  }

  /**
   * The responder's `finish(status, extra)`: the common fields, the responder's own `defaults`, what
   * it adds, and one "<responder> finished" log line with `summary` of the result.
   */
  finisher<R extends ResponderResultBase<Status>>(
    defaults: ResultDefaults<Status, R>,
    summary: (result: R) => Record<string, unknown>,
  ): (status: Status, extra?: ResultExtra<Status, R>) => R {
    return (status, extra = {}) => {
      // The spread of the defaults and the extra fields gives every required own field (the
      // defaults' type says so); TypeScript cannot follow that through Omit, hence the assertion.
      const result = {
        responder: this.spec.responder,
        incidentKey: this.spec.incident.key,
        mode: this.current.mode,
        status,
        idempotentReplay: this.spec.replayStatuses.includes(status),
        actions: this.log.actions,
        ...defaults,
        ...forcedDryRunField(this.current),
        ...extra,
      } as unknown as R;
      this.spec.logger.info(`${this.spec.responder} finished`, { status, ...summary(result) });
      return result;
    };
  }
}

/** What the first gate found: the instance to act on, or why there is none. */
export type InstanceGate =
  | { readonly proceed: true; readonly instanceId: string; readonly resource: Ec2InstanceResource }
  | { readonly proceed: false; readonly status: 'not-an-instance' }
  | { readonly proceed: false; readonly status: 'skipped-sample'; readonly instanceId: string };

export interface InstanceGateWords {
  /** The action the log records the skip under. @default 'firebreak:decide' */
  readonly action?: string;
  /** What a skip means for this responder, e.g. "nothing is read or changed". */
  readonly nothingDone: string;
}

/** The incident's instance, or `undefined` (logged) when the incident is not about an EC2 instance. */
export function incidentInstance(incident: Pick<Incident, 'resource'>, log: ActionLog, words: InstanceGateWords): Ec2InstanceResource | undefined {
  const resource = incident.resource;
  if (resource.kind === 'ec2-instance') return resource;
  log.record(words.action ?? 'firebreak:decide', resource.kind, 'skipped', `The incident concerns a ${resource.kind} resource, not an EC2 instance: ${words.nothingDone}`);
  return undefined;
}

/**
 * True (logged) when the incident is a GuardDuty sample finding or names a placeholder instance id:
 * those name placeholder resources in a real account, and even a DryRun call would put them in
 * CloudTrail as if an incident had happened, so the responder stops before any AWS call.
 */
export function isSampleTarget(incident: Pick<Incident, 'sample'>, instanceId: string, log: ActionLog, words: InstanceGateWords): boolean {
  if (!incident.sample && !isPlaceholderInstanceId(instanceId)) return false;
  const why = incident.sample
    ? 'GuardDuty sample finding'
    : `${instanceId} is a placeholder id (as in GuardDuty sample findings)`;
  log.record(words.action ?? 'firebreak:decide', instanceId, 'skipped', `${why}: ${words.nothingDone}`);
  return true;
}

/** Both gates in order: not an instance, then sample or placeholder. */
export function instanceGate(incident: Pick<Incident, 'resource' | 'sample'>, log: ActionLog, words: InstanceGateWords): InstanceGate {
  const resource = incidentInstance(incident, log, words);
  if (resource === undefined) return { proceed: false, status: 'not-an-instance' };
  const { instanceId } = resource;
  if (isSampleTarget(incident, instanceId, log, words)) return { proceed: false, status: 'skipped-sample', instanceId };
  return { proceed: true, instanceId, resource };
}
