/**
 * The `contain-each-instance` step as Amazon States Language: an inline Map over the instances
 * triage listed (`$.decision.targets`, per-instance.ts), each item starting the per-instance
 * playbook with `states:startExecution.sync:2` under the instance's own execution name and waiting
 * for it. The per-instance execution's input is the incident with `key`, `account`, `region` and
 * `resource` replaced by the instance's (`States.JsonMerge`, a shallow merge), so its containment
 * guard, its grant and its blast-radius slot are that instance's alone.
 *
 * Every item ends with a small summary (no incident: the Map's result stays far below the 256 KiB
 * payload limit): the instance, its execution, its status and the guard's answer. A name already
 * used (every name carries the revision, so another run of this same revision handled it: a
 * confirmed copy from the oversized-event intake beside GuardDuty's delivery) ends the item as
 * `ALREADY_STARTED`; a per-instance execution that fails (it alerted its own failure) ends it as
 * `FAILED`: neither stops the other instances, and the notify step after the Map reports all.
 *
 * `.sync:2` returns the child's output as JSON
 * (https://docs.aws.amazon.com/step-functions/latest/dg/connect-stepfunctions.html); the state
 * machine's role needs states:StartExecution on the per-instance machine, DescribeExecution and
 * StopExecution on its executions, and the managed rule StepFunctionsGetEventsForStepFunctionsExecutionRule
 * (lib/stack/playbooks.ts grants them).
 */
import type { ActionStep, Playbook } from './model';
import { flattenSteps, isStartedByParent } from './model';
import type { ResponderMode } from '../contracts/responder-mode';
import { stepModeField } from './step-mode';

/** An ASL state as compile.ts's `AslState` (restated here: compile.ts imports this module). */
type AslState = { readonly Type: string } & Readonly<Record<string, unknown>>;
import { PER_CREDENTIAL_ACTION, PER_INSTANCE_ACTION } from './fan-out-names';

/** The definition-substitution name of a playbook's state machine ARN: `compromised-ec2` → `Sm_compromised_ec2`. */
export function stateMachinePlaceholder(playbook: string): string {
  return `Sm_${playbook.replace(/[^A-Za-z0-9]/g, '_')}`;
}

/**
 * The definition-substitution name of the ARN prefix of a playbook's executions
 * (`arn:aws:states:<region>:<account>:execution:<state machine name>`): `compromised-ec2` → `Ex_compromised_ec2`.
 */
export function executionArnPrefixPlaceholder(playbook: string): string {
  return `Ex_${playbook.replace(/[^A-Za-z0-9]/g, '_')}`;
}

/** Start an execution and wait for it, its output parsed as JSON. */
export const START_EXECUTION_SYNC_RESOURCE = 'arn:aws:states:::states:startExecution.sync:2';

/**
 * Step Functions' own DescribeExecution through the AWS SDK integration: the execution another run
 * of the same revision started, read again (https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html).
 */
export const DESCRIBE_EXECUTION_RESOURCE = 'arn:aws:states:::aws-sdk:sfn:describeExecution';

/** Where triage puts the instances in the playbook's input. */
export const TARGETS_PATH = '$.decision.targets';

/** What each item of the Map answers, whichever way it ended. */
export const PER_INSTANCE_STATUSES = ['SUCCEEDED', 'ALREADY_STARTED', 'FAILED'] as const;

/** State names of one `contain-each-instance` step (`name` is the step's state name). */
export function perInstanceStateNames(name: string): {
  readonly run: string;
  readonly alreadyStarted: string;
  readonly alreadyStartedRead: string;
  readonly earlier: string;
  readonly earlierEnded: string;
  readonly earlierOutput: string;
  readonly earlierSummary: string;
  readonly failed: string;
  readonly summary: string;
} {
  return {
    run: `${name}-run`,
    alreadyStarted: `${name}-already-started`,
    alreadyStartedRead: `${name}-already-started-read`,
    earlier: `${name}-earlier`,
    earlierEnded: `${name}-earlier-ended`,
    earlierOutput: `${name}-earlier-output`,
    earlierSummary: `${name}-earlier-summary`,
    failed: `${name}-run-failed`,
    summary: `${name}-summary`,
  };
}

