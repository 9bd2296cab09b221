/**
 * The deployed stack as the local game day rehearses it: the identity policies of every role and
 * the EventBridge rules that feed the dispatcher, read from the synthesized templates
 * (`synthesizeDefinitions`) with their CloudFormation intrinsics resolved to the game day's own
 * resources (the alert topic and key, the state table, the queues, the local function and state
 * machine ARNs). Also the local names of those resources, in one place for the engine and the backend.
 */
import type { CfnTemplate, DeploymentLogicalIds, SynthesizedDeployment } from '../stack/app';
import { DEFAULT_FORENSIC_ROLE_NAME, SECURITY_ENV } from '../contracts/security';
import { LOCAL_RESPONDERS } from './responders';
import { patternMismatch } from './event-patterns';
import type { PolicyDocument, PolicyStatement } from './sim/iam-policy';
import { FirebreakError } from '../contracts/errors';
import { RESPONDER_NAMES } from '../contracts/responders';
import { DEPLOYMENT_ENV } from '../contracts/environment';

/**
 * The organization of a member-account game day (settings.securityAccount): the deployment confines
 * the member role to it (`aws:ResourceOrgID`), and the simulated accounts belong to it.
 */
export const LOCAL_ORGANIZATION_ID = 'o-firebreakgameday';

/** The role the dispatcher's service integrations (SQS, SNS) run as. */
export const DISPATCHER_ROLE = 'firebreak-dispatcher';

/** The role a responder's Lambda runs as (the stack's naming for responders that act in accounts). */
export function responderRole(responder: string, region: string): string {
  return `firebreak-responder-${region}-${responder}`;
}

/** The role the approval function runs as. */
export const APPROVAL_ROLE = 'firebreak-approval';

/** The role the emergency-pause function runs as (firebreak pause / resume). */
export const PAUSE_CONTROL_ROLE = 'firebreak-emergency-pause';

/** The role a playbook's state machine runs as (lambda:InvokeFunction of its responders). */
export function playbookRole(playbook: string): string {
  return `firebreak-states-${playbook}`;
}

/**
 * The local name of any other role of the template (an EventBridge target role…): its construct
 * id, the logical id without the CDK's hash.
 */
export function templateRole(logicalId: string): string {
  return `firebreak-cfn-${logicalId.replace(/[0-9A-F]{8}$/, '')}`;
}

/** The local ARN of a responder's function. */
export function localFunctionArn(region: string, account: string, responder: string): string {
  return `arn:aws:lambda:${region}:${account}:function:firebreak-${responder}`;
}

/** The local ARN of a state machine (`Firebreak-dispatcher`, `Firebreak-<playbook>`). */
export function localStateMachineArn(region: string, account: string, name: string): string {
  return `arn:aws:states:${region}:${account}:stateMachine:${name}`;
}

export const DISPATCHER_MACHINE = 'Firebreak-dispatcher';

export function playbookMachineName(playbook: string): string {
  return `Firebreak-${playbook}`;
}

/**
 * The member-account roles, as a scenario's `removedStatements` names them (a member-account game
 * day only: settings.securityAccount): `member-role:<responder>`, `session-revoker-role:<responder>`.
 */
export const MEMBER_ROLE = 'member-role';
export const SESSION_REVOKER_ROLE = 'session-revoker-role';

/** How `removedStatements` names a responder's role in the member account (`member-role:quarantine-instance`). */
export function memberAccountRoleLabel(kind: typeof MEMBER_ROLE | typeof SESSION_REVOKER_ROLE, responder: string): string {
  return `${kind}:${responder}`;
}

const MEMBER_ACCOUNT_ROLE_LABEL = new RegExp(`^(?:${MEMBER_ROLE}|${SESSION_REVOKER_ROLE}):(.+)$`);

/** The responder a `member-role:<responder>` or `session-revoker-role:<responder>` label names, if it is one. */
export function memberAccountRoleResponder(label: string): string | undefined {
  const match = MEMBER_ACCOUNT_ROLE_LABEL.exec(label);
  return match?.[1];
}

