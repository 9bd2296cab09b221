/**
 * The statement Sids a scenario's `removedStatements` may name. Apart from the game day's deployment
 * mapping (deployment.ts) so that the engine's import graph does not load aws-cdk-lib (the scoping
 * rules are CDK code): a storm's process holds only what it runs.
 */
import { STATEMENT_SIDS } from '../stack/iam-scopes';

/**
 * Every Sid the stacks give a statement: the scoping rules' and the few written elsewhere (each
 * responder's logs, the member-role grant, the state machines' invocations and starts). A test
 * checks the synthesized templates hold no other.
 */
export const KNOWN_STATEMENT_SIDS: readonly string[] = [
  ...STATEMENT_SIDS,
  'WriteOwnLogs',
  'AssumeFirebreakMemberRole',
  'InvokeResponders',
  'StartPlaybooks',
  // A playbook that starts per-instance executions and waits for them (lib/stack/playbooks.ts).
  'StartPerInstancePlaybooks',
  'FollowPerInstanceExecutions',
  'PerInstanceCompletionEvents',
  'KeepUnprocessableEvents',
  'StoreApprovalRequests',
  // publish-alert's check of an approval request before it stores it (lib/stack/approvals.ts).
  'VerifyApprovalRequestExecutions',
  'ProveApprovalTaskTokensWait',
  // publish-alert's read of the guard's approval deadline, for the request's alert (lib/stack/firebreak.ts).
  'ReadApprovalDeadlinesForAlerts',
  // publish-alert's check that the playbook execution an alert names sent it (lib/stack/alert-origins.ts).
  'VerifyAlertOrigins',
  // snapshot-volumes' and copy-evidence's check that the playbook execution that invoked them scheduled that task (lib/stack/invocation-origins.ts).
  'VerifyStepOrigins',
  'AppendIncidentRecord',
  // The dispatcher's write of triage's entry in the incident record (lib/stack/dispatcher.ts).
  'RecordTriage',
  // publish-alert's copy of Critical incidents and alerting failures to the backup channel.
  'PublishToTheBackupChannel',
  'EncryptForTheBackupChannel',
  'ReadApprovals',
  'ReadAndDecideApprovalRequests',
  // The approval function's read of the guard's approval deadline (lib/stack/approvals.ts).
  'ReadApprovalDeadlines',
  'DescribeWaitingPlaybookExecutions',
  // The emergency-pause function's one key of the state table (lib/stack/emergency-pause.ts).
  'SetAndLiftTheEmergencyPause',
  // Its record of each caller proof it took: a pause or resume sent again whole is refused (row 5k).
  'SpendEachCallerProofOnce',
  'AnswerWaitingPlaybooks',
  // The oversized-event intake's one grant: StartExecution of the dispatcher (lib/stack/oversized-event-intake.ts).
  'StartTheDispatcher',
  // Its confirmation of an oversized GuardDuty finding with GetFindings (removable: the finding then waits for a person).
  'ReadGuardDutyFindings',
  'FindGuardDutyDetectors',
];