/** Step Functions' throttling of StartExecution, retried with backoff like the responders' transient errors. */
const START_RETRY = {
  ErrorEquals: ['StepFunctions.ThrottlingException', 'StepFunctions.SdkClientException', 'StepFunctions.AWSStepFunctionsException'],
  IntervalSeconds: 1,
  BackoffRate: 2,
  MaxAttempts: 4,
  JitterStrategy: 'FULL',
} as const;

const TARGET_FIELDS = {
  'instanceId.$': '$.target.instanceId',
  'account.$': '$.target.account',
  'region.$': '$.target.region',
  'executionName.$': '$.target.executionName',
};

/**
 * The Task that starts one resource's child playbook under the target's execution name and waits
 * for it (`startExecution.sync:2`), its input the incident narrowed to that resource.
 */
function startChildExecution(playbook: string, parentPlaybook: string, resource: 'instance' | 'credential') {
  return {
    Type: 'Task',
    Comment: `Run ${playbook} for this ${resource} alone, under its own execution name, and wait for it.`,
    Resource: START_EXECUTION_SYNC_RESOURCE,
    Parameters: {
      StateMachineArn: `\${${stateMachinePlaceholder(playbook)}}`,
      'Name.$': '$.target.executionName',
      Input: {
        'incident.$': 'States.JsonMerge($.incident, $.target.incident, false)',
        'mode.$': '$.mode',
        playbook,
        parentPlaybook,
        'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$': '$$.Execution.Id',
      },
    },
  } as const;
}

/** A start retried when throttled; an execution name already used means another run of this revision ran it (read again); any other failure is the item's. */
function childExecutionOutcomes(names: { readonly earlier: string; readonly failed: string }) {
  return {
    Retry: [START_RETRY],
    Catch: [
      { ErrorEquals: ['StepFunctions.ExecutionAlreadyExistsException'], ResultPath: '$.failure', Next: names.earlier },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: names.failed },
    ],
  };
}

/** DescribeExecution's throttling and transient errors (the AWS SDK integration names them `Sfn.<exception>`). */
const DESCRIBE_RETRY = { ...START_RETRY, ErrorEquals: ['Sfn.ThrottlingException', 'Sfn.SdkClientException', 'Sfn.SfnException'] } as const;

/**
 * The execution another run of this revision started for this resource, read again so that the
 * alert says what it did rather than "see that run": its status (RUNNING: still waiting, for an
 * approval say), and once it SUCCEEDED, its guard's answer (and, with `withResults`, its steps' results) from its output.
 * The item ends with `status: ALREADY_STARTED` and `earlier`; a read that fails ends it as before,
 * without `earlier` (the name alone), and never stops the other items.
 */
function earlierExecutionStates(
  playbook: string,
  names: ReturnType<typeof perInstanceStateNames>,
  summary: Readonly<Record<string, unknown>>,
  withResults: boolean,
): Record<string, AslState> {
  return {
    [names.earlier]: {
      Type: 'Task',
      Comment: 'Another run of this revision already ran this resource under this name: read what its execution did.',
      Resource: DESCRIBE_EXECUTION_RESOURCE,
      Parameters: { 'ExecutionArn.$': `States.Format('\${${executionArnPrefixPlaceholder(playbook)}}:{}', $.target.executionName)` },
      ResultSelector: { 'status.$': '$.Status', 'executionArn.$': '$.ExecutionArn', 'ended.$': '$' },
      ResultPath: '$.earlier',
      Retry: [DESCRIBE_RETRY],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.earlierFailure', Next: names.alreadyStarted }],
      Next: names.earlierEnded,
    },
    [names.earlierEnded]: {
      Type: 'Choice',
      Comment: 'Only a succeeded execution has an output to read its guard and steps from.',
      Choices: [{ And: [{ Variable: '$.earlier.status', StringEquals: 'SUCCEEDED' }, { Variable: '$.earlier.ended.Output', IsPresent: true }], Next: names.earlierOutput }],
      Default: names.earlierSummary,
    },
    [names.earlierOutput]: {
      Type: 'Pass',
      Comment: 'Its output parsed, in place of the whole DescribeExecution answer (its input is not needed).',
      Parameters: { 'status.$': '$.earlier.status', 'executionArn.$': '$.earlier.executionArn', 'output.$': 'States.StringToJson($.earlier.ended.Output)' },
      ResultPath: '$.earlier',
      Next: names.alreadyStartedRead,
    },
    [names.earlierSummary]: {
      Type: 'Pass',
      Comment: 'The earlier execution has not succeeded (still running, failed, timed out or stopped): its status says so.',
      Parameters: { ...summary, status: 'ALREADY_STARTED', earlier: { 'status.$': '$.earlier.status', 'executionArn.$': '$.earlier.executionArn' } },
      End: true,
    },
    [names.alreadyStartedRead]: {
      Type: 'Pass',
      Comment: 'Another run of this revision already ran this resource: it is not touched again; what it did is read from its execution.',
      Parameters: {
        ...summary,
        status: 'ALREADY_STARTED',
        earlier: {
          'status.$': '$.earlier.status',
          'executionArn.$': '$.earlier.executionArn',
          'guard.$': '$.earlier.output.results.Guard.result.status',
          'reasons.$': '$.earlier.output.results.Guard.result.reasons',
          ...(withResults ? { 'results.$': '$.earlier.output.results' } : {}),
        },
      },
      End: true,
    },
    [names.alreadyStarted]: {
      Type: 'Pass',
      Comment: 'Another run of this revision already ran this resource: it is not touched again (its execution could not be read).',
      Parameters: { ...summary, status: 'ALREADY_STARTED' },
      End: true,
    },
  };
}

