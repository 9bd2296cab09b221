/**
 * Approvals and record integrity, the stack's side (docs/security.md, issue 8):
 *
 * - `Approvals`: the approval function (lambdas/approval) behind a Function URL with AuthType
 *   AWS_IAM, the only role in the deployment with states:SendTaskSuccess/SendTaskFailure; it reads
 *   and decides `approval#` items only, reads (never writes) `grant#` items for the guard's approval
 *   deadline, and describes (and reads the history of) only executions of the guarded playbooks.
 *   `ApproverPolicy` lets people invoke that URL and nothing else. `Approvals.verifyRequestsIn` lets
 *   publish-alert check a request against Step Functions before it stores it (DescribeExecution
 *   of the same executions, SendTaskHeartbeat, which cannot complete a task; GetExecutionHistory
 *   comes with the origin check of every alert, lib/stack/alert-origins.ts).
 * - `RecordKey`: the KMS HMAC key that seals pre-quarantine records. Its key policy, not IAM,
 *   decides who may use it: kms:GenerateMac for quarantine-instance's role only, kms:VerifyMac for
 *   release-instance's role only, and for the deployment's `recordVerifierArns` through their own
 *   IAM policy (the report's check); the account administers the key but cannot MAC with it.
 */
import { Aws, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { functionUrlCallerPolicy } from './function-url-callers';
import { SECURITY_ENV, STATE_KEY_PREFIX } from '../contracts/security';
import type { PlannedStatement } from './iam-scopes';
import { acknowledgeWildcardResources } from './iam-scopes';
import { ResponderFunction } from './responder-function';
import { APPROVER_ARNS_ENV, DEPLOYMENT_ENV } from '../contracts/environment';
import { RESPONDER_NAMES } from '../contracts/responders';

/** The Sid of publish-alert's read of the guard's grants (their approval deadline, for the request's alert). */
export const APPROVAL_DEADLINES_FOR_ALERTS_SID = 'ReadApprovalDeadlinesForAlerts';

/** The approval function's folder under lambdas/. */
export const APPROVAL_FUNCTION = RESPONDER_NAMES.approval;

export interface ApprovalsProps {
  /** The state table holding `approval#` items. */
  readonly stateTable: dynamodb.ITable;
  /** The guarded playbooks: the only executions the function may describe and answer. */
  readonly guardedPlaybooks: readonly sfn.StateMachine[];
  /** Role-name prefixes of Firebreak's own roles: their sessions are refused as approvers. */
  readonly deniedApproverRolePrefixes: readonly string[];
  /**
   * The deployment's approvers (IAM role and user ARNs): only their callers answer.
   * @default none: IAM alone decides
   */
  readonly approverArns?: readonly string[];
  readonly logRetention: logs.RetentionDays;
  /** Variables every Firebreak function gets (POWERTOOLS_SERVICE_NAME, FIREBREAK_STATE_TABLE…). */
  readonly environment: Readonly<Record<string, string>>;
}

/** The approval function, its Function URL, and the policy that lets people call it. */
export class Approvals extends Construct {
  public readonly function: ResponderFunction;
  public readonly url: lambda.FunctionUrl;
  /** Attach to the on-call role: it may invoke the approval function's URL, nothing else. */
  public readonly approverPolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: ApprovalsProps) {
    super(scope, id);
    const executions = props.guardedPlaybooks.map(
      (machine) => `arn:${Aws.PARTITION}:states:${Aws.REGION}:${Aws.ACCOUNT_ID}:execution:${machine.stateMachineName}:*`,
    );

    const statements: PlannedStatement[] = [
      {
        statement: new iam.PolicyStatement({
          sid: 'ReadAndDecideApprovalRequests',
          actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
          resources: [props.stateTable.tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': `${STATE_KEY_PREFIX.approval}*` } },
        }),
        wildcards: [],
      },
      {
        // The guard's approval deadline and onTimeout, from its grant: an answer after the deadline
        // is refused and the approver told which path the playbook took (lib/responders/approval.ts).
        // GetItem only: the approval function never writes a grant.
        statement: new iam.PolicyStatement({
          sid: 'ReadApprovalDeadlines',
          actions: ['dynamodb:GetItem'],
          resources: [props.stateTable.tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': `${STATE_KEY_PREFIX.grant}*` } },
        }),
        wildcards: [],
      },
      {
        // GetExecutionHistory: the request's token must be one the execution's own tasks were
        // scheduled with (lib/responders/approval.ts), never another execution's.
        statement: new iam.PolicyStatement({ sid: 'DescribeWaitingPlaybookExecutions', actions: ['states:DescribeExecution', 'states:GetExecutionHistory'], resources: executions }),
        wildcards: executions.map((resource) => ({
          resource,
          why: 'The execution waiting for approval is known only at run time; the statement names each guarded playbook of this deployment.',
        })),
      },
      {
        // SendTaskHeartbeat: a first answer is recorded only while a task still waits on the token
        // (it cannot complete, fail or prolong a task).
        statement: new iam.PolicyStatement({ sid: 'AnswerWaitingPlaybooks', actions: ['states:SendTaskFailure', 'states:SendTaskHeartbeat', 'states:SendTaskSuccess'], resources: ['*'] }),
        wildcards: [
          {
            resource: '*',
            why: 'states:SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat support no resource-level permissions (the Service Authorization Reference lists no resource type for them: the task token names the task). This role is the only one in the deployment that holds SendTaskSuccess and SendTaskFailure, and the function sends only tokens it read from approval requests of executions it verified.',
          },
        ],
      },
    ];
    this.function = new ResponderFunction(this, 'Function', {
      responder: APPROVAL_FUNCTION,
      description: 'Firebreak approval: records who approved or rejected a waiting playbook (as AWS authenticated them), then answers it',
      environment: {
        ...props.environment,
        [DEPLOYMENT_ENV.approvalStateMachines]: props.guardedPlaybooks.map((machine) => machine.stateMachineArn).join(','),
        [DEPLOYMENT_ENV.deniedApproverRolePrefixes]: props.deniedApproverRolePrefixes.join(','),
        ...(props.approverArns !== undefined && props.approverArns.length > 0 ? { [APPROVER_ARNS_ENV]: props.approverArns.join(',') } : {}),
      },
      statements,
      logRetention: props.logRetention,
      memorySize: 256,
      timeout: Duration.seconds(15),
    });
    // AWS authenticates every request (SigV4) and IAM authorizes it: the approver's identity is
    // AWS's, never a field of the body (https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html).
    this.url = this.function.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });

    this.approverPolicy = functionUrlCallerPolicy(this, 'ApproverPolicy', {
      description:
        'Firebreak: answer approval requests (firebreak approve / reject --execution ARN) through the approval function. Attach to the on-call role only.',
      functionArn: this.function.function.functionArn,
      sids: { callUrl: 'CallTheApprovalFunctionUrl', invokeThroughUrl: 'InvokeTheApprovalFunctionThroughItsUrlOnly' },
    });
  }

  /**
   * Lets publish-alert (`alerter`) verify an approval request before it stores it
   * (lib/responders/approval-request.ts): the guarded playbooks' state machines in its environment,
   * DescribeExecution of their executions, and SendTaskHeartbeat to prove a task token waits. Its
   * GetExecutionHistory (a request's token must be one the execution scheduled) is the one every
   * alert's origin check has (lib/stack/alert-origins.ts).
   *
   * The guarded playbooks' state machines are named as the stack sets them
   * (`<stackName>-<playbook>`, lib/stack/playbooks.ts), written out rather than referenced: those
   * state machines invoke publish-alert, so a reference to them from its role or environment would
   * be a dependency cycle. A machine CloudFormation had to name itself matches neither, and
   * publish-alert refuses its requests (fail closed).
   */
  static verifyRequestsIn(alerter: ResponderFunction, stackName: string, playbookNames: readonly string[]): void {
    const machineNames = playbookNames.map((playbook) => `${stackName}-${playbook}`);
    const arn = (type: 'stateMachine' | 'execution', name: string) => `arn:${Aws.PARTITION}:states:${Aws.REGION}:${Aws.ACCOUNT_ID}:${type}:${name}`;
    const executions = machineNames.map((name) => `${arn('execution', name)}:*`);
    alerter.function.addEnvironment(DEPLOYMENT_ENV.approvalStateMachines, machineNames.map((name) => arn('stateMachine', name)).join(','));
    // The playbook a request is stored under is its state machine's name less `<stackName>-`, never the execution input's word.
    alerter.function.addEnvironment(SECURITY_ENV.stackName, stackName);
    // GetExecutionHistory (the request's token must be one the execution's own tasks were scheduled
    // with, lib/responders/approval-request.ts) comes with the check of every alert's origin, on
    // every playbook's executions (lib/stack/alert-origins.ts): not granted twice here.
    alerter.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'VerifyApprovalRequestExecutions', actions: ['states:DescribeExecution'], resources: executions }));
    alerter.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ProveApprovalTaskTokensWait', actions: ['states:SendTaskHeartbeat'], resources: ['*'] }));
    acknowledgeWildcardResources(alerter.role, [
      ...executions.map((resource) => ({
        resource,
        why: 'The execution an approval request names is known only at run time; the statement names each guarded playbook of this deployment, the only ones that ask for approval.',
      })),
      {
        resource: '*',
        why: 'states:SendTaskHeartbeat supports no resource-level permissions (the Service Authorization Reference lists no resource type for it: the task token names the task). A heartbeat cannot complete, fail or prolong a task (its TimeoutSeconds holds regardless); publish-alert sends one only to prove that the token of an approval request still waits before storing it.',
      },
    ]);
  }
}

