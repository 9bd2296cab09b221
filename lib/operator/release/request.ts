/**
 * The release request, pure: which state machine releases, under which execution name, with which
 * input. The release playbook (playbooks/release-instance.yaml, trigger manual) is a Standard state
 * machine like every playbook; `firebreak release` starts it directly, without EventBridge or the
 * dispatcher, with an incident that Firebreak raises itself (source `firebreak`) naming the
 * instance, so that the responders, the alert and the timeline treat a release like any incident.
 */
import type { DeployedStack } from '../stack';
import { FIREBREAK_TAGS, isPlaceholderInstanceId } from '../../responders/instance-state';
import type { ManualExecutionInput, ManualRequest, ManualRequestParts } from '../manual-request';
import { buildManualRequest, compactSecond } from '../manual-request';
import { ReleaseSetupError } from './errors';
import { sha256Hex } from '../../incident/keys';

/** The playbook `firebreak release` starts (playbooks/release-instance.yaml). */
export const RELEASE_PLAYBOOK = 'release-instance';

/**
 * The stack output naming the release playbook's state machine. Stacks that only declare one
 * `Playbook<Name>Arn` output per playbook are read too (`PlaybookReleaseInstanceArn`).
 */
export const RELEASE_OUTPUT_KEY = 'ReleaseStateMachineArn';

/** The finding type of a release incident: not a GuardDuty type, so no playbook routes it. */
export const RELEASE_FINDING_TYPE = 'Firebreak:Release';

/** The instance tag quarantine writes the incident key to (release restores it to its recorded value). */
export const INCIDENT_TAG = FIREBREAK_TAGS.incident;

/** An EC2 instance id: `i-` and 8 or 17 hex digits. */
export const INSTANCE_ID_PATTERN = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
/** The incident key format the responders accept (lib/responders/incident-schema.ts). */
export const INCIDENT_KEY_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** A state machine ARN: `arn:<partition>:states:<region>:<account>:stateMachine:<name>`. */
export const STATE_MACHINE_ARN_PATTERN = /^arn:[\w-]+:states:[a-z]{2}(?:-[a-z]+)+-\d+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;

/** What the release playbook's execution starts with: what every manual playbook reads (lib/operator/manual-request.ts). */
export type ReleaseExecutionInput = ManualExecutionInput<typeof RELEASE_PLAYBOOK>;

/** Everything a release request is made from, checked already: the common parts and the instance. */
export interface ReleaseRequestParts extends ManualRequestParts {
  readonly instanceId: string;
  /** The instance's tags, when they were read (for the alert). */
  readonly tags?: Readonly<Record<string, string>>;
}

/** The request: the execution name and input of StartExecution. */
export type ReleaseRequest = ManualRequest<ReleaseExecutionInput>;

/**
 * `release-<instance>-<UTC second>-<8 hex of the incident key's SHA-256>`, at most 53 characters
 * (the limit is 80): a request sent twice within the same second starts one release, and the
 * releases of two incidents holding one instance (several findings on it) never collide on the name.
 */
export function releaseExecutionName(instanceId: string, at: Date, incidentKey: string): string {
  return `release-${instanceId}-${compactSecond(at)}-${sha256Hex(incidentKey).slice(0, 8)}`;
}

/** Builds the release execution's name and input (pure; times are to the second, see buildManualRequest). */
export function buildReleaseRequest(parts: ReleaseRequestParts): ReleaseRequest {
  return buildManualRequest(RELEASE_PLAYBOOK, parts, {
    executionName: (second) => releaseExecutionName(parts.instanceId, second, parts.incidentKey),
    findingType: RELEASE_FINDING_TYPE,
    asked: `Release of ${parts.instanceId}`,
    resource: { kind: 'ec2-instance', instanceId: parts.instanceId, networkInterfaces: [], tags: { ...(parts.tags ?? {}) } },
  });
}

/** Refuses a GuardDuty sample's placeholder id (i-99999999): there is no such instance to release. */
export function checkReleasableInstanceId(instanceId: string): void {
  if (isPlaceholderInstanceId(instanceId)) {
    throw new ReleaseSetupError(
      `--instance ${instanceId} is a placeholder id of GuardDuty sample findings: samples never quarantine anything, so there is nothing to release`,
    );
  }
}

/**
 * The incident key from the instance's `firebreak:incident` tag, or a ReleaseSetupError saying
 * why there is none and to pass --incident.
 */
export function incidentKeyFromTags(instanceId: string, tags: Readonly<Record<string, string>>): string {
  const key = tags[INCIDENT_TAG];
  if (key === undefined) {
    // Release puts the tags back as they were before quarantine, so a released instance has no incident tag any more.
    const released = tags[FIREBREAK_TAGS.status] === 'released';
    throw new ReleaseSetupError(
      released
        ? `${instanceId} has no ${INCIDENT_TAG} tag and is tagged ${FIREBREAK_TAGS.status}=released${tags[FIREBREAK_TAGS.releasedAt] ? ` at ${tags[FIREBREAK_TAGS.releasedAt]}` : ''}: it looks released already; pass --incident KEY to run the release playbook anyway (it reports already-released if so)`
        : `${instanceId} has no ${INCIDENT_TAG} tag, so the incident that quarantined it is unknown (or it was never quarantined: a dry-run deployment changes and tags nothing, so there is nothing to release): pass --incident KEY (the key is in the quarantine alert)`,
    );
  }
  if (!INCIDENT_KEY_PATTERN.test(key)) {
    throw new ReleaseSetupError(
      // Quoted as JSON: anyone who may tag the instance writes it, and its line feeds stay escaped.
      `the ${INCIDENT_TAG} tag of ${instanceId} is ${JSON.stringify(key)}, which is not an incident key (letters, digits, "-" or "_", at most 64): pass --incident KEY (the key is in the quarantine alert)`,
    );
  }
  return key;
}