/**
 * The Map state of a `contain-each-instance` step. The caller names the state, claims the names of
 * `perInstanceStateNames(name)`, and sets `Catch` and `Next`/`End`; `execution` is the context every
 * responder gets (for the per-instance playbook's input it adds the parent execution).
 */
export function perInstanceMapState(step: ActionStep, name: string, parentPlaybook: string, parentMode: ResponderMode): AslState {
  if (step.action === PER_CREDENTIAL_ACTION) return perCredentialMapState(step, name, parentPlaybook, parentMode);
  const playbook = String(step.with.playbook);
  const names = perInstanceStateNames(name);
  return childMapState(step, PER_INSTANCE_ACTION, 'instances', parentMode, names.run, {
    [names.run]: {
      ...startChildExecution(playbook, parentPlaybook, 'instance'),
      ResultSelector: {
        'instanceId.$': '$.Input.incident.resource.instanceId',
        'account.$': '$.Input.incident.account',
        'region.$': '$.Input.incident.region',
        'executionName.$': '$.Name',
        'executionArn.$': '$.ExecutionArn',
        'status.$': '$.Status',
        // Every guarded playbook starts with the guard: its answer and reasons say what happened to the instance.
        'guard.$': '$.Output.results.Guard.result.status',
        'reasons.$': '$.Output.results.Guard.result.reasons',
      },
      ...childExecutionOutcomes(names),
      End: true,
    },
    ...earlierExecutionStates(playbook, names, TARGET_FIELDS, false),
    [names.failed]: {
      Type: 'Pass',
      Comment: 'The per-instance execution failed (it alerted its own failure): the other instances go on.',
      Parameters: { ...TARGET_FIELDS, status: 'FAILED', 'error.$': '$.failure.Error', 'cause.$': '$.failure.Cause' },
      End: true,
    },
  });
}

/**
 * The Map state of a `contain-each-credential` step (per-credential.ts): as for instances, one
 * `startExecution.sync:2` per credential under its own execution name, but each item's summary also
 * keeps the child's step results (`results`: the guard's answer and what disable-access-key or
 * revoke-role-sessions did to that credential, refusals with their reasons), because a credential
 * can still be refused after the guard cleared it (a protected tag set between the guard's reading
 * and the step's, a key IAM does not list as the named user's) and the one alert must say so. At most PER_CREDENTIAL_LIMITS.maxCredentials
 * items keep the result far below the 256 KiB payload limit.
 */
