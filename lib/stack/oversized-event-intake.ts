/**
 * The oversized-event intake (lambdas/oversized-event, lib/responders/oversized-event.ts): the
 * second target of every Firebreak rule. EventBridge invokes it asynchronously with every event the
 * rule matches (up to 1 MB), beside the dispatcher target; for an event too large for the dispatcher
 * it starts the dispatcher with a clipped copy, confirmed with GuardDuty's own copy of the finding
 * when GetFindings matches it. Its role may start the dispatcher and read this account's GuardDuty
 * findings, nothing else;
 * what it cannot handle (Lambda's retries spent) goes to the undelivered-events queue, and its
 * errors page on both channels.
 */
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEPLOYMENT_ENV } from '../contracts/environment';
import { RESPONDER_NAMES } from '../contracts/responders';
import type { AlertChannels } from './alerting';
import { FIREBREAK_DEFAULTS } from './defaults';
import { groupsOnly } from './logical-ids';
import { ResponderFunction } from './responder-function';

export interface OversizedEventIntakeProps {
  /** The dispatcher it starts with clipped copies. */
  readonly dispatcher: sfn.IStateMachine;
  /** Where an event it could not handle is kept (the undelivered-events queue). */
  readonly deadLetterQueue: sqs.IQueue;
  /** Its errors page here. */
  readonly channels: AlertChannels;
  readonly logRetention: logs.RetentionDays;
  /** Variables every Firebreak function gets (POWERTOOLS_SERVICE_NAME, FIREBREAK_MODE…): the deployment's facts, though the intake reads only the dispatcher's ARN. */
  readonly environment: Readonly<Record<string, string>>;
}

/** Why the intake's GuardDuty reads are on "*" (cdk-nag's acknowledgement). */
const GUARDDUTY_ON_ANY_RESOURCE =
  'guardduty:GetFindings and guardduty:ListDetectors have no resource type in the Service Authorization Reference ' +
  '(https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonguardduty.html): "*" is their only resource. ' +
  "Both are reads of the caller's own account (GetFindings refuses another account's detector id); the oversized-event intake reads one finding by id to confirm an oversized event.";

/** The intake function (`ResponderOversizedEvent…` logical ids); groups only. */
export class OversizedEventIntake extends Construct {
  public readonly function: ResponderFunction;

  constructor(scope: Construct, id: string, props: OversizedEventIntakeProps) {
    super(scope, id);
    groupsOnly(this);
    const responder = RESPONDER_NAMES.oversizedEvent;
    this.function = new ResponderFunction(this, 'ResponderOversizedEvent', {
      responder,
      description: 'Firebreak oversized-event: dispatches a clipped copy of any event too large for the dispatcher (Step Functions 256 KiB)',
      environment: { ...props.environment, [DEPLOYMENT_ENV.dispatcherArn]: props.dispatcher.stateMachineArn },
      statements: [
        {
          statement: new iam.PolicyStatement({ sid: 'StartTheDispatcher', actions: ['states:StartExecution'], resources: [props.dispatcher.stateMachineArn] }),
          wildcards: [],
        },
        // Confirming an oversized GuardDuty finding with GuardDuty's own copy
        // (lib/responders/finding-confirmation.ts), read from this account's detector: the
        // organization's delegated administrator, whose detector holds every member's findings of
        // its region (docs/organization.md). Neither action has a resource type in the Service
        // Authorization Reference (GetFindings no longer names `detector`), so "*" is the only
        // resource either can have: a grant on `detector/*` would match no request and deny every
        // call. Both are reads, and both reach only the caller's own account: GetFindings refuses a
        // detector id of another account (BadRequestException, "not owned by the current account").
        {
          statement: new iam.PolicyStatement({ sid: 'ReadGuardDutyFindings', actions: ['guardduty:GetFindings'], resources: ['*'] }),
          wildcards: [{ resource: '*', why: GUARDDUTY_ON_ANY_RESOURCE }],
        },
        {
          statement: new iam.PolicyStatement({ sid: 'FindGuardDutyDetectors', actions: ['guardduty:ListDetectors'], resources: ['*'] }),
          wildcards: [{ resource: '*', why: GUARDDUTY_ON_ANY_RESOURCE }],
        },
      ],
      logRetention: props.logRetention,
      // A 1 MB event is parsed, measured and clipped in memory: more memory is more CPU.
      memorySize: 512,
      timeout: Duration.seconds(30),
      deadLetterQueue: props.deadLetterQueue,
    });
    // Lambda retries a failed asynchronous invocation (a throttled StartExecution) twice, within the
    // age EventBridge gives its own deliveries, then keeps the event in the dead-letter queue.
    this.function.function.configureAsyncInvoke({ retryAttempts: 2, maxEventAge: FIREBREAK_DEFAULTS.eventMaxAge });
    props.channels.alarmOnErrors(this, 'ResponderOversizedEventErrorsAlarm', this.function.function, responder);
  }
}
