/**
 * Assembles the Firebreak CDK app from context: reads the configuration, loads the playbooks,
 * builds both stacks (Firebreak for the security account, FirebreakMemberRole for every member
 * account) and registers cdk-nag. `bin/app.ts` (what `cdk.json` runs), the tests and the local
 * game-day engine (`synthesizeDefinitions`) all build the app here, so they agree on what is deployed.
 */
import path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { CfnElement , Stack} from 'aws-cdk-lib';
import type { CfnStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadPlaybookDirectory } from '../playbooks/loader';
import type { Playbook } from '../playbooks/model';
import { readFirebreakConfig } from './config';
import { FIREBREAK_DEFAULTS } from './defaults';
import { FirebreakStack } from './firebreak-stack';
import type { Firebreak } from './firebreak';
import type { ResponderFunction } from './responder-function';
import { MemberRoleStack, memberAccountActionsByResponder } from './member-role-stack';
import { ForensicRoleStack } from './forensic-role-stack';
import { quarantineCopyDestinations } from './iam-scopes';
import { evidenceLockMaxDays, securityHubWorkflowStatuses } from '../playbooks/rails';
import { flattenSteps } from '../playbooks/model';
import { RESPONDER_NAMES } from '../contracts/responders';
import { PROJECT_ROOT } from './package-root';

/** The stack id (and default CloudFormation stack name). */
export const FIREBREAK_STACK_ID = 'Firebreak';

/** The member-role stack id: `npx cdk deploy FirebreakMemberRole` in a member account, or its template as a StackSet. */
export const MEMBER_ROLE_STACK_ID = 'FirebreakMemberRole';
/** The forensic-role stack's id (deployed into the forensic account). */
export const FORENSIC_ROLE_STACK_ID = 'FirebreakForensicRole';

/** CDK context that skips asset bundling for every stack (tests and definition synthesis). */
export const SKIP_BUNDLING_CONTEXT = { 'aws:cdk:bundling-stacks': [] as string[] };

export interface FirebreakAppOptions {
  /** CDK context (the keys of docs/deploy.md, plus any CDK context such as SKIP_BUNDLING_CONTEXT). */
  readonly context?: Record<string, unknown>;
  /**
   * The playbooks to deploy.
   * @default loaded from the `playbooksDir` context key (relative to the repository root)
   */
  readonly playbooks?: readonly Playbook[];
  /**
   * Register cdk-nag's AWS Solutions checks (they run at synth and fail it on any unacknowledged finding).
   * @default true
   */
  readonly nag?: boolean;
  /**
   * Run aws-cdk-lib's built-in CloudFormation template validation at synth (a WASM rules engine
   * that takes seconds); turned off where only the definitions matter.
   * @default true
   */
  readonly cfnValidation?: boolean;
  /** Where the cloud assembly goes. @default the CDK default (cdk.out, or a temporary directory outside the CLI) */
  readonly outdir?: string;
  /**
   * Also build the member-role stack (skipped anyway when no deployed step acts in member accounts).
   * @default true
   */
  readonly memberRoleStack?: boolean;
}

export interface FirebreakApp {
  readonly app: App;
  readonly stack: FirebreakStack;
  /** The member-role stack, when built. */
  readonly memberRole?: MemberRoleStack;
  /** The forensic-role stack, when a playbook copies evidence and the forensic account is configured. */
  readonly forensicRole?: ForensicRoleStack;
  readonly nag?: AwsSolutionsChecks;
}