/** The roles a scenario's `removedStatements` may name (besides `playbook:<name>` and the member-account roles). */
export const REMOVABLE_ROLES: readonly string[] = [...LOCAL_RESPONDERS, 'dispatcher', RESPONDER_NAMES.approval, RESPONDER_NAMES.emergencyPause];

/** The definitions cannot be mapped to local resources (an intrinsic the game day cannot resolve, a rule target it does not rehearse). */
export class DeploymentTemplateError extends FirebreakError {
  override readonly name = 'DeploymentTemplateError';
}

/** The game day's own resources the template's references resolve to. */
export interface LocalDeploymentResources {
  readonly account: string;
  readonly region: string;
  readonly alertTopicArn: string;
  readonly alertKeyArn?: string;
  /** The backup (operations) topic and its key, when the backend prepared them. */
  readonly backupTopicArn?: string;
  readonly backupKeyArn?: string;
  readonly stateTableName: string;
  readonly unprocessableEventsQueueUrl: string;
  /** The undelivered-events queue, when the backend prepared one. */
  readonly undeliveredEventsQueueUrl?: string;
  /** The KMS key that seals pre-quarantine records, when the backend created one. */
  readonly recordKeyArn?: string;
}

interface Resolved {
  readonly ref: string;
  readonly arn: string;
}

function queueArn(region: string, account: string, url: string): string {
  return `arn:aws:sqs:${region}:${account}:${url.split('/').pop() ?? url}`;
}

/** The game day's own resources, as a prepared environment's deployment names them ('' record key: none). */
export function localDeploymentResources(
  deployment: Omit<LocalDeploymentResources, 'recordKeyArn'> & { readonly recordKeyArn: string },
): LocalDeploymentResources {
  return {
    account: deployment.account,
    region: deployment.region,
    alertTopicArn: deployment.alertTopicArn,
    ...(deployment.alertKeyArn !== undefined ? { alertKeyArn: deployment.alertKeyArn } : {}),
    ...(deployment.backupTopicArn !== undefined ? { backupTopicArn: deployment.backupTopicArn } : {}),
    ...(deployment.backupKeyArn !== undefined ? { backupKeyArn: deployment.backupKeyArn } : {}),
    stateTableName: deployment.stateTableName,
    unprocessableEventsQueueUrl: deployment.unprocessableEventsQueueUrl,
    ...(deployment.undeliveredEventsQueueUrl !== undefined ? { undeliveredEventsQueueUrl: deployment.undeliveredEventsQueueUrl } : {}),
    ...(deployment.recordKeyArn ? { recordKeyArn: deployment.recordKeyArn } : {}),
  };
}

