/**
 * The dispatcher: an Express state machine (cheap, high throughput, at-least-once in) that runs
 * triage on every event and starts its playbook under a deterministic execution name, so duplicate
 * deliveries end at ExecutionAlreadyExists (exactly once out). Events it cannot parse or dispatch
 * wait in the unprocessable-events queue with the reason. It never starts a manual playbook
 * (release): not routed by triage, not among the ARNs its definition lists, and not in its IAM
 * policy either.
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { CompiledStateMachine } from '../playbooks/compile';
import { ALERT_RESPONDER, functionPlaceholder } from '../playbooks/compile';
import { compileDispatcher, INVALID_EVENT_QUEUE_PLACEHOLDER, STATE_TABLE_PLACEHOLDER, stateMachinePlaceholder, TRIAGE_RESPONDER } from '../playbooks/dispatcher';
import { STATE_KEY_PREFIX } from '../contracts/security';
import { routedPlaybookNames } from '../playbooks/routing';
import type { AlertChannels } from './alerting';
import { CompiledStateMachineConstruct } from './compiled-state-machine';
import { stateMachineNameIfValid } from './defaults';
import { KeptEventsQueue } from './kept-events-queue';
import { groupsOnly } from './logical-ids';
import type { PlaybookMachines } from './playbooks';
import type { Responders } from './responders';
import type { IncidentState } from './state';

export interface DispatcherProps {
  readonly playbookMachines: PlaybookMachines;
  /** Triage (with the routing table of the automatic playbooks, which the dispatcher starts) and publish-alert. */
  readonly responders: Responders;
  readonly channels: AlertChannels;
  readonly logRetention: logs.RetentionDays;
  /** The state table: the dispatcher appends triage's entry to `incident#` items (UpdateItem only). */
  readonly state: IncidentState;
}

/** The dispatcher and its unprocessable-events queue; groups only, so they keep the flat stack's logical ids. */
export class Dispatcher extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  /** Events the dispatcher could not handle: unparseable, or a dispatch failure; kept with the reason. */
  public readonly unprocessableEventsQueue: KeptEventsQueue;
  /** The compiled definition, as deployed (before substitution). */
  public readonly compiled: CompiledStateMachine;

  constructor(scope: Construct, id: string, props: DispatcherProps) {
    super(scope, id);
    groupsOnly(this);
    this.unprocessableEventsQueue = new KeptEventsQueue(this, 'Unprocessable', {
      purpose: 'where the dispatcher keeps events it could not parse or dispatch, each with the reason',
      alarmWhat: 'The Firebreak dispatcher kept events it could not handle',
      channels: props.channels,
    });
    const queue = this.unprocessableEventsQueue.queue;
    // The automatic playbooks, in the order of triage's routing table: triage answers an index into it.
    const routing = props.responders.routing;
    const routed = routedPlaybookNames(routing);
    this.compiled = compileDispatcher({ routedPlaybooks: routed, alertMode: routing.settings.forceDryRun ? 'dry-run' : 'enforce' });
    const triage = props.responders.functionOf(TRIAGE_RESPONDER).function;
    const alert = props.responders.functionOf(ALERT_RESPONDER).function;
    const machineArns = routed.map((name) => props.playbookMachines.stateMachineOf(name).stateMachineArn);
    const machine = new CompiledStateMachineConstruct(this, 'Dispatcher', {
      compiled: this.compiled,
      type: sfn.StateMachineType.EXPRESS,
      ...stateMachineNameIfValid(`${Stack.of(this).stackName}-dispatcher`),
      comment: 'Firebreak dispatcher: triage every event, start its playbook exactly once',
      substitutions: {
        [functionPlaceholder(TRIAGE_RESPONDER)]: triage.functionArn,
        [functionPlaceholder(ALERT_RESPONDER)]: alert.functionArn,
        [INVALID_EVENT_QUEUE_PLACEHOLDER]: queue.queueUrl,
        [STATE_TABLE_PLACEHOLDER]: props.state.table.tableName,
        ...Object.fromEntries(routed.map((name, index) => [stateMachinePlaceholder(name), machineArns[index]!])),
      },
      invokes: [triage, alert],
      statements: [
        new iam.PolicyStatement({ sid: 'StartPlaybooks', actions: ['states:StartExecution'], resources: machineArns }),
        new iam.PolicyStatement({ sid: 'KeepUnprocessableEvents', actions: ['sqs:SendMessage'], resources: [queue.queueArn] }),
        // Triage's entry in the incident record (lib/responders/triage-record.ts): append only, incident# items only.
        new iam.PolicyStatement({
          sid: 'RecordTriage',
          actions: ['dynamodb:UpdateItem'],
          resources: [props.state.table.tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': `${STATE_KEY_PREFIX.incident}*` } },
        }),
      ],
      logRetention: props.logRetention,
    });
    this.stateMachine = machine.stateMachine;
    props.state.admitWriter(this.stateMachine.role);
    props.channels.alarmOnExecutions(this, 'Dispatcher', this.stateMachine, 'the dispatcher');
  }
}
