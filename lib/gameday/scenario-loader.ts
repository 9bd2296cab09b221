/**
 * Loads `playbooks/scenarios/*.yaml` into validated `Scenario`s, with every problem reported as
 * `file:line:col: message` like playbooks are (the playbook loader's SourceMap and zod wording are
 * reused). Beyond the schema, names are checked against each other: a group an ENI uses, the
 * instance an injection aims at, the playbook and step ids an expectation names, the template.
 */
import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import type { PlaybookError } from '../playbooks/errors';
import { didYouMean, formatPlaybookError, sortPlaybookErrors } from '../playbooks/errors';
import { documentValue, SourceMap, validatePlaybookPathsSync } from '../playbooks/loader';
import type { Playbook, Step } from '../playbooks/model';
import { describeZodIssue, valueAt } from '../playbooks/schema';
import type { Scenario, ScenarioDocument } from './scenario';
import { scenarioFileSchema, scenarioPlaybooks } from './scenario';
import { LOCAL_ORGANIZATION_ID, memberAccountRoleResponder, REMOVABLE_ROLES } from './deployment';
import { LOCAL_RESPONDERS } from './responders';
import { KNOWN_STATEMENT_SIDS } from './statement-sids';
import { FirebreakError } from '../contracts/errors';
import type { KnownApis } from './api-names';
import { loadKnownApis } from './api-names';
import { parseBucketPolicy } from './sim/s3';
import { SimulatedServiceError } from './sim/errors';

type ZodIssue = z.core.$ZodIssue;
type Path = readonly PropertyKey[];

/** A scenario problem: same shape (and `file:line:col` format) as a playbook problem. */
export type ScenarioProblem = PlaybookError;

/** One or more scenario files are invalid; `problems` lists every one. */
export class ScenarioValidationError extends FirebreakError {
  override readonly name = 'ScenarioValidationError';
  readonly problems: readonly ScenarioProblem[];

  constructor(problems: readonly ScenarioProblem[], options?: { cause?: unknown }) {
    const sorted = sortPlaybookErrors(problems);
    super(sorted.map(formatPlaybookError).join('\n'), options);
    this.problems = sorted;
  }
}

/** What cross-checks need to know besides the file itself. */
export interface ScenarioContext {
  /** The deployed playbooks (to check `playbook:` and step ids). */
  readonly playbooks?: readonly Playbook[];
  /** Template names available to `inject[].template`. */
  readonly templates?: readonly string[];
  /** The API names calls can have (to check `expect.calls`, `environment.faults` and `environment.deniedActions`). */
  readonly apis?: KnownApis;
}

const SCENARIO_EXTENSIONS = new Set(['.yaml', '.yml']);

interface SchemaDef {
  readonly type?: string;
  readonly innerType?: unknown;
  readonly element?: unknown;
  readonly valueType?: unknown;
  readonly shape?: Record<string, unknown>;
  readonly in?: unknown;
  readonly options?: readonly unknown[];
}

function defOf(schema: unknown): SchemaDef | undefined {
  return (schema as { def?: SchemaDef } | undefined)?.def;
}

