/**
 * Game-day events: real-format templates (EventBridge envelopes of GuardDuty findings and
 * CloudWatch alarm state changes, or GetFindings output) turned into the event a scenario injects.
 * A template is aimed at an instance of the prepared environment (its id, ENIs, groups, profile and
 * tags replace the template's), then overridden by dotted path.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PROJECT_ROOT } from '../stack/package-root';
import type { ResolvedEnvironment, ResolvedInstance } from './backend';
import { FirebreakError } from '../contracts/errors';

/**
 * Where templates are looked for, first match wins: the events the game day ships
 * (playbooks/events, beside the scenarios that inject them), then the shared copies of published
 * events when that folder exists.
 */
export function defaultTemplateDirectories(root: string = PROJECT_ROOT): string[] {
  return [resolve(root, 'playbooks/events'), resolve(root, '../shared/events')].filter((dir) => existsSync(dir));
}

/** An unknown template, a path that cannot be set, a reference to nothing. */
export class GameDayEventError extends FirebreakError {
  override readonly name = 'GameDayEventError';
}

/** Template names (file names without .json) by the file that holds each. */
export async function listTemplates(directories: readonly string[] = defaultTemplateDirectories()): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const dir of directories) {
    for (const entry of (await readdir(dir)).sort()) {
      if (!entry.endsWith('.json')) continue;
      const name = entry.slice(0, -'.json'.length);
      if (!found.has(name)) found.set(name, join(dir, entry));
    }
  }
  return found;
}

/** Reads one template. */
export async function loadTemplate(name: string, directories: readonly string[] = defaultTemplateDirectories()): Promise<Record<string, unknown>> {
  const file = (await listTemplates(directories)).get(name);
  if (file === undefined) throw new GameDayEventError(`no event template '${name}' in ${directories.join(', ')}`);
  return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Replaces every occurrence of `from` in every string of `value` (ids in titles and descriptions). */
function replaceEverywhere(value: unknown, from: string, to: string): unknown {
  if (typeof value === 'string') return value.split(from).join(to);
  if (Array.isArray(value)) return value.map((item) => replaceEverywhere(item, from, to));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, replaceEverywhere(item, from, to)]));
  return value;
}

function guardDutyInstanceDetails(instance: ResolvedInstance, previous: Json): Json {
  return {
    ...previous,
    instanceId: instance.instanceId,
    ...(instance.instanceType ? { instanceType: instance.instanceType } : {}),
    ...(instance.availabilityZone ? { availabilityZone: instance.availabilityZone } : {}),
    instanceState: instance.state,
    iamInstanceProfile: instance.instanceProfileArn ? { arn: instance.instanceProfileArn, id: instance.instanceProfileId ?? 'AIPAGAMEDAYEXAMPLE' } : null,
    networkInterfaces: instance.networkInterfaces.map((eni) => ({
      ipv6Addresses: [],
      networkInterfaceId: eni.networkInterfaceId,
      privateIpAddress: eni.privateIp,
      privateIpAddresses: [{ privateIpAddress: eni.privateIp }],
      subnetId: eni.subnetId,
      vpcId: eni.vpcId,
      securityGroups: eni.groups.map((group) => ({ groupId: group.groupId, groupName: group.name })),
    })),
    tags: Object.entries(instance.tags).map(([key, value]) => ({ key, value })),
  };
}

/** The instance id a template names, if any (GuardDuty instance details or an alarm's InstanceId dimension). */
function templateInstanceId(event: Json): string | undefined {
  const detail = isObject(event.detail) ? event.detail : undefined;
  const details = isObject(detail?.resource) && isObject(detail.resource.instanceDetails) ? detail.resource.instanceDetails : undefined;
  if (typeof details?.instanceId === 'string') return details.instanceId;
  const text = JSON.stringify(event);
  return /"InstanceId"\s*:\s*"(i-[0-9a-f]+)"/.exec(text)?.[1];
}

/** The event as its account would send it: the template's account replaced everywhere (ARNs, ids, the envelope). */
function fromAccount(event: Json, account: string): Json {
  const templateAccount = typeof event.account === 'string' ? event.account : undefined;
  return templateAccount !== undefined && templateAccount !== account ? (replaceEverywhere(event, templateAccount, account) as Json) : event;
}

