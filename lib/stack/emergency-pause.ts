/**
 * The emergency pause, the stack's side (lib/responders/emergency-pause.ts, pause-control.ts): the
 * emergency-pause function behind a Function URL with AuthType AWS_IAM, the only role in the
 * deployment that may write or delete the pause item (`pause#deployment`, that one key), and that
 * announces every pause and resume on the operations topic. `PauserPolicy` lets people invoke that
 * URL and nothing else: whoever holds it may pause AND resume, nobody else may do either.
 *
 * A function of its own rather than a second use of the approval function: the approval function
 * holds states:SendTaskSuccess/SendTaskFailure and reads task tokens, which a pause never needs; and
 * who may stop all automated containment is a decision apart from who may answer one approval
 * request, so each has its own managed policy to attach.
 */
import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { functionUrlCallerPolicy } from './function-url-callers';
import { RESPONDER_NAMES } from '../contracts/responders';
import { PAUSE_KEY } from '../responders/emergency-pause';
import { STATE_KEY_PREFIX } from '../contracts/security';
import { ResponderFunction } from './responder-function';

/** The IAM actions the emergency-pause function has on the state table: read, set and lift the one pause item. */
export const PAUSE_CONTROL_TABLE_ACTIONS = ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem'] as const;

export interface EmergencyPauseControlProps {
  /** The state table holding `pause#deployment`. */
  readonly stateTable: dynamodb.ITable;
  readonly logRetention: logs.RetentionDays;
  /** Variables every Firebreak function gets (POWERTOOLS_SERVICE_NAME, FIREBREAK_STATE_TABLE…). */
  readonly environment: Readonly<Record<string, string>>;
}

/** The emergency-pause function, its Function URL, and the policy that lets people call it. */
export class EmergencyPauseControl extends Construct {
  public readonly function: ResponderFunction;
  public readonly url: lambda.FunctionUrl;
  /** Attach to the roles that may stop (and restart) all automated containment: it may invoke the function's URL, nothing else. */
  public readonly pauserPolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: EmergencyPauseControlProps) {
    super(scope, id);
    this.function = new ResponderFunction(this, 'Function', {
      responder: RESPONDER_NAMES.emergencyPause,
      description: 'Firebreak emergency-pause: firebreak pause / resume',
      environment: props.environment,
      statements: [
        {
          statement: new iam.PolicyStatement({
            sid: 'SetAndLiftTheEmergencyPause',
            actions: [...PAUSE_CONTROL_TABLE_ACTIONS],
            resources: [props.stateTable.tableArn],
            // The one key, no wildcard: this role never reads or writes a grant, a record or a slot.
            conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': PAUSE_KEY } },
          }),
          wildcards: [],
        },
        {
          // Each caller proof is taken once (proof#<signature>, put only if absent): a request sent again whole changes nothing.
          statement: new iam.PolicyStatement({
            sid: 'SpendEachCallerProofOnce',
            actions: ['dynamodb:PutItem'],
            resources: [props.stateTable.tableArn],
            conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': `${STATE_KEY_PREFIX.spentProof}*` } },
          }),
          wildcards: [],
        },
      ],
      logRetention: props.logRetention,
      memorySize: 256,
      timeout: Duration.seconds(15),
    });
    // AWS authenticates every request (SigV4) and IAM authorizes it: who paused is AWS's word, never a field of the body.
    this.url = this.function.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });

    this.pauserPolicy = functionUrlCallerPolicy(this, 'PauserPolicy', {
      description: 'Firebreak: firebreak pause / resume / status. Attach only to roles trusted to switch containment off.',
      functionArn: this.function.function.functionArn,
      sids: { callUrl: 'CallTheEmergencyPauseFunctionUrl', invokeThroughUrl: 'InvokeTheEmergencyPauseFunctionThroughItsUrlOnly' },
    });
  }
}
