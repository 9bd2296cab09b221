/**
 * One Standard state machine per playbook (exactly once, executions up to a year, task tokens for
 * approvals), compiled from its YAML (lib/playbooks/compile.ts) and invoking only the responder
 * functions its steps name, with an alarm on both channels for every execution that ends badly.
 */
import { Stack } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { CompiledStateMachine } from '../playbooks/compile';
import { compilePlaybook, functionPlaceholder, isGuardedPlaybook } from '../playbooks/compile';
import type { Playbook } from '../playbooks/model';
import { flattenSteps, isAutomatic } from '../playbooks/model';
import type { AlertChannels } from './alerting';
import { CompiledStateMachineConstruct } from './compiled-state-machine';
import { pascal, stateMachineNameIfValid } from './defaults';
import { groupsOnly } from './logical-ids';
import type { Responders } from './responders';
import { RESPONDER_NAMES } from '../contracts/responders';

/**
 * The release playbook: the one `trigger: manual` playbook whose steps release an instance (the
 * one named `release-instance` when there are several); undefined when none is deployed.
 */
export function releasePlaybook(playbooks: readonly Playbook[]): Playbook | undefined {
  const candidates = playbooks.filter(
    (playbook) => !isAutomatic(playbook) && flattenSteps(playbook.steps).some((step) => step.action === RESPONDER_NAMES.releaseInstance),
  );
  return candidates.length === 1 ? candidates[0] : candidates.find((playbook) => playbook.name === 'release-instance');
}

export interface PlaybookMachinesProps {
  /** The playbooks to deploy, each as `<stackName>-<playbook>`. */
  readonly playbooks: readonly Playbook[];
  /** The functions the compiled steps invoke. */
  readonly responders: Responders;
  /** Where the alarms on failed, timed-out and aborted executions go. */
  readonly channels: AlertChannels;
  readonly logRetention: logs.RetentionDays;
}

/** The playbook state machines; groups only, so they keep the flat stack's logical ids. */
export class PlaybookMachines extends Construct {
  /** By playbook name. */
  public readonly stateMachines: ReadonlyMap<string, sfn.StateMachine>;
  /** The compiled definitions, as deployed (before substitution), by playbook name. */
  public readonly compiled: ReadonlyMap<string, CompiledStateMachine>;
  /** The `trigger: manual` playbook that releases instances (`firebreak release` starts it), if one is deployed. */
  public readonly release?: { readonly playbook: Playbook; readonly stateMachine: sfn.StateMachine };

  constructor(scope: Construct, id: string, props: PlaybookMachinesProps) {
    super(scope, id);
    groupsOnly(this);
    const stackName = Stack.of(this).stackName;
    const machines = new Map<string, sfn.StateMachine>();
    const compiledPlaybooks = new Map<string, CompiledStateMachine>();
    for (const playbook of props.playbooks) {
      const compiled = compilePlaybook(playbook);
      compiledPlaybooks.set(playbook.name, compiled);
      const used = compiled.substitutions.map((placeholder) => responderOfPlaceholder(placeholder, props.responders.functions));
      const functions = used.map((responder) => props.responders.functionOf(responder).function);
      const machine = new CompiledStateMachineConstruct(this, `Playbook${pascal(playbook.name)}`, {
        compiled,
        type: sfn.StateMachineType.STANDARD,
        ...stateMachineNameIfValid(`${stackName}-${playbook.name}`),
        comment: `Firebreak playbook ${playbook.name} (${playbook.file})`,
        substitutions: Object.fromEntries(used.map((responder, index) => [functionPlaceholder(responder), functions[index]!.functionArn])),
        invokes: functions,
        logRetention: props.logRetention,
        // A playbook that can wait for approval hands publish-alert its task token: keep event
        // data (and so the token) out of its logs. The execution history still has it (docs/security.md).
        ...(isGuardedPlaybook(playbook) ? { includeExecutionData: false } : {}),
      });
      machines.set(playbook.name, machine.stateMachine);
      props.channels.alarmOnExecutions(this, `Playbook${pascal(playbook.name)}`, machine.stateMachine, `playbook ${playbook.name}`);
    }
    this.stateMachines = machines;
    this.compiled = compiledPlaybooks;
    const release = releasePlaybook(props.playbooks);
    if (release) this.release = { playbook: release, stateMachine: machines.get(release.name)! };
  }

  /** The state machine of `playbook`. */
  stateMachineOf(playbook: string): sfn.StateMachine {
    const found = this.stateMachines.get(playbook);
    if (!found) throw new Error(`no state machine for playbook ${playbook}`);
    return found;
  }
}

function responderOfPlaceholder(placeholder: string, responders: ReadonlyMap<string, unknown>): string {
  for (const responder of responders.keys()) {
    if (functionPlaceholder(responder) === placeholder) return responder;
  }
  throw new Error(`no responder function for placeholder ${placeholder}`);
}