/** Builds the app and its stack from context; loads the playbooks unless they are given. */
export async function buildFirebreakApp(options: FirebreakAppOptions = {}): Promise<FirebreakApp> {
  const app = new App({
    ...(options.context ? { context: options.context } : {}),
    ...(options.outdir ? { outdir: options.outdir } : {}),
    builtinCloudFormationValidation: options.cfnValidation ?? true,
  });
  const config = readFirebreakConfig(
    (key) => app.node.tryGetContext(key) as unknown,
    Object.keys(app.node.getAllContext() as Record<string, unknown>),
  );
  // The context keys are the construct's props (one schema checks both), but for the app's own:
  // the playbook folder is the repository's, and the member-role stack's settings.
  const { playbooksDir, securityAccountId, securityRegions, ...settings } = config;
  const playbooks =
    options.playbooks ?? (await loadPlaybookDirectory(path.resolve(PROJECT_ROOT, playbooksDir ?? FIREBREAK_DEFAULTS.playbooksDir)));

  const stack = new FirebreakStack(app, FIREBREAK_STACK_ID, {
    // Environment-agnostic unless the CLI knows the account: synth works offline, without credentials.
    // Also when the CLI's account is the forensic account, whose credentials deploy the
    // FirebreakForensicRole stack there: the Firebreak stack's CloudFormation rule then fails its own
    // deployment into that account, and the app still synthesizes for the forensic role (row 11y).
    ...(process.env.CDK_DEFAULT_ACCOUNT && process.env.CDK_DEFAULT_REGION && process.env.CDK_DEFAULT_ACCOUNT !== config.forensicAccountId
      ? { env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION } }
      : {}),
    ...settings,
    playbooks,
  });

  // Environment-agnostic on purpose: the same template goes to every member account (StackSets
  // included), the security account arriving as the SecurityAccountId parameter unless configured.
  const responderActions = memberAccountActionsByResponder(playbooks);
  const lockMaxDays = evidenceLockMaxDays(playbooks);
  const memberRole =
    options.memberRoleStack === false || Object.keys(responderActions).length === 0
      ? undefined
      : new MemberRoleStack(app, MEMBER_ROLE_STACK_ID, {
          responderActions,
          ...(securityAccountId ? { securityAccountId } : {}),
          ...(securityRegions ? { securityRegions } : {}),
          ...(config.memberRoleName ? { roleName: config.memberRoleName } : {}),
          ...(config.sessionRevokerRoleName ? { sessionRevokerRoleName: config.sessionRevokerRoleName } : {}),
          ...(config.memberRoleExternalId ? { externalId: config.memberRoleExternalId } : {}),
          ...(config.privilegedRoleNamePatterns ? { privilegedRoleNamePatterns: config.privilegedRoleNamePatterns } : {}),
          ...(config.forensicAccountId ? { forensicAccountId: config.forensicAccountId } : {}),
          ...(config.protectedTagKey ? { protectedTagKey: config.protectedTagKey } : {}),
          quarantineCopies: quarantineCopyDestinations(playbooks),
          ...(lockMaxDays !== undefined ? { evidenceLockMaxDays: lockMaxDays } : {}),
          securityHubWorkflowStatuses: securityHubWorkflowStatuses(playbooks),
        });
  // The forensic account's role, when a playbook copies evidence there (deployed into that account).
  const copies = playbooks.some((playbook) => flattenSteps(playbook.steps).some((step) => step.action === RESPONDER_NAMES.copyEvidence));
  const forensicRole =
    copies && config.forensicKmsKeyArn !== undefined
      ? new ForensicRoleStack(app, FORENSIC_ROLE_STACK_ID, {
          forensicKmsKeyArn: config.forensicKmsKeyArn,
          ...(securityAccountId ? { securityAccountId } : {}),
          ...(securityRegions ? { securityRegions } : {}),
          ...(config.forensicRoleName ? { roleName: config.forensicRoleName } : {}),
          ...(config.servedAccountIds ? { sourceAccountIds: config.servedAccountIds } : {}),
          ...(config.memberRoleExternalId ? { externalId: config.memberRoleExternalId } : {}),
        })
      : undefined;

  const built = { app, stack, ...(memberRole ? { memberRole } : {}), ...(forensicRole ? { forensicRole } : {}) };
  if (options.nag === false) return built;
  const nag = new AwsSolutionsChecks(app, { verbose: true });
  Validations.of(app).addPlugins(nag);
  return { ...built, nag };
}

/** A deployed state machine's definition as the template carries it, before CloudFormation substitutes. */
export interface SynthesizedDefinition {
  /** The JSON text of the template's `Definition` (ASL with `${…}` placeholders), as Step Functions receives it. */
  readonly definition: string;
  /** `DefinitionSubstitutions` as the template has them (CloudFormation intrinsics for ARNs). */
  readonly substitutions: Record<string, unknown>;
}

