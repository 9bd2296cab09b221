/**
 * One Standard state machine per playbook (exactly once, executions up to a year, task tokens for
 * approvals), compiled from its YAML (lib/playbooks/compile.ts) and invoking only the responder
 * functions its steps name, with an alarm on both channels for every execution that ends badly.
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { CompiledStateMachine } from '../playbooks/compile';
import { compilePlaybook, functionPlaceholder, isGuardedPlaybook } from '../playbooks/compile';
import type { Playbook } from '../playbooks/model';
import { flattenSteps, isAutomatic, isStartedByParent } from '../playbooks/model';
import { executionArnPrefixPlaceholder, startedPlaybooks, stateMachinePlaceholder } from '../playbooks/compile-per-instance';
import type { AlertChannels } from './alerting';
import { CompiledStateMachineConstruct } from './compiled-state-machine';
import { pascal, stateMachineNameIfValid } from './defaults';
import { groupsOnly } from './logical-ids';
import type { Responders } from './responders';
import { RESPONDER_NAMES } from '../contracts/responders';
import { acknowledgeWildcardResources } from './iam-scopes';

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
    // Per-instance playbooks first: the playbooks that start them need their ARNs.
    const ordered = [...props.playbooks.filter(isStartedByParent), ...props.playbooks.filter((playbook) => !isStartedByParent(playbook))];
    for (const playbook of ordered) {
      const compiled = compilePlaybook(playbook);
      compiledPlaybooks.set(playbook.name, compiled);
      const started = startedPlaybooks(flattenSteps(playbook.steps)).map((name) => {
        const child = machines.get(name);
        if (child === undefined) throw new Error(`playbook ${playbook.name} starts ${name}, which is not deployed as a per-instance or per-credential playbook`);
        return { name, machine: child };
      });
      const startedPlaceholders = new Set(started.flatMap(({ name }) => [stateMachinePlaceholder(name), executionArnPrefixPlaceholder(name)]));
      const used = compiled.substitutions
        .filter((placeholder) => !startedPlaceholders.has(placeholder))
        .map((placeholder) => responderOfPlaceholder(placeholder, props.responders.functions));
      const functions = used.map((responder) => props.responders.functionOf(responder).function);
      const machine = new CompiledStateMachineConstruct(this, `Playbook${pascal(playbook.name)}`, {
        compiled,
        type: sfn.StateMachineType.STANDARD,
        ...stateMachineNameIfValid(`${stackName}-${playbook.name}`),
        comment: `Firebreak playbook ${playbook.name} (${playbook.file})`,
        substitutions: {
          ...Object.fromEntries(used.map((responder, index) => [functionPlaceholder(responder), functions[index]!.functionArn])),
          ...Object.fromEntries(started.map(({ name, machine }) => [stateMachinePlaceholder(name), machine.stateMachineArn])),
          // Where another run of the revision reads a child's execution again (DescribeExecution): its ARN without the name.
          ...Object.fromEntries(started.map(({ name, machine }) => [executionArnPrefixPlaceholder(name), executionArnOf(Stack.of(this), machine)])),
        },
        invokes: functions,
        ...(started.length > 0 ? { statements: startExecutionSyncStatements(this, started.map(({ machine }) => machine)) } : {}),
        logRetention: props.logRetention,
        // A playbook that can wait for approval hands publish-alert its task token: keep event
        // data (and so the token) out of its logs. The execution history still has it (docs/security.md).
        ...(isGuardedPlaybook(playbook) ? { includeExecutionData: false } : {}),
      });
      if (started.length > 0) acknowledgeChildExecutions(machine.stateMachine.role, started.map(({ machine: child }) => child));
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

/**
 * What `states:startExecution.sync:2` needs of the starting machine's role: start the per-instance
 * machines, describe and stop their executions, and the managed EventBridge rule through which Step
 * Functions learns that they ended
 * (https://docs.aws.amazon.com/step-functions/latest/dg/stepfunctions-iam.html#stepfunctions-iam-sync).
 */
function startExecutionSyncStatements(scope: Construct, children: readonly sfn.StateMachine[]): iam.PolicyStatement[] {
  const stack = Stack.of(scope);
  const executionsOf = (machine: sfn.StateMachine) => executionArnOf(stack, machine, '*');
  return [
    new iam.PolicyStatement({ sid: 'StartPerInstancePlaybooks', actions: ['states:StartExecution'], resources: children.map((machine) => machine.stateMachineArn) }),
    new iam.PolicyStatement({ sid: 'FollowPerInstanceExecutions', actions: ['states:DescribeExecution', 'states:StopExecution'], resources: children.map(executionsOf) }),
    new iam.PolicyStatement({
      sid: 'PerInstanceCompletionEvents',
      actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
      resources: [stack.formatArn({ service: 'events', resource: 'rule', resourceName: 'StepFunctionsGetEventsForStepFunctionsExecutionRule' })],
    }),
  ];
}

/**
 * `arn:…:execution:<machine name>`: the prefix of `machine`'s execution ARNs, or with `:<name>` one
 * execution, or with `:*` every one (execution names are chosen at run time).
 */
function executionArnOf(stack: Stack, machine: sfn.StateMachine, executionName?: string): string {
  const machineName = stack.splitArn(machine.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName ?? '';
  return stack.formatArn({
    service: 'states',
    resource: 'execution',
    resourceName: executionName === undefined ? machineName : `${machineName}:${executionName}`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/**
 * cdk-nag reports the `execution:<child>:*` resource of FollowPerInstanceExecutions: acknowledged
 * per child machine, since the wildcard is only the execution name, which the parent chooses at run
 * time (the incident key plus one resource) and IAM cannot name in advance.
 */
function acknowledgeChildExecutions(role: iam.IRole, children: readonly sfn.StateMachine[]): void {
  const stack = Stack.of(role);
  acknowledgeWildcardResources(
    role,
    children.map((machine) => ({
      resource: executionArnOf(stack, machine, '*'),
      why:
        'states:DescribeExecution and StopExecution on the executions of one child state machine only, which this playbook starts ' +
        'with startExecution.sync:2 (one per instance or credential): the execution name after the machine name is chosen at run time ' +
        '(the incident key plus the resource), so IAM can only name it with a wildcard ' +
        '(https://docs.aws.amazon.com/step-functions/latest/dg/stepfunctions-iam.html#stepfunctions-iam-sync).',
    })),
  );
}

function responderOfPlaceholder(placeholder: string, responders: ReadonlyMap<string, unknown>): string {
  for (const responder of responders.keys()) {
    if (functionPlaceholder(responder) === placeholder) return responder;
  }
  throw new Error(`no responder function for placeholder ${placeholder}`);
}