/** Ref / Arn of every logical id the game day knows, for one template. */
function localValues(ids: DeploymentLogicalIds, local: LocalDeploymentResources, template?: CfnTemplate): Map<string, Resolved> {
  const { account, region } = local;
  const values = new Map<string, Resolved>();
  // Every other role keeps a name of its own (overwritten below for the roles the engine signs as).
  for (const [logicalId, resource] of Object.entries(template?.Resources ?? {})) {
    if (resource.Type !== 'AWS::IAM::Role') continue;
    const role = templateRole(logicalId);
    values.set(logicalId, { ref: role, arn: `arn:aws:iam::${account}:role/${role}` });
  }
  const keyArn = local.alertKeyArn ?? `arn:aws:kms:${region}:${account}:key/00000000-0000-4000-8000-000000000000`;
  values.set(ids.alertTopic, { ref: local.alertTopicArn, arn: local.alertTopicArn });
  values.set(ids.alertKey, { ref: keyArn.split('/').pop() ?? keyArn, arn: keyArn });
  if (local.backupTopicArn !== undefined) {
    values.set(ids.operationsTopic, { ref: local.backupTopicArn, arn: local.backupTopicArn });
    const backupKeyArn = local.backupKeyArn ?? `arn:aws:kms:${region}:${account}:key/00000000-0000-4000-8000-000000000001`;
    values.set(ids.operationsKey, { ref: backupKeyArn.split('/').pop() ?? backupKeyArn, arn: backupKeyArn });
  }
  values.set(ids.stateTable, { ref: local.stateTableName, arn: `arn:aws:dynamodb:${region}:${account}:table/${local.stateTableName}` });
  values.set(ids.unprocessableEventsQueue, { ref: local.unprocessableEventsQueueUrl, arn: queueArn(region, account, local.unprocessableEventsQueueUrl) });
  const undelivered = local.undeliveredEventsQueueUrl ?? `https://sqs.${region}.amazonaws.com/${account}/firebreak-undelivered-events`;
  values.set(ids.undeliveredEventsQueue, { ref: undelivered, arn: queueArn(region, account, undelivered) });
  const dispatcherArn = localStateMachineArn(region, account, DISPATCHER_MACHINE);
  values.set(ids.dispatcher.stateMachine, { ref: dispatcherArn, arn: dispatcherArn });
  values.set(ids.dispatcher.role, { ref: DISPATCHER_ROLE, arn: `arn:aws:iam::${account}:role/${DISPATCHER_ROLE}` });
  for (const [responder, logical] of Object.entries(ids.responders)) {
    const role = responderRole(responder, region);
    values.set(logical.function, { ref: `firebreak-${responder}`, arn: localFunctionArn(region, account, responder) });
    values.set(logical.role, { ref: role, arn: `arn:aws:iam::${account}:role/${role}` });
    const logGroup = `/aws/lambda/firebreak-${responder}`;
    values.set(logical.logGroup, { ref: logGroup, arn: `arn:aws:logs:${region}:${account}:log-group:${logGroup}:*` });
  }
  if (ids.recordKey !== undefined && local.recordKeyArn) {
    values.set(ids.recordKey, { ref: local.recordKeyArn.split('/').pop() ?? local.recordKeyArn, arn: local.recordKeyArn });
  }
  if (ids.approvals) {
    values.set(ids.approvals.function, { ref: APPROVAL_ROLE, arn: localFunctionArn(region, account, RESPONDER_NAMES.approval) });
    values.set(ids.approvals.role, { ref: APPROVAL_ROLE, arn: `arn:aws:iam::${account}:role/${APPROVAL_ROLE}` });
    values.set(ids.approvals.logGroup, { ref: '/aws/lambda/firebreak-approval', arn: `arn:aws:logs:${region}:${account}:log-group:/aws/lambda/firebreak-approval:*` });
  }
  if (ids.emergencyPause) {
    const logGroup = `/aws/lambda/firebreak-${RESPONDER_NAMES.emergencyPause}`;
    values.set(ids.emergencyPause.function, { ref: `firebreak-${RESPONDER_NAMES.emergencyPause}`, arn: localFunctionArn(region, account, RESPONDER_NAMES.emergencyPause) });
    values.set(ids.emergencyPause.role, { ref: PAUSE_CONTROL_ROLE, arn: `arn:aws:iam::${account}:role/${PAUSE_CONTROL_ROLE}` });
    values.set(ids.emergencyPause.logGroup, { ref: logGroup, arn: `arn:aws:logs:${region}:${account}:log-group:${logGroup}:*` });
  }
  for (const [playbook, logical] of Object.entries(ids.playbooks)) {
    const arn = localStateMachineArn(region, account, playbookMachineName(playbook));
    values.set(logical.stateMachine, { ref: arn, arn });
    const role = playbookRole(playbook);
    values.set(logical.role, { ref: role, arn: `arn:aws:iam::${account}:role/${role}` });
  }
  return values;
}