/** The keys an object schema at `path` accepts (unwrapping defaults, optionals, arrays, records). */
function keysAt(schema: unknown, path: Path): string[] {
  let current: unknown = schema;
  const unwrap = () => {
    for (let guard = 0; guard < 10; guard += 1) {
      const def = defOf(current);
      if (def?.innerType !== undefined) current = def.innerType;
      else if (def?.type === 'pipe' && def.in !== undefined) current = def.in;
      else break;
    }
  };
  for (const segment of path) {
    unwrap();
    const def = defOf(current);
    if (def?.type === 'object' && def.shape) current = def.shape[String(segment)];
    else if (def?.type === 'array') current = def.element;
    else if (def?.type === 'record') current = def.valueType;
    else if (def?.type === 'union') current = def.options?.[0];
    else return [];
  }
  unwrap();
  const def = defOf(current);
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

function issueToProblems(issue: ZodIssue, raw: unknown, file: string, source: SourceMap): ScenarioProblem[] {
  if (issue.code === 'unrecognized_keys') {
    const keys = keysAt(scenarioFileSchema, issue.path);
    return issue.keys.map((key) => ({
      file,
      ...source.locate([...issue.path, key], 'key'),
      message: `unknown key '${key}'${didYouMean(key, keys)}${keys.length > 0 ? `; allowed here: ${keys.join(', ')}` : ''}`,
    }));
  }
  if (issue.path.length === 0 && issue.code === 'invalid_type') {
    return [{ file, line: 1, column: 1, message: 'a scenario file must be a mapping with name, description, playbook, inject and expect' }];
  }
  const input = valueAt(raw, issue.path);
  return [{ file, ...source.locate(issue.path), message: describeZodIssue(issue, input) }];
}

function stepIds(steps: readonly Step[]): string[] {
  return steps.flatMap((step) => [step.id, ...(step.kind === 'parallel' ? stepIds(step.branches) : [])]);
}

/** Name checks across the document (after the schema passed). */
function crossCheck(document: ScenarioDocument, file: string, source: SourceMap, context: ScenarioContext): ScenarioProblem[] {
  const problems: ScenarioProblem[] = [];
  const at = (path: Path, message: string, where: 'value' | 'key' = 'value') => problems.push({ file, ...source.locate(path, where), message });
  const env = document.environment;
  const vpcs = Object.keys(env.vpcs);
  const groups = Object.keys(env.securityGroups);
  const instances = Object.keys(env.instances);

  const checkVpc = (name: string | undefined, path: Path) => {
    if (name !== undefined && !vpcs.includes(name)) at(path, `no VPC '${name}' in environment.vpcs${didYouMean(name, vpcs)}`);
  };
  const checkGroup = (name: string, path: Path) => {
    if (!groups.includes(name) && name !== 'default') {
      at(path, `no security group '${name}' in environment.securityGroups${didYouMean(name, groups)} (or 'default', the VPC's own)`);
    }
  };
  const checkInstance = (name: string, path: Path, idsAllowed = false) => {
    if (instances.includes(name)) return;
    if (idsAllowed && /^(i|sg|vpc|eni|vol)-[0-9a-f]+$/.test(name)) return;
    at(path, `no instance '${name}' in environment.instances${didYouMean(name, instances)}`);
  };

  for (const [name, group] of Object.entries(env.securityGroups)) {
    checkVpc(group.vpc, ['environment', 'securityGroups', name, 'vpc']);
    if (group.vpc === undefined && vpcs.length > 1) {
      at(['environment', 'securityGroups', name], `security group '${name}' must name its vpc: the environment has ${vpcs.length} VPCs`, 'key');
    }
    for (const direction of ['ingress', 'egress'] as const) {
      (group[direction] ?? []).forEach((rule, index) => {
        if (rule.group !== undefined) checkGroup(rule.group, ['environment', 'securityGroups', name, direction, index, 'group']);
        if (rule.protocol !== 'all' && rule.protocol !== 'icmp' && rule.ports === undefined) {
          at(['environment', 'securityGroups', name, direction, index], `a ${rule.protocol} rule needs 'ports'`);
        }
      });
    }
  }
  for (const [name, instance] of Object.entries(env.instances)) {
    checkVpc(instance.vpc, ['environment', 'instances', name, 'vpc']);
    if (instance.vpc === undefined && vpcs.length > 1) {
      at(['environment', 'instances', name], `instance '${name}' must name its vpc: the environment has ${vpcs.length} VPCs`, 'key');
    }
    instance.enis?.forEach((eni, index) =>
      eni.groups?.forEach((group, position) => checkGroup(group, ['environment', 'instances', name, 'enis', index, 'groups', position])),
    );
    const devices = (instance.volumes ?? []).map((volume) => volume.device);
    devices.forEach((device, index) => {
      if (devices.indexOf(device) !== index) at(['environment', 'instances', name, 'volumes', index, 'device'], `device ${device} is used twice`);
    });
  }
  if (document.settings.memberRoleExternalId !== undefined && document.settings.securityAccount === undefined) {
    at(['settings', 'memberRoleExternalId'], 'the member role exists only in a member-account game day: set settings.securityAccount (the environment is then a member account)');
  }
  if (document.settings.servedAccountIds !== undefined && document.settings.securityAccount === undefined) {
    at(['settings', 'servedAccountIds'], 'servedAccountIds narrows the organization a member-account game day serves: set settings.securityAccount (the environment is then a member account)');
  }
  env.removedStatements.forEach(({ role, sid }, index) => {
    const playbookRole = role.startsWith('playbook:') ? role.slice('playbook:'.length) : undefined;
    const memberResponder = memberAccountRoleResponder(role);
    if (playbookRole !== undefined) {
      const names = context.playbooks?.map((candidate) => candidate.name);
      if (names !== undefined && !names.includes(playbookRole)) {
        at(['environment', 'removedStatements', index, 'role'], `no playbook '${playbookRole}'${didYouMean(playbookRole, names)}`);
      }
    } else if (memberResponder !== undefined) {
      const responder = memberResponder;
      if (document.settings.securityAccount === undefined) {
        at(['environment', 'removedStatements', index, 'role'], `${role} exists only in a member-account game day: set settings.securityAccount (the environment is then a member account)`);
      } else if (!LOCAL_RESPONDERS.includes(responder)) {
        at(['environment', 'removedStatements', index, 'role'], `no responder '${responder}'${didYouMean(responder, LOCAL_RESPONDERS)}`);
      }
    } else if (!REMOVABLE_ROLES.includes(role)) {
      at(
        ['environment', 'removedStatements', index, 'role'],
        `no role '${role}'${didYouMean(role, REMOVABLE_ROLES)}; roles: ${REMOVABLE_ROLES.join(', ')}, playbook:<name>, or member-role:<responder> and session-revoker-role:<responder> in a member-account game day`,
      );
    }
    if (!KNOWN_STATEMENT_SIDS.includes(sid)) {
      at(['environment', 'removedStatements', index, 'sid'], `no statement '${sid}' in Firebreak's policies${didYouMean(sid, KNOWN_STATEMENT_SIDS)}; Sids: ${KNOWN_STATEMENT_SIDS.join(', ')}`);
    }
  });
  document.settings.protectedInstances.forEach((name, index) => checkInstance(name, ['settings', 'protectedInstances', index], true));

  document.inject.forEach((entry, index) => {
    if (entry.target !== undefined) checkInstance(entry.target, ['inject', index, 'target']);
    if (entry.release !== undefined) checkInstance(entry.release, ['inject', index, 'release']);
    if (entry.releaseObject !== undefined && !Object.hasOwn(document.environment.s3Objects, entry.releaseObject)) {
      const names = Object.keys(document.environment.s3Objects);
      at(['inject', index, 'releaseObject'], `no S3 object '${entry.releaseObject}' in environment.s3Objects${didYouMean(entry.releaseObject, names)}`);
    }
    if (entry.tamper !== undefined && 'deleteEvidenceOf' in entry.tamper) checkInstance(entry.tamper.deleteEvidenceOf, ['inject', index, 'tamper', 'deleteEvidenceOf']);
    if (entry.tamper !== undefined && 'reconnect' in entry.tamper) checkInstance(entry.tamper.reconnect, ['inject', index, 'tamper', 'reconnect']);
    if (entry.tamper !== undefined && 'untagAfterShare' in entry.tamper) checkInstance(entry.tamper.untagAfterShare, ['inject', index, 'tamper', 'untagAfterShare']);
    if (entry.tamper !== undefined && 'untagAfterCopy' in entry.tamper) checkInstance(entry.tamper.untagAfterCopy, ['inject', index, 'tamper', 'untagAfterCopy']);
    if (entry.tamper !== undefined && 'retagEvidenceAfterSnapshot' in entry.tamper) checkInstance(entry.tamper.retagEvidenceAfterSnapshot, ['inject', index, 'tamper', 'retagEvidenceAfterSnapshot']);
    if (entry.tamper !== undefined && 'forgeEvidenceAfterSnapshot' in entry.tamper) checkInstance(entry.tamper.forgeEvidenceAfterSnapshot, ['inject', index, 'tamper', 'forgeEvidenceAfterSnapshot']);
    if (entry.tamper !== undefined && 'forgeEvidenceBeforeSnapshot' in entry.tamper) checkInstance(entry.tamper.forgeEvidenceBeforeSnapshot, ['inject', index, 'tamper', 'forgeEvidenceBeforeSnapshot']);
    if (entry.tamper !== undefined && 'readObject' in entry.tamper && !Object.hasOwn(document.environment.s3Objects, entry.tamper.readObject)) {
      const names = Object.keys(document.environment.s3Objects);
      at(['inject', index, 'tamper', 'readObject'], `no S3 object '${entry.tamper.readObject}' in environment.s3Objects${didYouMean(entry.tamper.readObject, names)}`);
    }
    if (entry.tamper !== undefined && 'uploadObject' in entry.tamper && !Object.hasOwn(document.environment.s3Objects, entry.tamper.uploadObject)) {
      const names = Object.keys(document.environment.s3Objects);
      at(['inject', index, 'tamper', 'uploadObject'], `no S3 object '${entry.tamper.uploadObject}' in environment.s3Objects${didYouMean(entry.tamper.uploadObject, names)}`);
    }
    if (entry.tamper !== undefined && 'renameUser' in entry.tamper) {
      const { from, to } = entry.tamper.renameUser;
      if (document.environment.iamUsers[from] === undefined) at(['inject', index, 'tamper', 'renameUser', 'from'], `no IAM user '${from}' in environment.iamUsers${didYouMean(from, Object.keys(document.environment.iamUsers))}`);
      if (document.environment.iamUsers[to] !== undefined) at(['inject', index, 'tamper', 'renameUser', 'to'], `environment.iamUsers already has a user '${to}'`);
    }
    if (entry.tamper !== undefined && 'swapProfileRole' in entry.tamper) {
      const { instance, role } = entry.tamper.swapProfileRole;
      checkInstance(instance, ['inject', index, 'tamper', 'swapProfileRole', 'instance']);
      if (document.environment.instances[instance] !== undefined && !document.environment.instances[instance]?.instanceProfile) at(['inject', index, 'tamper', 'swapProfileRole', 'instance'], `instance '${instance}' has no instanceProfile`);
      if (document.environment.iamRoles[role] === undefined) at(['inject', index, 'tamper', 'swapProfileRole', 'role'], `no IAM role '${role}' in environment.iamRoles${didYouMean(role, Object.keys(document.environment.iamRoles))}`);
    }
    if (entry.tamper !== undefined && 'recreateAutoScalingGroup' in entry.tamper) {
      const group = entry.tamper.recreateAutoScalingGroup;
      const groups = Object.keys(document.environment.autoScalingGroups);
      if (document.environment.autoScalingGroups[group] === undefined) at(['inject', index, 'tamper', 'recreateAutoScalingGroup'], `no Auto Scaling group '${group}' in environment.autoScalingGroups${didYouMean(group, groups)}`);
    }
    if (entry.tamper !== undefined && 'recreateClassicLoadBalancer' in entry.tamper) {
      const loadBalancer = entry.tamper.recreateClassicLoadBalancer;
      const loadBalancers = Object.keys(document.environment.classicLoadBalancers);
      if (document.environment.classicLoadBalancers[loadBalancer] === undefined) at(['inject', index, 'tamper', 'recreateClassicLoadBalancer'], `no Classic Load Balancer '${loadBalancer}' in environment.classicLoadBalancers${didYouMean(loadBalancer, loadBalancers)}`);
    }
    if (entry.tamper !== undefined && 'registerTarget' in entry.tamper) {
      const { targetGroup, instance } = entry.tamper.registerTarget;
      const targetGroups = Object.keys(document.environment.targetGroups);
      if (document.environment.targetGroups[targetGroup] === undefined) at(['inject', index, 'tamper', 'registerTarget', 'targetGroup'], `no target group '${targetGroup}' in environment.targetGroups${didYouMean(targetGroup, targetGroups)}`);
      if (document.environment.instances[instance] === undefined) at(['inject', index, 'tamper', 'registerTarget', 'instance'], `no instance '${instance}' in environment.instances${didYouMean(instance, Object.keys(document.environment.instances))}`);
    }
    if (entry.tamper !== undefined && 'recreateRole' in entry.tamper) {
      const role = entry.tamper.recreateRole;
      if (document.environment.iamRoles[role] === undefined) at(['inject', index, 'tamper', 'recreateRole'], `no IAM role '${role}' in environment.iamRoles${didYouMean(role, Object.keys(document.environment.iamRoles))}`);
    }
    if (entry.tamper !== undefined && 'optOutUser' in entry.tamper) {
      const user = entry.tamper.optOutUser;
      if (document.environment.iamUsers[user] === undefined) at(['inject', index, 'tamper', 'optOutUser'], `no IAM user '${user}' in environment.iamUsers${didYouMean(user, Object.keys(document.environment.iamUsers))}`);
    }
    if (entry.tamper !== undefined && 'optOutRole' in entry.tamper) {
      const role = entry.tamper.optOutRole;
      if (document.environment.iamRoles[role] === undefined) at(['inject', index, 'tamper', 'optOutRole'], `no IAM role '${role}' in environment.iamRoles${didYouMean(role, Object.keys(document.environment.iamRoles))}`);
    }
    if (entry.wait !== undefined && document.delivery === 'all-at-once') {
      at(['inject', index, 'wait'], 'a wait between injections needs delivery one-by-one (all-at-once delivers every injection at once)');
    }
    for (const which of ['deleteAccessKey', 'reactivateAccessKey'] as const) {
      if (entry.tamper === undefined || !(which in entry.tamper)) continue;
      const { user, key } = (entry.tamper as Record<typeof which, { readonly user: string; readonly key: number }>)[which];
      const keys = document.environment.iamUsers[user]?.accessKeys;
      if (keys === undefined) at(['inject', index, 'tamper', which, 'user'], `no IAM user '${user}' in environment.iamUsers${didYouMean(user, Object.keys(document.environment.iamUsers))}`);
      else if (key >= keys.length) at(['inject', index, 'tamper', which, 'key'], `user '${user}' has ${keys.length} access key(s) in the environment: no key ${key}`);
    }
    if (entry.template !== undefined && context.templates !== undefined && !context.templates.includes(entry.template)) {
      at(['inject', index, 'template'], `no event template '${entry.template}'${didYouMean(entry.template, context.templates)}`);
    }
    if (entry.start !== undefined && context.playbooks !== undefined && !context.playbooks.some((candidate) => candidate.name === entry.start)) {
      const names = context.playbooks.map((candidate) => candidate.name);
      at(['inject', index, 'start'], `no playbook '${entry.start}'${didYouMean(entry.start, names)}`);
    }
  });

  const playbook = document.playbook === null ? undefined : context.playbooks?.find((candidate) => candidate.name === document.playbook);
  if (document.playbook !== null && context.playbooks !== undefined && playbook === undefined) {
    const names = context.playbooks.map((candidate) => candidate.name);
    at(['playbook'], `no playbook '${document.playbook}'${didYouMean(document.playbook, names)}; known: ${names.join(', ')}`);
  }
  const expect = document.expect;
  if (expect.playbook !== undefined && expect.playbook !== null && context.playbooks !== undefined) {
    const names = context.playbooks.map((candidate) => candidate.name);
    if (!names.includes(expect.playbook)) at(['expect', 'playbook'], `no playbook '${expect.playbook}'${didYouMean(expect.playbook, names)}`);
  }
  if (playbook && expect.steps) {
    const ids = stepIds(playbook.steps);
    for (const id of Object.keys(expect.steps)) {
      // A CamelCase key names a state the compiler generates (Guard, WaitForApproval…), not a step.
      if (!ids.includes(id) && !/^[A-Z]/.test(id)) at(['expect', 'steps', id], `playbook ${playbook.name} has no step '${id}'${didYouMean(id, ids)}; its steps: ${ids.join(', ')}`, 'key');
    }
  }
  for (const name of Object.keys(expect.instances ?? {})) checkInstance(name, ['expect', 'instances', name]);
  for (const [name, expected] of Object.entries(expect.instances ?? {})) {
    const declared = env.instances[name];
    if (!declared) continue;
    const devices = (declared.volumes ?? [{ device: '/dev/xvda' }]).map((volume) => volume.device);
    for (const device of Object.keys(expected.snapshots ?? {})) {
      if (!devices.includes(device)) {
        at(['expect', 'instances', name, 'snapshots', device], `instance '${name}' has no volume at ${device}; its devices: ${devices.join(', ') || 'none'}`, 'key');
      }
    }
    const enis = declared.enis?.length ?? 1;
    if (expected.enis && expected.enis.length !== enis) {
      at(['expect', 'instances', name, 'enis'], `instance '${name}' has ${enis} ENI(s); list the groups of each (${expected.enis.length} given)`);
    }
  }
  (expect.unchanged ?? []).forEach((name, index) => {
    if (![...instances, ...groups, ...vpcs].includes(name) && !/^(i|sg|vpc|eni|vol)-[0-9a-f]+$/.test(name)) {
      at(['expect', 'unchanged', index], `no resource '${name}' in the environment${didYouMean(name, [...instances, ...groups, ...vpcs])}`);
    }
  });
  const checkApi = (api: string, path: Path, consequence: string) => {
    const unknown = context.apis?.unknown(api);
    if (unknown !== undefined) at(path, `${unknown}: no call can have this name, so ${consequence}`);
  };
  env.faults.forEach((fault, index) => checkApi(fault.api, ['environment', 'faults', index, 'api'], 'the fault would never be answered'));
  env.deniedActions.forEach((action, index) => checkApi(action, ['environment', 'deniedActions', index], 'nothing would be denied'));
  document.expect.calls?.forEach((call, index) => checkApi(call.api, ['expect', 'calls', index, 'api'], 'the expectation would hold without checking anything'));
  document.functionTimeouts.forEach((timeout, index) => {
    checkApi(timeout.hangsAt, ['functionTimeouts', index, 'hangsAt'], 'the function would never run out of time');
    if (!LOCAL_RESPONDERS.includes(timeout.responder)) {
      at(['functionTimeouts', index, 'responder'], `no responder '${timeout.responder}'${didYouMean(timeout.responder, [...LOCAL_RESPONDERS])}`);
    }
  });
  document.approvals.forEach((approval, index) => {
    if (approval.answerAfterInjection !== undefined) {
      if (approval.answerAfterInjection > document.inject.length) {
        at(['approvals', index, 'answerAfterInjection'], `the scenario has ${document.inject.length} inject: ${document.inject.length === 1 ? 'entry' : 'entries'}, no entry ${approval.answerAfterInjection} to answer after`);
      } else if (document.delivery === 'all-at-once') {
        at(['approvals', index, 'answerAfterInjection'], 'an answer held until an injection needs delivery one-by-one (all-at-once delivers every injection at once)');
      }
    }
    if (approval.step !== undefined && playbook && !stepIds(playbook.steps).includes(approval.step) && !/^[A-Z]/.test(approval.step)) {
      at(['approvals', index, 'step'], `playbook ${playbook.name} has no step '${approval.step}' (approval states are named like WaitForApproval)`);
    }
  });
  return problems;
}

/** The placeholders of the shipped example bucket policies (examples/s3-bucket-policies/): none may be left. */
const BUCKET_POLICY_PLACEHOLDERS = ['QUARANTINE-BUCKET', 'OWNER-ACCOUNT', 'o-YOURORG', 'BUCKET', 'ACCOUNT'] as const;

/** A placeholder as a whole word of a policy's text: not part of a longer name (letters, digits, hyphens). */
function placeholderWord(placeholder: string): RegExp {
  return new RegExp(`(?<![A-Za-z0-9-])${placeholder.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9-])`, 'g');
}

type BucketPolicy = NonNullable<ScenarioDocument['environment']['s3Objects'][string]['bucketPolicy']>;

/**
 * A bucket policy's text: a file's read (relative to the scenario) with its placeholders replaced
 * (`defaults`, then the scenario's own `replace`), or an inline document's JSON. Undefined, with the
 * problem reported, when the file cannot be read or keeps a placeholder.
 */
function bucketPolicyText(policy: BucketPolicy, defaults: Record<string, string>, file: string, path: readonly PropertyKey[], at: (message: string, where?: readonly PropertyKey[]) => void): string | undefined {
  if (!('file' in policy)) return JSON.stringify(policy);
  let text: string;
  try {
    text = readFileSync(resolve(dirname(file), policy.file), 'utf8');
  } catch (error) {
    at(`cannot read ${policy.file}: ${(error as Error).message}`, [...path, 'file']);
    return undefined;
  }
  const replace: Record<string, string> = { ...defaults, ...policy.replace };
  // Whole words only (not BUCKET in QUARANTINE-BUCKET, nor ACCOUNT in OWNER-ACCOUNT).
  for (const [placeholder, value] of Object.entries(replace)) {
    const word = placeholderWord(placeholder);
    if (!word.test(text)) {
      if (Object.hasOwn(policy.replace, placeholder)) at(`'${placeholder}' is not in ${policy.file}`, [...path, 'replace', placeholder]);
      continue;
    }
    text = text.replace(word, () => value);
  }
  const left = BUCKET_POLICY_PLACEHOLDERS.filter((placeholder) => placeholderWord(placeholder).test(text));
  if (left.length > 0) {
    at(`${policy.file} still has ${left.join(', ')}: give ${left.length === 1 ? 'it' : 'them'} a value in replace`, [...path, 'file']);
    return undefined;
  }
  return text;
}

/** The policy as PutBucketPolicy would take it (parseBucketPolicy), or undefined with S3's refusal reported. */
function parsedBucketPolicy(bucket: string, text: string, at: (message: string) => void): BucketPolicy | undefined {
  try {
    return parseBucketPolicy(bucket, text) as BucketPolicy;
  } catch (error) {
    if (!(error instanceof SimulatedServiceError)) throw error;
    at(`S3 would refuse it (${error.code}: ${error.message})`);
    return undefined;
  }
}

/**
 * Each S3 object's bucket policy, and the quarantine bucket's (settings.quarantineBucket), as a
 * document: a file's read with its placeholders replaced, and every policy checked as
 * PutBucketPolicy checks it, so a policy S3 would refuse is a load error, not a failed run. Objects
 * of one bucket must agree; the quarantine bucket is none of theirs.
 */
function resolveBucketPolicies(document: ScenarioDocument, file: string, source: SourceMap): { document: ScenarioDocument; problems: ScenarioProblem[] } {
  const problems: ScenarioProblem[] = [];
  const byBucket = new Map<string, string>();
  const objects: Record<string, ScenarioDocument['environment']['s3Objects'][string]> = {};
  for (const [name, object] of Object.entries(document.environment.s3Objects)) {
    const path = ['environment', 's3Objects', name, 'bucketPolicy'];
    const at = (message: string, where: readonly PropertyKey[] = path) => problems.push({ file, ...source.locate(where), message: `bucketPolicy: ${message}` });
    const policy = object.bucketPolicy;
    objects[name] = object;
    if (policy === undefined) continue;
    const text = bucketPolicyText(policy, { BUCKET: object.bucket, ACCOUNT: document.environment.account }, file, path, at);
    if (text === undefined) continue;
    const parsed = parsedBucketPolicy(object.bucket, text, at);
    if (parsed === undefined) continue;
    const canonical = JSON.stringify(parsed);
    const other = byBucket.get(object.bucket);
    if (other !== undefined && other !== canonical) {
      at(`another object of bucket ${object.bucket} gives it another policy (a bucket has one)`);
      continue;
    }
    byBucket.set(object.bucket, canonical);
    objects[name] = { ...object, bucketPolicy: parsed };
  }
  let settings = document.settings;
  const quarantine = settings.quarantineBucket;
  if (quarantine !== undefined) {
    const path = ['settings', 'quarantineBucket'];
    const at = (message: string, where: readonly PropertyKey[] = [...path, 'bucketPolicy']) => problems.push({ file, ...source.locate(where), message: `quarantineBucket: ${message}` });
    const shared = Object.entries(document.environment.s3Objects).find(([, object]) => object.bucket === quarantine.bucket);
    if (shared !== undefined) at(`bucket ${quarantine.bucket} is also s3Objects.${shared[0]}'s bucket: a quarantine bucket holds copies only`, [...path, 'bucket']);
    if (quarantine.bucketPolicy !== undefined) {
      const defaults = { 'QUARANTINE-BUCKET': quarantine.bucket, 'OWNER-ACCOUNT': quarantine.account, 'o-YOURORG': LOCAL_ORGANIZATION_ID };
      const text = bucketPolicyText(quarantine.bucketPolicy, defaults, file, [...path, 'bucketPolicy'], at);
      const parsed = text === undefined ? undefined : parsedBucketPolicy(quarantine.bucket, text, at);
      if (parsed !== undefined) settings = { ...settings, quarantineBucket: { ...quarantine, bucketPolicy: parsed } };
    }
  }
  return { document: { ...document, settings, environment: { ...document.environment, s3Objects: objects } }, problems };
}

/** Validates one scenario's YAML text (`file` names it in problems; the files it names are read: playbookFiles, a bucket policy's file). */
export function parseScenarioSource(
  text: string,
  file: string,
  context: ScenarioContext = {},
): { scenario?: Scenario; problems: ScenarioProblem[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      problems: doc.errors.map((error) => {
        const { line, col } = lines.linePos(error.pos[0]);
        return { file, line, column: col, message: `YAML syntax error: ${error.message}` };
      }),
    };
  }
  const source = new SourceMap(doc, lines);
  const value = documentValue(doc, lines, file);
  if ('problem' in value) return { problems: [value.problem] };
  const raw = value.value;
  const parsed = scenarioFileSchema.safeParse(raw);
  if (!parsed.success) {
    return { problems: sortPlaybookErrors(parsed.error.issues.flatMap((issue) => issueToProblems(issue, raw, file, source))) };
  }
  // The scenario's own playbooks (relative to its file), checked as playbooks are, and deployed with the shipped ones.
  const own = validatePlaybookPathsSync(parsed.data.playbookFiles.map((path) => resolve(dirname(file), path)));
  if (own.errors.length > 0) {
    const at = source.locate(['playbookFiles']) ?? { line: 1, column: 1 };
    return { problems: sortPlaybookErrors(own.errors.map((error) => ({ file, ...at, message: `playbookFiles: ${formatPlaybookError(error)}` }))) };
  }
  const deployed = context.playbooks !== undefined && own.playbooks.length > 0 ? { ...context, playbooks: scenarioPlaybooks(context.playbooks, own.playbooks) } : context;
  const policies = resolveBucketPolicies(parsed.data, file, source);
  const problems = [...policies.problems, ...crossCheck(policies.document, file, source, deployed)];
  if (problems.length > 0) return { problems: sortPlaybookErrors(problems) };
  return { scenario: { ...policies.document, file, ...(own.playbooks.length > 0 ? { ownPlaybooks: own.playbooks } : {}) }, problems: [] };
}