export interface SynthesizedDefinitions {
  readonly dispatcher: SynthesizedDefinition;
  /** By playbook name. */
  readonly playbooks: Record<string, SynthesizedDefinition>;
  /**
   * The literal environment variables of each responder function, by responder (values that are
   * CloudFormation references, such as the topic ARN, are left out: the game day supplies its own).
   */
  readonly environments?: Record<string, Record<string, string>>;
  /**
   * The approval function's literal environment variables (FIREBREAK_APPROVER_ARNS, the denied role
   * prefixes), when a playbook is guarded: the game day answers approvals through it as deployed.
   */
  readonly approvalEnvironment?: Record<string, string>;
  /**
   * The synthesized templates themselves (roles, policies, event rules), for a game day that
   * rehearses IAM and event patterns as deployed. Absent in hand-made definitions.
   */
  readonly deployment?: SynthesizedDeployment;
}

/** A CloudFormation template as the CDK synthesizes it. */
export interface CfnTemplate {
  readonly Resources: Record<string, { readonly Type: string; readonly Properties?: Record<string, unknown> }>;
  readonly Parameters?: Record<string, unknown>;
  readonly Outputs?: Record<string, { readonly Value?: unknown; readonly Description?: string }>;
}

/** The logical ids of what the game day maps to its own resources. */
export interface DeploymentLogicalIds {
  readonly alertTopic: string;
  readonly alertKey: string;
  /** The operations topic (the backup channel) and its own key. */
  readonly operationsTopic: string;
  readonly operationsKey: string;
  readonly stateTable: string;
  readonly unprocessableEventsQueue: string;
  readonly undeliveredEventsQueue: string;
  readonly dispatcher: { readonly stateMachine: string; readonly role: string };
  /** By responder name. */
  readonly responders: Record<string, { readonly function: string; readonly role: string; readonly logGroup: string }>;
  /** By playbook name. */
  readonly playbooks: Record<string, { readonly stateMachine: string; readonly role: string }>;
  /** In the member-role template, by responder: its member role (none without a member-role template). */
  readonly memberRoles?: Readonly<Record<string, string>>;
  /** In the member-role template, by responder that writes role policies: its session-revoker role. */
  readonly sessionRevokerRoles?: Readonly<Record<string, string>>;
  /** The forensic role in the forensic-role template, when one is synthesized. */
  readonly forensicRole?: string;
  /** The KMS key that seals pre-quarantine records, when deployed. */
  readonly recordKey?: string;
  /** The approval function, when any playbook is guarded. */
  readonly approvals?: { readonly function: string; readonly role: string; readonly logGroup: string };
  /** The emergency-pause function (firebreak pause / resume), when any playbook is guarded. */
  readonly emergencyPause?: { readonly function: string; readonly role: string; readonly logGroup: string };
}

/** The deployed templates and where Firebreak's resources sit in them. */
export interface SynthesizedDeployment {
  readonly template: CfnTemplate;
  readonly memberRoleTemplate?: CfnTemplate;
  /** The forensic-role stack's template (deployed in the forensic account), when a playbook copies evidence. */
  readonly forensicRoleTemplate?: CfnTemplate;
  readonly logicalIds: DeploymentLogicalIds;
}

/** The responder functions the game day runs as local responders: the playbooks' (and triage's), and the oversized-event intake. */
function functionsOf(firebreak: Firebreak): [string, ResponderFunction][] {
  return [...firebreak.responders, [RESPONDER_NAMES.oversizedEvent, firebreak.oversizedEventIntake]];
}

/**
 * The exact state machine definitions the app deploys, taken from the synthesized template
 * (bundling and cdk-nag skipped: only the definitions matter). The local game-day engine runs
 * these with aws-local-stepfunctions after replacing the placeholders (`applySubstitutions`).
 */