export interface RecordKeyProps {
  /** Roles that seal records (quarantine-instance; copy-evidence for custody records): kms:GenerateMac only. */
  readonly sealers: readonly iam.IRole[];
  /** Roles that verify records (release-instance; copy-evidence, reading its custody records back): kms:VerifyMac only. */
  readonly verifiers: readonly iam.IRole[];
  /**
   * People's principal ARNs (patterns) that may check a seal (`firebreak report`): kms:VerifyMac
   * only, delegated to the account for them alone, so their own IAM policy must allow it too.
   * @default none
   */
  readonly reportVerifierArns?: readonly string[];
}

/** The KMS HMAC key that seals pre-quarantine records. */
export class RecordKey extends Construct {
  public readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: RecordKeyProps) {
    super(scope, id);
    const macAlgorithm = { StringEquals: { 'kms:MacAlgorithm': 'HMAC_SHA_256' } };
    const statements = [
      new iam.PolicyStatement({
        // Administration only: no statement delegates GenerateMac or VerifyMac to IAM, so no identity
        // policy in the account can grant them; only the named roles below may MAC.
        sid: 'AccountAdministersTheKey',
        principals: [new iam.AccountRootPrincipal()],
        actions: [
          'kms:CancelKeyDeletion',
          'kms:CreateAlias',
          'kms:DeleteAlias',
          'kms:DescribeKey',
          'kms:DisableKey',
          'kms:EnableKey',
          'kms:GetKeyPolicy',
          'kms:ListGrants',
          'kms:ListResourceTags',
          'kms:PutKeyPolicy',
          'kms:RevokeGrant',
          'kms:ScheduleKeyDeletion',
          'kms:TagResource',
          'kms:UntagResource',
          'kms:UpdateAlias',
          'kms:UpdateKeyDescription',
        ],
        resources: ['*'],
      }),
    ];
    // Only the named roles may MAC, each with its one operation.
    const macBy = (sid: string, roles: readonly iam.IRole[], action: string) =>
      roles.length === 0
        ? []
        : [new iam.PolicyStatement({ sid, principals: roles.map((role) => new iam.ArnPrincipal(role.roleArn)), actions: [action], resources: ['*'], conditions: macAlgorithm })];
    statements.push(...macBy('QuarantineSealsRecords', props.sealers, 'kms:GenerateMac'), ...macBy('ReleaseVerifiesRecords', props.verifiers, 'kms:VerifyMac'));
    // The report's check of a seal: VerifyMac answers only whether a MAC holds, so it can never make
    // one (a forged record stays forged); named principals only, and their IAM policy must agree.
    const reportVerifiers = [...new Set(props.reportVerifierArns ?? [])];
    if (reportVerifiers.length > 0) {
      statements.push(
        new iam.PolicyStatement({
          sid: 'ReportVerifiesRecords',
          principals: [new iam.AccountRootPrincipal()],
          actions: ['kms:VerifyMac'],
          resources: ['*'],
          conditions: { ...macAlgorithm, ArnLike: { 'aws:PrincipalArn': reportVerifiers } },
        }),
      );
    }
    this.key = new kms.Key(this, 'Key', {
      description: 'Firebreak: seals pre-quarantine records (HMAC); quarantine MACs, release verifies',
      keySpec: kms.KeySpec.HMAC_256,
      keyUsage: kms.KeyUsage.GENERATE_VERIFY_MAC,
      // Records sealed with it are what releases restore from: never delete it with the stack.
      removalPolicy: RemovalPolicy.RETAIN,
      policy: new iam.PolicyDocument({ statements }),
    });
    Validations.of(this.key).acknowledge({
      id: 'AwsSolutions-KMS5',
      reason:
        'KMS does not support automatic rotation of HMAC keys (https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html): it is an HMAC_256 key used only for GenerateMac/VerifyMac of pre-quarantine records.',
    });
  }
}