function perCredentialMapState(step: ActionStep, name: string, parentPlaybook: string, parentMode: ResponderMode): AslState {
  const playbook = String(step.with.playbook);
  const names = perInstanceStateNames(name);
  return childMapState(step, PER_CREDENTIAL_ACTION, 'credentials', parentMode, names.run, {
    [names.run]: {
      ...startChildExecution(playbook, parentPlaybook, 'credential'),
      ResultSelector: {
        'executionArn.$': '$.ExecutionArn',
        'status.$': '$.Status',
        // Every guarded playbook starts with the guard; its other results say what was done to the credential.
        'guard.$': '$.Output.results.Guard.result.status',
        'reasons.$': '$.Output.results.Guard.result.reasons',
        'results.$': '$.Output.results',
      },
      ResultPath: '$.run',
      ...childExecutionOutcomes(names),
      Next: names.summary,
    },
    [names.summary]: {
      Type: 'Pass',
      Comment: 'What happened to this credential: the target, its execution, the guard\'s answer and the steps\' results.',
      Parameters: {
        'target.$': '$.target',
        'executionName.$': '$.target.executionName',
        'executionArn.$': '$.run.executionArn',
        'status.$': '$.run.status',
        'guard.$': '$.run.guard',
        'reasons.$': '$.run.reasons',
        'results.$': '$.run.results',
      },
      End: true,
    },
    ...earlierExecutionStates(playbook, names, { 'target.$': '$.target', 'executionName.$': '$.target.executionName' }, true),
    [names.failed]: {
      Type: 'Pass',
      Comment: 'The per-credential execution failed (it alerted its own failure): the other credentials go on.',
      Parameters: { 'target.$': '$.target', 'executionName.$': '$.target.executionName', status: 'FAILED', 'error.$': '$.failure.Error', 'cause.$': '$.failure.Cause' },
      End: true,
    },
  });
}

/**
 * The Map over the incident's targets (triage's list) that runs `states` for each item, one child
 * playbook per resource, at most `maxConcurrency` at once; its result is shaped like a responder's,
 * so publish-alert and the records read it with the others (`instances` or `credentials`: the items).
 */
function childMapState(step: ActionStep, action: string, items: 'instances' | 'credentials', parentMode: ResponderMode, startAt: string, states: Readonly<Record<string, AslState>>): AslState {
  const playbook = String(step.with.playbook);
  const noun = items === 'instances' ? 'instance' : 'credential';
  return {
    Type: 'Map',
    Comment: `${action}: every ${noun} the incident names runs ${playbook} on its own (its guard decides for it alone).`,
    ItemsPath: TARGETS_PATH,
    // A dry-run parent starts its children in dry-run, whatever its own input says (step-mode.ts).
    ItemSelector: { 'target.$': '$$.Map.Item.Value', 'incident.$': '$.incident', ...stepModeField(parentMode) },
    MaxConcurrency: typeof step.with.maxConcurrency === 'number' ? step.with.maxConcurrency : 10,
    ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: startAt, States: states },
    ResultSelector: { result: { responder: action, status: 'done', playbook, [`${items}.$`]: '$', actions: [] } },
    ResultPath: `$.results.${step.id}`,
  };
}

/** The per-instance and per-credential playbooks a compiled definition starts (its `Sm_` substitutions). */
export function startedPlaybooks(steps: readonly ActionStep[]): string[] {
  return [...new Set(steps.filter((step) => step.action === PER_INSTANCE_ACTION || step.action === PER_CREDENTIAL_ACTION).map((step) => String(step.with.playbook)))];
}

/**
 * The deployment's playbooks, with every per-instance or per-credential playbook that only dry-run
 * playbooks start set to dry-run too (pure; docs/security.md row 2zh). Such a playbook runs only as
 * its parents' child: triage never starts it, and a dry-run parent starts it in dry-run (step-mode.ts).
 * Left in enforce (the shipped children are), a parent put in trial left the child's own state
 * machine to act for real when started by hand with `"mode": "enforce"`, its guard clearing it under
 * its own enforce rails. A child that an enforce parent starts too, or that no deployed playbook
 * starts, keeps its own mode. Repeated until nothing changes, for a child that starts children.
 */
export function withParentsTrial(playbooks: readonly Playbook[]): Playbook[] {
  let current = [...playbooks];
  for (;;) {
    const modeOf = new Map(current.map((playbook) => [playbook.name, playbook.mode]));
    const starters = new Map<string, string[]>();
    for (const playbook of current) {
      for (const child of startedPlaybooks(flattenSteps(playbook.steps))) starters.set(child, [...(starters.get(child) ?? []), playbook.name]);
    }
    const inTrial = (playbook: Playbook): boolean => {
      const parents = starters.get(playbook.name) ?? [];
      return playbook.mode === 'enforce' && isStartedByParent(playbook) && parents.length > 0 && parents.every((parent) => modeOf.get(parent) === 'dry-run');
    };
    if (!current.some(inTrial)) return current;
    current = current.map((playbook) => (inTrial(playbook) ? { ...playbook, mode: 'dry-run' } : playbook));
  }
}