/**
 * Aims an EventBridge-format event at an instance: the account, region, instance id (everywhere,
 * titles included), and for GuardDuty the ENIs with their groups, the profile and the tags as the
 * environment has them, as GuardDuty would report them.
 */
export function aimEventAt(event: Json, instance: ResolvedInstance): Json {
  const original = templateInstanceId(event);
  let aimed = structuredClone(event);
  if (original !== undefined) aimed = replaceEverywhere(aimed, original, instance.instanceId) as Json;
  const templateAccount = typeof aimed.account === 'string' ? aimed.account : undefined;
  const templateRegion = typeof aimed.region === 'string' ? aimed.region : undefined;
  if (templateAccount && templateAccount !== instance.account) aimed = replaceEverywhere(aimed, templateAccount, instance.account) as Json;
  if (templateRegion && templateRegion !== instance.region) aimed = replaceEverywhere(aimed, templateRegion, instance.region) as Json;
  aimed.account = instance.account;
  aimed.region = instance.region;
  const detail = aimed.detail;
  if (isObject(detail) && isObject(detail.resource) && isObject(detail.resource.instanceDetails)) {
    detail.resource.instanceDetails = guardDutyInstanceDetails(instance, detail.resource.instanceDetails);
  }
  return aimed;
}

/** Resolves `${instances.web.instanceId}`-style references against the prepared environment. */
export function resolveReferences(value: unknown, environment: ResolvedEnvironment): unknown {
  if (typeof value === 'string') {
    const whole = /^\$\{([^}]+)\}$/.exec(value);
    if (whole) return lookup(whole[1] as string, environment);
    return value.replace(/\$\{([^}]+)\}/g, (_match, path: string) => String(lookup(path, environment)));
  }
  if (Array.isArray(value)) return value.map((item) => resolveReferences(item, environment));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolveReferences(item, environment)]));
  return value;
}

