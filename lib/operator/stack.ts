/**
 * What the live game day needs to know of the deployed stack, read from its CloudFormation outputs
 * (lib/stack/firebreak.ts declares them: GameDayEventBusName and GameDaysEnabled,
 * DispatcherArn, Playbook<Name>Arn per playbook, Mode, …). Game-day events go only to the
 * deployment's game-day bus, which exists only when the deployment names game-day principals. Pure: the outputs come in as DescribeStacks returned them. The reading is
 * tolerant (key case, a comma-separated PlaybookStateMachineArns list, a bus given as an ARN)
 * because stacks deployed by older or newer versions name things slightly differently; what is
 * really missing is named exactly, with what to do about it.
 */
import { LiveSetupError } from './errors';

/** The stack output naming the state table (lib/stack/firebreak.ts). */
export const STATE_TABLE_OUTPUT_KEY = 'StateTableName';

/** The state table a deployed stack's outputs name, or undefined. */
export function stateTableOutput(outputs: readonly StackOutput[]): string | undefined {
  return outputs.find((candidate) => candidate.key === STATE_TABLE_OUTPUT_KEY)?.value;
}

/** One CloudFormation stack output. */
export interface StackOutput {
  readonly key: string;
  readonly value: string;
  readonly description?: string;
}

/** A playbook's Standard state machine. */
export interface DeployedPlaybook {
  readonly name: string;
  readonly stateMachineArn: string;
}

/** The deployed stack, as far as the outputs tell. */
export interface DeployedStack {
  readonly stackName: string;
  readonly outputs: readonly StackOutput[];
  /** The game-day bus (GameDayEventBusName), when the deployment enables game days. */
  readonly eventBusName?: string;
  /** The GameDaysEnabled output: false when the deployment accepts no game-day event. */
  readonly gameDaysEnabled?: boolean;
  readonly dispatcherArn?: string;
  readonly playbooks: readonly DeployedPlaybook[];
  /** `dry-run` or `enforce` (the `Mode` output), when the stack says. */
  readonly mode?: string;
  /** CloudFormation's StackStatus (a stack being created or rolled back may lack outputs). */
  readonly status?: string;
}

/** The output keys this module reads. */
export const OUTPUT_KEYS = {
  eventBus: 'GameDayEventBusName',
  gameDaysEnabled: 'GameDaysEnabled',
  dispatcher: 'DispatcherArn',
  playbookList: 'PlaybookStateMachineArns',
  mode: 'Mode',
} as const;

const PLAYBOOK_OUTPUT = /^Playbook(.+)Arn$/i;
const STATE_MACHINE_ARN = /^arn:[\w-]+:states:[\w-]+:\d{12}:stateMachine:([A-Za-z0-9_-]{1,80})$/;

function output(outputs: readonly StackOutput[], key: string): StackOutput | undefined {
  return outputs.find((candidate) => candidate.key === key) ?? outputs.find((candidate) => candidate.key.toLowerCase() === key.toLowerCase());
}

/** `PlaybookCompromisedEc2InstanceArn` → `compromised-ec2-instance` when neither the description nor the ARN says better. */
function kebab(pascal: string): string {
  return pascal
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}

/** The playbook name of a state machine: the output's "Playbook <name>" description, else the ARN's name less the stack prefix. */
function playbookName(stackName: string, arn: string, description: string | undefined, keyPart: string | undefined): string {
  const described = description ? /^Playbook\s+([a-z0-9][a-z0-9-]*)$/.exec(description.trim())?.[1] : undefined;
  if (described) return described;
  const machine = STATE_MACHINE_ARN.exec(arn)?.[1];
  if (machine?.startsWith(`${stackName}-`)) return machine.slice(stackName.length + 1);
  if (keyPart) return kebab(keyPart);
  return machine ?? arn;
}

/** An event bus given as an ARN (`arn:aws:events:…:event-bus/NAME`) works as EventBusName too, but the name reads better. */
function busName(value: string): string {
  const match = /^arn:[\w-]+:events:[\w-]+:\d{12}:event-bus\/(.+)$/.exec(value);
  return match?.[1] ?? value;
}

