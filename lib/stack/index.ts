/**
 * The firebreak package: the Firebreak construct to add to a CDK stack of your own, the app's
 * stacks, and the constructs Firebreak is composed of (README: "Embed Firebreak in your own CDK app").
 */
export { Firebreak } from './firebreak';
export type { FirebreakProps } from './firebreak-props';
export { FirebreakStack } from './firebreak-stack';
export type { FirebreakStackProps } from './firebreak-stack';
export { MemberRoleStack, memberRoleIamActions, memberRoleResponders } from './member-role-stack';
export type { MemberRoleStackProps } from './member-role-stack';
export { quarantineCopyDestinations } from './iam-scopes';
export type { QuarantineCopies } from './iam-scopes';
export { FIREBREAK_DEFAULTS } from './defaults';
export { FirebreakConfigError } from './config';
export { SHIPPED_PLAYBOOKS_DIR } from './package-root';
export { AlertChannels } from './alerting';
export type { AlertChannelsProps } from './alerting';
export { Approvals, RecordKey } from './approvals';
export type { ApprovalsProps, RecordKeyProps } from './approvals';
export { Dispatcher } from './dispatcher';
export type { DispatcherProps } from './dispatcher';
export { EventRules } from './rules';
export { OversizedEventIntake } from './oversized-event-intake';
export type { OversizedEventIntakeProps } from './oversized-event-intake';
export type { EventRulesProps } from './rules';
export { GameDayBus } from './game-day-bus';
export type { GameDayBusProps } from './game-day-bus';
export { IncidentState } from './state';
export { KeptEventsQueue } from './kept-events-queue';
export type { KeptEventsQueueProps } from './kept-events-queue';
export { PlaybookMachines } from './playbooks';
export type { PlaybookMachinesProps } from './playbooks';
export { ForensicRoleStack } from './forensic-role-stack';
export type { ForensicRoleStackProps } from './forensic-role-stack';
export { Responders } from './responders';
export type { RespondersProps } from './responders';
export { ResponderFunction } from './responder-function';
export type { ResponderFunctionProps } from './responder-function';
export { loadPlaybookDirectorySync, validatePlaybookPathsSync } from '../playbooks/loader';
export type { Playbook } from '../playbooks/model';