/** Resolves the CloudFormation intrinsics the CDK emits (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split). */
export function resolveIntrinsics(value: unknown, lookup: (logicalId: string, attribute: 'Ref' | string) => string): unknown {
  if (Array.isArray(value)) return value.map((item) => resolveIntrinsics(item, lookup));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [name, argument] = entries[0] as [string, unknown];
    switch (name) {
      case 'Ref':
        return lookup(String(argument), 'Ref');
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(argument) ? argument : String(argument).split('.');
        return lookup(String(id), String(attribute));
      }
      case 'Fn::Join': {
        const [separator, parts] = argument as [string, unknown[]];
        return (resolveIntrinsics(parts, lookup) as unknown[]).map(String).join(separator);
      }
      case 'Fn::Select': {
        const [index, list] = argument as [number | string, unknown];
        return (resolveIntrinsics(list, lookup) as unknown[])[Number(index)];
      }
      case 'Fn::Split': {
        const [separator, text] = argument as [string, unknown];
        return String(resolveIntrinsics(text, lookup)).split(separator);
      }
      case 'Fn::Sub': {
        const [text, variables] = Array.isArray(argument) ? (argument as [string, Record<string, unknown>]) : [String(argument), {}];
        const resolvedVariables = resolveIntrinsics(variables, lookup) as Record<string, unknown>;
        return text.replace(/\$\{([^}!]+)\}/g, (_match, reference: string) => {
          if (reference in resolvedVariables) return String(resolvedVariables[reference]);
          const [id, attribute] = reference.split('.');
          return lookup(id as string, attribute ?? 'Ref');
        });
      }
      default:
        if (name.startsWith('Fn::')) throw new DeploymentTemplateError(`the game day cannot resolve ${name} in the synthesized template`);
    }
  }
  return Object.fromEntries(entries.map(([key, item]) => [key, resolveIntrinsics(item, lookup)]));
}

function lookupIn(template: CfnTemplate, values: Map<string, Resolved>, local: LocalDeploymentResources, parameters: Record<string, string> = {}) {
  return (id: string, attribute: string): string => {
    switch (id) {
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::AccountId':
        return local.account;
      case 'AWS::Region':
        return local.region;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return 'Firebreak';
      default:
        break;
    }
    if (id in parameters) return parameters[id] as string;
    const known = values.get(id);
    if (known) return attribute === 'Ref' ? known.ref : known.arn;
    // Anything else (log delivery, tracing…) is never called locally: an ARN nothing matches.
    const type = template.Resources[id]?.Type ?? 'unknown';
    return `arn:aws:cloudformation:${local.region}:${local.account}:unresolved/${type}/${id}/${attribute}`;
  };
}