/** The scenario files of a directory, sorted. */
export async function scenarioFilesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && SCENARIO_EXTENSIONS.has(extname(entry.name).toLowerCase()))
    .map((entry) => join(dir, entry.name))
    .sort();
}

/** Validates every scenario of `dir`; never throws for a bad scenario (problems are returned). */
export async function validateScenarioDirectory(
  dir: string,
  context: ScenarioContext = {},
): Promise<{ scenarios: Scenario[]; problems: ScenarioProblem[] }> {
  const scenarios: Scenario[] = [];
  const problems: ScenarioProblem[] = [];
  // API names are always checked: a caller cannot forget the list and let a misspelt one through.
  const checked: ScenarioContext = context.apis === undefined ? { ...context, apis: await loadKnownApis() } : context;
  let files: string[];
  try {
    files = await scenarioFilesIn(dir);
  } catch (error) {
    return { scenarios, problems: [{ file: dir, message: `cannot read the scenario directory: ${(error as Error).message}` }] };
  }
  for (const file of files) {
    const parsed = parseScenarioSource(await readFile(file, 'utf8'), file, checked);
    problems.push(...parsed.problems);
    if (!parsed.scenario) continue;
    const stem = basename(file, extname(file));
    if (parsed.scenario.name !== stem) {
      problems.push({ file, line: 1, column: 1, message: `the scenario is named '${parsed.scenario.name}' but its file is ${basename(file)}: name the file ${parsed.scenario.name}.yaml` });
      continue;
    }
    scenarios.push(parsed.scenario);
  }
  return { scenarios, problems: sortPlaybookErrors(problems) };
}

/** Loads every scenario of `dir`; throws ScenarioValidationError listing every problem. */
export async function loadScenarioDirectory(dir: string, context: ScenarioContext = {}): Promise<Scenario[]> {
  const { scenarios, problems } = await validateScenarioDirectory(dir, context);
  if (problems.length > 0) throw new ScenarioValidationError(problems);
  return scenarios;
}
