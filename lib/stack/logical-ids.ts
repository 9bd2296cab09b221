/**
 * Logical ids that survive the stack becoming a composition of constructs.
 *
 * CloudFormation identifies a resource by its logical id, and the CDK derives that id from the
 * construct path. Grouping resources that a deployed stack created at its top level under new
 * constructs (Firebreak, its alerting, responders, rules…) would change every id, and an update
 * would then replace them: the state table and the kept-event queues are retained (their data
 * orphaned, a new empty table put in their place), and every resource with a fixed name (state
 * machines, responder roles, the game-day bus) would fail to be created beside the old one.
 *
 * So a construct that only groups is marked with `groupsOnly`, and `FirebreakStack` (the app's
 * stack) leaves those constructs out of the path it derives logical ids from: the template keeps
 * the ids of the flat stack that earlier versions deployed. A stack of the user's own, which never
 * deployed the flat layout, keeps the CDK's ordinary ids (`Firebreak…` prefixed).
 */
import type { CfnElement, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

const GROUPS_ONLY = Symbol.for('firebreak.groups-only');

/** Marks `construct` as a grouping whose id `logicalIdWithoutGroupings` leaves out. */
export function groupsOnly(construct: IConstruct): void {
  Object.defineProperty(construct, GROUPS_ONLY, { value: true });
}

function isGrouping(construct: IConstruct): boolean {
  return (construct as unknown as Record<symbol, unknown>)[GROUPS_ONLY] === true;
}

/**
 * The path below `stack` that logical ids are derived from, without the groupings: what
 * `Stack.allocateLogicalId` would see had the grouped resources been created in the stack itself.
 */
export function pathWithoutGroupings(stack: Stack, element: CfnElement): IConstruct[] {
  const scopes = element.node.scopes;
  return scopes.slice(scopes.indexOf(stack) + 1).filter((scope) => !isGrouping(scope));
}

/**
 * An element standing in for `element` at its path without the groupings, for the stack's own
 * `allocateLogicalId` (which reads only `node.scopes` and `stack`): the CDK's algorithm, unchanged.
 */
export function asIfUngrouped(stack: Stack, element: CfnElement): CfnElement {
  return { node: { scopes: [stack, ...pathWithoutGroupings(stack, element)] }, stack } as unknown as CfnElement;
}