/** Reads the deployed stack's outputs. */
export function readDeployedStack(stackName: string, outputs: readonly StackOutput[], status?: string): DeployedStack {
  const playbooks = new Map<string, DeployedPlaybook>();
  for (const candidate of outputs) {
    if (candidate.key.toLowerCase() === OUTPUT_KEYS.playbookList.toLowerCase()) {
      for (const arn of candidate.value.split(',').map((item) => item.trim()).filter(Boolean)) {
        if (!playbooks.has(arn)) playbooks.set(arn, { name: playbookName(stackName, arn, undefined, undefined), stateMachineArn: arn });
      }
      continue;
    }
    const keyPart = PLAYBOOK_OUTPUT.exec(candidate.key)?.[1];
    if (keyPart === undefined || !STATE_MACHINE_ARN.test(candidate.value)) continue;
    if (!playbooks.has(candidate.value)) {
      playbooks.set(candidate.value, { name: playbookName(stackName, candidate.value, candidate.description, keyPart), stateMachineArn: candidate.value });
    }
  }
  const eventBus = output(outputs, OUTPUT_KEYS.eventBus)?.value;
  const dispatcher = output(outputs, OUTPUT_KEYS.dispatcher)?.value;
  const mode = output(outputs, OUTPUT_KEYS.mode)?.value;
  const enabled = output(outputs, OUTPUT_KEYS.gameDaysEnabled)?.value.trim().toLowerCase();
  return {
    stackName,
    outputs,
    ...(eventBus ? { eventBusName: busName(eventBus) } : {}),
    ...(enabled === 'true' || enabled === 'false' ? { gameDaysEnabled: enabled === 'true' } : {}),
    ...(dispatcher ? { dispatcherArn: dispatcher } : {}),
    playbooks: [...playbooks.values()].sort((a, b) => a.name.localeCompare(b.name)),
    ...(mode ? { mode } : {}),
    ...(status ? { status } : {}),
  };
}

function missingOutput(stack: DeployedStack, key: string, alternative: string): LiveSetupError {
  const present = stack.outputs.map((candidate) => candidate.key).sort();
  const settled = stack.status === undefined || /^(CREATE|UPDATE|IMPORT)_COMPLETE$/.test(stack.status);
  return new LiveSetupError(
    `stack ${stack.stackName} has no output ${key} (its outputs: ${present.length ? present.join(', ') : 'none'}${settled ? '' : `; stack status ${stack.status}`}): redeploy it from this repository (\`npx cdk deploy Firebreak\`) or ${alternative}`,
  );
}

/** How to turn game days on, said wherever they are found off. */
export const ENABLE_GAME_DAYS =
  'redeploy it with the principals allowed to inject (`npx cdk deploy Firebreak -c gameDayPrincipals=arn:aws:iam::<account>:role/<game-day role>`)';

/**
 * Refuses `--event-bus default` (by name or ARN): Firebreak never accepts game-day events there. A
 * flag problem, so the command checks it before credentials and the stack; `gameDayBus` is named
 * when the stack has been read.
 */
export function refuseDefaultEventBus(flag: string | undefined, gameDayBus?: string): void {
  if (flag === undefined || busName(flag) !== 'default') return;
  throw new LiveSetupError(
    `--event-bus default: Firebreak accepts no game-day event on the default bus (anyone with events:PutEvents there could forge one); drop --event-bus to use the stack's game-day bus${gameDayBus ? ` (${gameDayBus})` : ''}`,
  );
}

/**
 * The bus to put game-day events on: `--event-bus`, else the GameDayEventBusName output. Refuses
 * the default bus (Firebreak never accepts game-day events there) and says clearly when the
 * deployment has game days off.
 */
export function requireEventBus(stack: DeployedStack, flag: string | undefined): string {
  refuseDefaultEventBus(flag, stack.eventBusName);
  if (stack.gameDaysEnabled === false && stack.eventBusName === undefined) {
    throw new LiveSetupError(
      `game days are not enabled in stack ${stack.stackName} (its GameDaysEnabled output is false, so it has no game-day bus and accepts no injection); nothing was injected: ${ENABLE_GAME_DAYS}`,
    );
  }
  if (flag) return busName(flag);
  if (stack.eventBusName) return stack.eventBusName;
  throw missingOutput(stack, OUTPUT_KEYS.eventBus, `pass --event-bus NAME (the deployment's game-day bus); if it has none, ${ENABLE_GAME_DAYS}`);
}

/** The playbook state machines to follow with --watch. */
export function requirePlaybooks(stack: DeployedStack): readonly DeployedPlaybook[] {
  if (stack.playbooks.length > 0) return stack.playbooks;
  throw missingOutput(
    stack,
    'Playbook<Name>Arn (one per playbook state machine)',
    'drop --watch and follow the executions in the Step Functions console',
  );
}