function lookup(path: string, environment: ResolvedEnvironment): unknown {
  let current: unknown = environment;
  for (const segment of path.split('.')) {
    if (current === null || typeof current !== 'object' || !(segment in current)) {
      throw new GameDayEventError(`\${${path}} refers to nothing in the prepared environment (at '${segment}')`);
    }
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/** Sets `value` at a dotted path (`detail.service.additionalInfo.sample`), creating objects on the way; numeric segments index arrays. */
export function setPath(target: Json, path: string, value: unknown): void {
  const segments = path.split('.');
  let current: unknown = target;
  segments.forEach((segment, index) => {
    const last = index === segments.length - 1;
    if (Array.isArray(current)) {
      const position = Number(segment);
      if (!Number.isInteger(position) || position < 0) throw new GameDayEventError(`'${path}': '${segment}' indexes a list, so it must be a number`);
      if (last) current[position] = value;
      else {
        current[position] ??= {};
        current = current[position];
      }
      return;
    }
    if (!isObject(current)) throw new GameDayEventError(`'${path}': cannot set '${segment}' inside a ${current === null ? 'null' : typeof current}`);
    if (last) current[segment] = value;
    else {
      if (current[segment] === undefined || current[segment] === null) current[segment] = {};
      current = current[segment];
    }
  });
}

/** The EventBridge detail-type of a GuardDuty finding (aws.guardduty, or firebreak.gameday for a game day's own). */
const GUARDDUTY_FINDING_DETAIL_TYPE = 'GuardDuty Finding';

/**
 * Why the GuardDuty finding an event carries could not be delivered at `deliveredAt` (the
 * simulated clock), or undefined when its times can be true: GuardDuty sends a finding after it
 * created it (`detail.createdAt`) and last updated it (`detail.updatedAt`), and updates it only
 * after creating it. A finding "from the future" hides what depends on its age: snapshot-volumes
 * takes as its evidence only snapshots started after the finding was created
 * (snapshot-plan.ts `notTakenForIncident`), so a retried step could never find its own. The same
 * holds for a CloudWatch alarm's state change (`detail.state.timestamp`, after
 * `detail.previousState.timestamp`). Any event's EventBridge `time` too, which EventBridge stamps
 * when the event is put and is an S3 scan result's only time (its incident's creation,
 * lib/incident/malware.ts). Times that cannot be read are left to the parser, whose refusal a
 * scenario may rehearse.
 */
export function impossibleFindingTimes(event: unknown, deliveredAt: Date): string | undefined {
  if (!isObject(event)) return undefined;
  const envelope = stampOf(event.time, 'time');
  if (envelope !== undefined && envelope.at > deliveredAt.getTime()) {
    return `${envelope.field} ${envelope.text} is after ${deliveredAt.toISOString()}, the simulated time the event is delivered at: EventBridge stamps an event no later than it delivers it`;
  }
  if (!isObject(event.detail)) return undefined;
  const detail = event.detail;
  if (event['detail-type'] === GUARDDUTY_FINDING_DETAIL_TYPE) {
    return impossibleTimes(stampOf(detail.createdAt, 'detail.createdAt'), stampOf(detail.updatedAt, 'detail.updatedAt'), deliveredAt, {
      delivered: 'the finding is delivered at: GuardDuty never sends a finding created or updated later than it sends it',
      order: 'GuardDuty updates a finding only after it created it',
      created: 'earlier',
    });
  }
  if (event['detail-type'] === ALARM_STATE_CHANGE_DETAIL_TYPE) {
    // The state change is the alarm incident's creation time (lib/incident/cloudwatch.ts); its previous state began before it.
    const timestamp = (state: Json[string]) => (isObject(state) ? state.timestamp : undefined);
    return impossibleTimes(stampOf(timestamp(detail.previousState), 'detail.previousState.timestamp'), stampOf(timestamp(detail.state), 'detail.state.timestamp'), deliveredAt, {
      delivered: "the alarm's state change is delivered at: CloudWatch never sends a change before it happened",
      order: "an alarm's state changes after its previous state began",
      created: 'later',
    });
  }
  return undefined;
}

/** The EventBridge detail-type of a CloudWatch alarm's state change. */
const ALARM_STATE_CHANGE_DETAIL_TYPE = 'CloudWatch Alarm State Change';

/** A time of the event, by its field; none when it cannot be read (left to the parser). */
type Stamp = { readonly field: string; readonly text: string; readonly at: number } | undefined;

function stampOf(value: unknown, field: string): Stamp {
  const at = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isNaN(at) ? undefined : { field, text: value as string, at };
}

/**
 * Why two times of an event cannot be true: either after its delivery (the incident's creation time,
 * `words.created`, named first), or the later one before the earlier one.
 */
function impossibleTimes(
  earlier: Stamp,
  later: Stamp,
  deliveredAt: Date,
  words: { readonly delivered: string; readonly order: string; readonly created: 'earlier' | 'later' },
): string | undefined {
  for (const stamp of words.created === 'earlier' ? [earlier, later] : [later, earlier]) {
    if (stamp !== undefined && stamp.at > deliveredAt.getTime()) return `${stamp.field} ${stamp.text} is after ${deliveredAt.toISOString()}, the simulated time ${words.delivered}`;
  }
  if (earlier !== undefined && later !== undefined && later.at < earlier.at) return `${later.field} ${later.text} is before ${earlier.field} ${earlier.text}: ${words.order}`;
  return undefined;
}

/** What one injection makes: the event to deliver (a JSON value; raw text stays a string). */
export async function buildInjectedEvent(
  injection: { template?: string; event?: Json; raw?: string; target?: string; set: Readonly<Record<string, unknown>> },
  environment: ResolvedEnvironment,
  directories: readonly string[] = defaultTemplateDirectories(),
): Promise<unknown> {
  if (injection.raw !== undefined) return injection.raw;
  let event: Json = injection.template !== undefined ? await loadTemplate(injection.template, directories) : structuredClone(injection.event ?? {});
  if (injection.target !== undefined) {
    const instance = environment.instances[injection.target];
    if (!instance) throw new GameDayEventError(`the injection aims at '${injection.target}', which the environment does not have`);
    event = aimEventAt(event, instance);
  } else if (injection.template !== undefined) {
    // A template's finding comes from the environment's account (a member account's, with settings.securityAccount).
    event = fromAccount(event, environment.account);
  }
  for (const [path, value] of Object.entries(injection.set)) setPath(event, path, resolveReferences(value, environment));
  return event;
}