export async function synthesizeDefinitions(options: Omit<FirebreakAppOptions, 'nag'> = {}): Promise<SynthesizedDefinitions> {
  const built = await buildFirebreakApp({
    ...options,
    nag: false,
    cfnValidation: false,
    context: { ...options.context, ...SKIP_BUNDLING_CONTEXT },
  });
  const { app } = built;
  const firebreak = built.stack.firebreak;
  const assembly = app.synth();
  const artifactId = built.stack.artifactId;
  const template = assembly.getStackArtifact(artifactId).template as CfnTemplate;
  const memberRoleTemplate = built.memberRole ? (assembly.getStackArtifact(built.memberRole.artifactId).template as CfnTemplate) : undefined;
  const forensicRoleTemplate = built.forensicRole ? (assembly.getStackArtifact(built.forensicRole.artifactId).template as CfnTemplate) : undefined;
  const idOf = (construct: { node: { defaultChild?: unknown } }, within: Stack = built.stack): string =>
    within.getLogicalId(construct.node.defaultChild as CfnElement);
  const idsOf = (roles: ReadonlyMap<string, { node: { defaultChild?: unknown } }>, within: Stack): Record<string, string> =>
    Object.fromEntries([...roles].map(([responder, role]) => [responder, idOf(role, within)]));
  const definitionOf = (machine: { node: { defaultChild: unknown } }): SynthesizedDefinition => {
    const logicalId = built.stack.getLogicalId(machine.node.defaultChild as CfnStateMachine);
    const properties = template.Resources[logicalId]?.Properties;
    const definition = properties?.Definition;
    if (!properties || typeof definition !== 'object' || definition === null) {
      throw new Error(`state machine ${logicalId} has no literal Definition in the template`);
    }
    return {
      definition: JSON.stringify(definition),
      substitutions: (properties.DefinitionSubstitutions ?? {}) as Record<string, unknown>,
    };
  };
  const environmentOf = (fn: { node: { defaultChild: unknown } }): Record<string, string> => {
    const logicalId = built.stack.getLogicalId(fn.node.defaultChild as CfnFunction);
    const variables = (template.Resources[logicalId]?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    return Object.fromEntries(Object.entries(variables).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  };
  const logicalIds: DeploymentLogicalIds = {
    alertTopic: idOf(firebreak.alertTopic),
    alertKey: idOf(firebreak.alertKey),
    operationsTopic: idOf(firebreak.operationsTopic),
    operationsKey: idOf(firebreak.operationsKey),
    stateTable: idOf(firebreak.stateTable),
    unprocessableEventsQueue: idOf(firebreak.unprocessableEventsQueue),
    undeliveredEventsQueue: idOf(firebreak.undeliveredEventsQueue),
    dispatcher: { stateMachine: idOf(firebreak.dispatcher), role: idOf(firebreak.dispatcher.role) },
    responders: Object.fromEntries(
      functionsOf(firebreak).map(([name, responder]) => [name, { function: idOf(responder.function), role: idOf(responder.role), logGroup: idOf(responder.logGroup) }]),
    ),
    playbooks: Object.fromEntries([...firebreak.playbookStateMachines].map(([name, machine]) => [name, { stateMachine: idOf(machine), role: idOf(machine.role) }])),
    ...(built.memberRole
      ? {
          memberRoles: idsOf(built.memberRole.roles, built.memberRole),
          sessionRevokerRoles: idsOf(built.memberRole.sessionRevokerRoles, built.memberRole),
        }
      : {}),
    ...(built.forensicRole ? { forensicRole: idOf(built.forensicRole.role, built.forensicRole) } : {}),
    ...(firebreak.recordKey ? { recordKey: idOf(firebreak.recordKey.key) } : {}),
    ...(firebreak.approvals
      ? { approvals: { function: idOf(firebreak.approvals.function.function), role: idOf(firebreak.approvals.function.role), logGroup: idOf(firebreak.approvals.function.logGroup) } }
      : {}),
    ...(firebreak.emergencyPause
      ? {
          emergencyPause: {
            function: idOf(firebreak.emergencyPause.function.function),
            role: idOf(firebreak.emergencyPause.function.role),
            logGroup: idOf(firebreak.emergencyPause.function.logGroup),
          },
        }
      : {}),
  };
  return {
    dispatcher: definitionOf(firebreak.dispatcher),
    playbooks: Object.fromEntries([...firebreak.playbookStateMachines].map(([name, machine]) => [name, definitionOf(machine)])),
    environments: Object.fromEntries(functionsOf(firebreak).map(([responder, fn]) => [responder, environmentOf(fn.function)])),
    ...(firebreak.approvals ? { approvalEnvironment: environmentOf(firebreak.approvals.function.function) } : {}),
    deployment: { template, ...(memberRoleTemplate ? { memberRoleTemplate } : {}), ...(forensicRoleTemplate ? { forensicRoleTemplate } : {}), logicalIds },
  };
}