function documentsOfRole(template: CfnTemplate, roleLogicalId: string): PolicyDocument[] {
  const role = template.Resources[roleLogicalId];
  const inline = ((role?.Properties?.Policies ?? []) as { PolicyDocument: PolicyDocument }[]).map((policy) => policy.PolicyDocument);
  // CDK moves what it estimates will not fit a role's default policy into managed policies of the
  // role (`<Role>OverflowPolicy<n>`), attached through their Roles property as an AWS::IAM::Policy is.
  const attached = Object.values(template.Resources)
    .filter((resource) => resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy')
    .filter((resource) => ((resource.Properties?.Roles ?? []) as unknown[]).some((ref) => (ref as { Ref?: string }).Ref === roleLogicalId))
    .map((resource) => resource.Properties?.PolicyDocument as PolicyDocument);
  return [...inline, ...attached];
}

function isRecordLike(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The identity policies of each local role (by role name), resolved. */
export interface DeployedPolicies {
  /** Security-account roles by local role name: responders, the dispatcher, each playbook's state machine. */
  readonly roles: ReadonlyMap<string, readonly PolicyDocument[]>;
}

/** Reads and resolves every role's identity policies from the synthesized templates. */
export function deployedPolicies(deployment: SynthesizedDeployment, local: LocalDeploymentResources): DeployedPolicies {
  const ids = deployment.logicalIds;
  const values = localValues(ids, local, deployment.template);
  const lookup = lookupIn(deployment.template, values, local);
  const resolve = (documents: PolicyDocument[]) => documents.map((document) => resolveIntrinsics(document, lookup) as PolicyDocument);
  const roles = new Map<string, readonly PolicyDocument[]>();
  for (const [logicalId, resource] of Object.entries(deployment.template.Resources)) {
    if (resource.Type === 'AWS::IAM::Role') roles.set(values.get(logicalId)?.ref ?? templateRole(logicalId), resolve(documentsOfRole(deployment.template, logicalId)));
  }
  for (const [responder, logical] of Object.entries(ids.responders)) roles.set(responderRole(responder, local.region), resolve(documentsOfRole(deployment.template, logical.role)));
  roles.set(DISPATCHER_ROLE, resolve(documentsOfRole(deployment.template, ids.dispatcher.role)));
  for (const [playbook, logical] of Object.entries(ids.playbooks)) roles.set(playbookRole(playbook), resolve(documentsOfRole(deployment.template, logical.role)));
  return { roles };
}

/** A resource-based policy of the deployment, on a resource the game day has. */
export interface DeployedResourcePolicy {
  readonly resourceArn: string;
  readonly document: PolicyDocument;
  /**
   * A KMS key policy: it decides on its own, and identity policies count only where it delegates
   * to the account (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html).
   */
  readonly authoritative: boolean;
}

/** The key, queue, topic and table policies of the template, for the resources the game day maps (resolved). */
export function deployedResourcePolicies(deployment: SynthesizedDeployment, local: LocalDeploymentResources): DeployedResourcePolicy[] {
  const { template, logicalIds } = deployment;
  const values = localValues(logicalIds, local, template);
  const lookup = lookupIn(template, values, local);
  const policies: DeployedResourcePolicy[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const properties = resource.Properties ?? {};
    if (resource.Type === 'AWS::KMS::Key' && properties.KeyPolicy !== undefined && values.has(logicalId)) {
      policies.push({ resourceArn: (values.get(logicalId) as Resolved).arn, document: resolveIntrinsics(properties.KeyPolicy, lookup) as PolicyDocument, authoritative: true });
    }
    // The state table's policy sits on the table itself (ResourcePolicy.PolicyDocument).
    const tablePolicy = resource.Type === 'AWS::DynamoDB::Table' ? (properties.ResourcePolicy as { PolicyDocument?: unknown } | undefined)?.PolicyDocument : undefined;
    if (tablePolicy !== undefined && values.has(logicalId)) {
      policies.push({ resourceArn: (values.get(logicalId) as Resolved).arn, document: resolveIntrinsics(tablePolicy, lookup) as PolicyDocument, authoritative: false });
    }
    const targets =
      resource.Type === 'AWS::SQS::QueuePolicy' ? (properties.Queues as unknown[] | undefined) : resource.Type === 'AWS::SNS::TopicPolicy' ? (properties.Topics as unknown[] | undefined) : undefined;
    for (const target of targets ?? []) {
      const id = (target as { Ref?: string }).Ref;
      const known = id !== undefined ? values.get(id) : undefined;
      if (!known) continue;
      policies.push({ resourceArn: known.arn, document: resolveIntrinsics(properties.PolicyDocument, lookup) as PolicyDocument, authoritative: false });
    }
  }
  return policies;
}

/** How a template deployed in another account (member, forensic) resolves there: the security account and Region arrive as its parameters. */
function otherAccountLookup(template: CfnTemplate, local: LocalDeploymentResources, account: string): ReturnType<typeof lookupIn> {
  return lookupIn(template, new Map(), { ...local, account }, { SecurityAccountId: local.account, SecurityRegion: local.region });
}

/** A role of another account as its template deploys it there, resolved for that account. */
export interface AccountRole {
  readonly roleArn: string;
  readonly roleName: string;
  readonly documents: readonly PolicyDocument[];
  /** Its AssumeRolePolicyDocument, which the simulated STS evaluates. */
  readonly trustPolicy: PolicyDocument;
}

/**
 * The member-account roles resolved for one member account, as the member-role template deploys
 * them there, by their `removedStatements` label: each responder's member role (its trust admits
 * that responder's role alone, on condition of aws:PrincipalArn, and the ExternalId when the
 * deployment sets one) and the session revoker of each responder that writes role policies.
 * Absent when the deployment has no member-role template.
 */
export function memberAccountRoles(deployment: SynthesizedDeployment, local: LocalDeploymentResources, memberAccount: string): ReadonlyMap<string, AccountRole> | undefined {
  const template = deployment.memberRoleTemplate;
  const { memberRoles, sessionRevokerRoles } = deployment.logicalIds;
  if (!template || !memberRoles) return undefined;
  const role = (id: string) => roleInAccount(template, id, local, memberAccount, id);
  return new Map([
    ...Object.entries(memberRoles).map(([responder, id]) => [memberAccountRoleLabel(MEMBER_ROLE, responder), role(id)] as const),
    ...Object.entries(sessionRevokerRoles ?? {}).map(([responder, id]) => [memberAccountRoleLabel(SESSION_REVOKER_ROLE, responder), role(id)] as const),
  ]);
}

/** A value of each responder function's synthesized environment, by the function role's local name (a function the stack gives none has none, as in Lambda). */
function environmentValueByRole(environments: Readonly<Record<string, Readonly<Record<string, string>>>> | undefined, region: string, variable: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const [responder, environment] of Object.entries(environments ?? {})) {
    const value = environment[variable];
    if (value !== undefined) values.set(responderRole(responder, region), value);
  }
  return values;
}

/** What each responder's role sends as ExternalId when it assumes a member-account role: its function's synthesized FIREBREAK_MEMBER_ROLE_EXTERNAL_ID. */
export function memberRoleExternalIds(environments: Readonly<Record<string, Readonly<Record<string, string>>>> | undefined, region: string): Map<string, string> {
  return environmentValueByRole(environments, region, DEPLOYMENT_ENV.memberRoleExternalId);
}

/** The member role each responder's role assumes in a member account: its function's synthesized FIREBREAK_MEMBER_ROLE_NAME (its own role there). */
export function memberRoleNamesByRole(environments: Readonly<Record<string, Readonly<Record<string, string>>>> | undefined, region: string): Map<string, string> {
  return environmentValueByRole(environments, region, SECURITY_ENV.memberRoleName);
}

/**
 * The forensic role's policies resolved for the forensic account (its template is deployed there;
 * the security account and region arrive as its parameters): undefined when no playbook copies
 * evidence. Keyed by the role's ARN in that account; `trustPolicy` is its AssumeRolePolicyDocument,
 * which the simulated STS evaluates (who may assume the role is as much the template's as what it may do).
 */
export function forensicRolePolicies(
  deployment: SynthesizedDeployment,
  local: LocalDeploymentResources,
  forensicAccount: string,
): AccountRole | undefined {
  const template = deployment.forensicRoleTemplate;
  const id = deployment.logicalIds.forensicRole;
  if (!template || !id) return undefined;
  return roleInAccount(template, id, local, forensicAccount, DEFAULT_FORENSIC_ROLE_NAME);
}

/** The role `id` of a template deployed in `account`, resolved there: its ARN, name, policies and trust policy. */
function roleInAccount(template: CfnTemplate, id: string, local: LocalDeploymentResources, account: string, defaultName: string): AccountRole {
  const lookup = otherAccountLookup(template, local, account);
  const properties = template.Resources[id]?.Properties ?? {};
  const roleName = String(properties.RoleName ?? defaultName);
  return {
    roleArn: `arn:aws:iam::${account}:role/${roleName}`,
    roleName,
    documents: documentsOfRole(template, id).map((document) => resolveIntrinsics(document, lookup) as PolicyDocument),
    trustPolicy: resolveIntrinsics(properties.AssumeRolePolicyDocument, lookup) as PolicyDocument,
  };
}

/** Removes the statements with these Sids from a role's documents; returns the new documents and what was not found. */
export function withoutStatements(documents: readonly PolicyDocument[], sids: readonly string[]): { documents: PolicyDocument[]; missing: string[] } {
  const found = new Set<string>();
  const kept = documents.map((document) => {
    const statements = (Array.isArray(document.Statement) ? document.Statement : [document.Statement]) as PolicyStatement[];
    return {
      ...document,
      Statement: statements.filter((statement) => {
        if (statement.Sid !== undefined && sids.includes(statement.Sid)) {
          found.add(statement.Sid);
          return false;
        }
        return true;
      }),
    };
  });
  return { documents: kept, missing: sids.filter((sid) => !found.has(sid)) };
}

/** The Sids of a role's statements (for messages). */
export function statementSids(documents: readonly PolicyDocument[]): string[] {
  return documents.flatMap((document) => (Array.isArray(document.Statement) ? document.Statement : [document.Statement]) as PolicyStatement[]).flatMap((statement) => (statement.Sid ? [statement.Sid] : []));
}

/** One EventBridge rule that delivers to the dispatcher. */
export interface DeployedRule {
  /** The rule's construct id (`GuardDutyFindingsRule`): its logical id without the CDK's hash. */
  readonly name: string;
  readonly logicalId: string;
  /** The bus it is on: `default` or a custom bus name. */
  readonly bus: string;
  readonly pattern: Record<string, unknown>;
  readonly description?: string;
  /** The local role EventBridge assumes to start the dispatcher (the target's RoleArn), when the target names one. */
  readonly targetRole?: string;
  /**
   * The responder function the rule also targets (the oversized-event intake), which EventBridge
   * invokes asynchronously with the same event, beside the dispatcher.
   */
  readonly functionTarget?: string;
}

/** The template's rules that target the dispatcher, with their bus and pattern (intrinsics resolved for `local`). */
export function deployedRules(deployment: SynthesizedDeployment, local: LocalDeploymentResources): DeployedRule[] {
  const { template, logicalIds } = deployment;
  const values = localValues(logicalIds, local, template);
  const lookup = lookupIn(template, values, local);
  const busName = (reference: unknown): string => {
    if (reference === undefined) return 'default';
    const id = isRecordLike(reference) ? ((reference.Ref as string | undefined) ?? (reference['Fn::GetAtt'] as string[] | undefined)?.[0]) : undefined;
    const bus = id !== undefined ? template.Resources[id] : undefined;
    if (bus?.Type === 'AWS::Events::EventBus') return String(resolveIntrinsics(bus.Properties?.Name, lookup));
    const resolved = String(resolveIntrinsics(reference, lookup));
    return resolved.startsWith('arn:') ? (resolved.split('/').pop() ?? resolved) : resolved;
  };
  const targetsDispatcher = (targets: unknown): boolean =>
    ((targets ?? []) as { Arn?: unknown }[]).some((target) => JSON.stringify(target.Arn ?? null).includes(`"${logicalIds.dispatcher.stateMachine}"`));
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Events::Rule')
    .filter(([, resource]) => resource.Properties?.State !== 'DISABLED' && targetsDispatcher(resource.Properties?.Targets))
    .map(([logicalId, resource]) => {
      // The game day hands each target the whole event and keeps what a target could not take in
      // the undelivered-events queue. A target that reshapes the event or has no dead-letter
      // queue (EventBridge would drop what it could not deliver) is not rehearsed: refused, not
      // silently rehearsed as something else (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html).
      for (const target of (resource.Properties?.Targets ?? []) as Record<string, unknown>[]) {
        const reshaping = ['Input', 'InputPath', 'InputTransformer'].find((field) => target[field] !== undefined);
        const problem = reshaping !== undefined ? `sets ${reshaping}` : target.DeadLetterConfig === undefined ? 'has no dead-letter queue (DeadLetterConfig)' : undefined;
        if (problem !== undefined) {
          throw new DeploymentTemplateError(`rule ${logicalId.replace(/[0-9A-F]{8}$/, '')}: target ${String(target.Id ?? '?')} ${problem}, which the game day does not rehearse (it delivers the whole event and keeps what a target refuses)`);
        }
      }
      const pattern = resource.Properties?.EventPattern;
      const parsed = typeof pattern === 'string' ? (JSON.parse(pattern) as Record<string, unknown>) : (resolveIntrinsics(pattern, lookup) as Record<string, unknown>);
      const description = resource.Properties?.Description;
      const target = ((resource.Properties?.Targets ?? []) as { Arn?: unknown; RoleArn?: unknown }[]).find((candidate) =>
        JSON.stringify(candidate.Arn ?? null).includes(`"${logicalIds.dispatcher.stateMachine}"`),
      );
      const roleArn = target?.RoleArn !== undefined ? String(resolveIntrinsics(target.RoleArn, lookup)) : undefined;
      // A Lambda target: the responder whose function it names.
      const functionTarget = Object.entries(logicalIds.responders).find(([, ids]) =>
        ((resource.Properties?.Targets ?? []) as { Arn?: unknown }[]).some((candidate) => JSON.stringify(candidate.Arn ?? null).includes(`"${ids.function}"`)),
      )?.[0];
      return {
        ...(roleArn !== undefined ? { targetRole: roleArn.split('/').pop() ?? roleArn } : {}),
        ...(functionTarget !== undefined ? { functionTarget } : {}),
        name: logicalId.replace(/[0-9A-F]{8}$/, ''),
        logicalId,
        bus: busName(resource.Properties?.EventBusName),
        pattern: parsed,
        ...(typeof description === 'string' ? { description } : {}),
      };
    });
}

/** How EventBridge routed one event: the rules on its bus that matched, and why each other rule did not. */
export interface EventRouting {
  readonly bus: string;
  /** Rules that deliver it (EventBridge delivers once per matching rule). */
  readonly matched: readonly string[];
  /** The other rules of that bus, with the first field that failed. */
  readonly refused: readonly { readonly rule: string; readonly reason: string }[];
  /**
   * Rules that matched but whose dispatcher target's role may not start the dispatcher (also in
   * `refused`, with the reason): EventBridge puts the event in that target's dead-letter queue, and
   * still delivers it to the rule's other targets.
   */
  readonly deniedTargets?: readonly { readonly rule: string; readonly reason: string }[];
}

/**
 * The bus an injected event is put on when the scenario does not say: AWS services deliver their
 * events (`aws.*` sources) to the default bus; anything else is put where a rule expects its
 * source (the game-day rule's bus), else on the default bus.
 */
export function busFor(event: unknown, rules: readonly DeployedRule[]): string {
  const source = event !== null && typeof event === 'object' ? (event as { source?: unknown }).source : undefined;
  if (typeof source !== 'string' || source.startsWith('aws.')) return 'default';
  const custom = rules.filter((rule) => rule.bus !== 'default');
  // The bus of a rule that takes the whole event, else of one whose source matcher takes its source.
  const matching = custom.find((rule) => patternMismatch(rule.pattern, event) === undefined);
  const expecting = custom.find((rule) => rule.pattern.source === undefined || patternMismatch({ source: rule.pattern.source }, { source }) === undefined);
  return matching?.bus ?? expecting?.bus ?? 'default';
}

/** Routes one event put on `bus` through the rules (pure). */
export function routeEvent(event: unknown, bus: string, rules: readonly DeployedRule[]): EventRouting {
  const matched: string[] = [];
  const refused: { rule: string; reason: string }[] = [];
  for (const rule of rules) {
    if (rule.bus !== bus) continue;
    const reason = patternMismatch(rule.pattern, event);
    if (reason === undefined) matched.push(rule.name);
    else refused.push({ rule: rule.name, reason });
  }
  return { bus, matched, refused };
}

/**
 * How EventBridge delivers one event to the dispatcher: the rules of its bus whose pattern matches,
 * less those whose target role may not start the dispatcher (`authorize` answers a denial): that is
 * a failed delivery, not a delivery. EventBridge does not retry a missing permission: it sends the
 * event straight to the target's dead-letter queue (the undelivered-events queue), and the rule's
 * other targets (the oversized-event intake, invoked under its function's resource policy, not
 * this role) still get it: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
 */
export function routeToDispatcher(
  event: unknown,
  bus: string,
  rules: readonly DeployedRule[],
  dispatcherArn: string,
  authorize: ((role: string, iamAction: string, resourceArn: string) => string | undefined) | undefined,
): EventRouting {
  const routed = routeEvent(event, bus, rules);
  const refused = [...routed.refused];
  const deniedTargets: { rule: string; reason: string }[] = [];
  const matched = routed.matched.filter((name) => {
    const role = rules.find((rule) => rule.name === name)?.targetRole;
    const denial = role === undefined ? undefined : authorize?.(role, 'states:StartExecution', dispatcherArn);
    if (denial !== undefined) {
      const reason = `matched, but its target role cannot start the dispatcher (EventBridge does not retry a missing permission: the event goes to the undelivered-events queue, and the rule's other targets still get it): ${denial}`;
      refused.push({ rule: name, reason });
      deniedTargets.push({ rule: name, reason: denial });
    }
    return denial === undefined;
  });
  return { bus, matched, refused, ...(deniedTargets.length > 0 ? { deniedTargets } : {}) };
}