/** What the state table says of the instance's pre-quarantine record: its unsealed attributes, a claim the release step verifies. */
export interface RecordedQuarantine {
  /** The incident that wrote the record. */
  readonly incidentKey: string;
  readonly released: boolean;
  /** The incidents that hold the instance quarantined (the record's claims; its own incident for a record older than claims). */
  readonly claims: readonly string[];
}

/**
 * The incident a release names before any tag is read (pure). With an unreleased record: --incident
 * when it holds a claim on the instance (the release step refuses any other incident, and the
 * instance's tag can be changed by anyone who may tag the instance); without --incident, the one
 * incident holding it, or the record's own among several. Without a record, --incident; else
 * undefined, and the tag tells (incidentKeyFromTags).
 */
export function releaseIncidentOf(instanceId: string, recorded: RecordedQuarantine | undefined, incident: string | undefined): string | undefined {
  if (recorded === undefined || recorded.released) return incident;
  const holders = recorded.claims;
  if (incident !== undefined) {
    if (holders.includes(incident)) return incident;
    throw new ReleaseSetupError(
      `${instanceId} is held quarantined by incident ${holders.join(', incident ')} (its pre-quarantine record), not ${incident}: the release step would refuse; pass --incident ${holders[0] ?? recorded.incidentKey}`,
    );
  }
  if (holders.length === 1) return holders[0];
  if (holders.includes(recorded.incidentKey)) return recorded.incidentKey;
  throw new ReleaseSetupError(
    `${instanceId} is held quarantined by incidents ${holders.join(', ')}: pass --incident KEY for the one to release (each release takes back only its own incident's claim; the last one restores the instance)`,
  );
}

/**
 * What the requester should know before the approval (pure): the other incidents that still hold
 * the instance, so that this release takes back only its own claim and the instance stays
 * quarantined; undefined when this incident holds it alone (or nothing is known).
 */
export function otherClaimsNotice(instanceId: string, recorded: RecordedQuarantine | undefined, incidentKey: string): string | undefined {
  if (recorded === undefined || recorded.released) return undefined;
  const others = recorded.claims.filter((key) => key !== incidentKey);
  if (others.length === 0) return undefined;
  const holders = others.length === 1 ? `incident ${others[0]!} also holds it` : `incidents ${others.join(', ')} also hold it`;
  return `${instanceId} stays quarantined after this release: ${holders}. The release takes back only incident ${incidentKey}'s claim; the release of the last incident holding ${instanceId} restores it.`;
}

/** Where the release state machine's ARN came from, for the message. */
export interface ReleaseStateMachine {
  readonly stateMachineArn: string;
  /** The output key it was read from, or `--state-machine-arn`. */
  readonly from: string;
}

/**
 * The release playbook's state machine in the deployed stack: the ReleaseStateMachineArn output,
 * else the per-playbook output of `release-instance`; a ReleaseSetupError naming both otherwise.
 */
export function releaseStateMachineOf(stack: DeployedStack, where: string): ReleaseStateMachine {
  const lower = RELEASE_OUTPUT_KEY.toLowerCase();
  const output = stack.outputs.find((candidate) => candidate.key === RELEASE_OUTPUT_KEY) ?? stack.outputs.find((candidate) => candidate.key.toLowerCase() === lower);
  if (output) {
    if (STATE_MACHINE_ARN_PATTERN.test(output.value)) return { stateMachineArn: output.value, from: `output ${output.key}` };
    throw new ReleaseSetupError(
      `output ${output.key} of stack ${stack.stackName} in ${where} is "${output.value}", not a state machine ARN: redeploy the stack, or pass --state-machine-arn ARN of the release state machine`,
    );
  }
  const playbook = stack.playbooks.find((candidate) => candidate.name === RELEASE_PLAYBOOK);
  if (playbook) {
    const key = stack.outputs.find((candidate) => candidate.value === playbook.stateMachineArn)?.key ?? 'PlaybookStateMachineArns';
    return { stateMachineArn: playbook.stateMachineArn, from: `output ${key}` };
  }
  const present = stack.outputs.map((candidate) => candidate.key).sort();
  throw new ReleaseSetupError(
    `stack ${stack.stackName} in ${where} has no release playbook: no output ${RELEASE_OUTPUT_KEY} nor Playbook<Name>Arn of ${RELEASE_PLAYBOOK} (its outputs: ${present.length ? present.join(', ') : 'none'}); deploy playbooks/${RELEASE_PLAYBOOK}.yaml with \`npx cdk deploy Firebreak\`, or pass --state-machine-arn ARN of the release state machine`,
  );
}
