/** Builders for stack tests: hand-built playbooks and a fresh, unbundled Firebreak stack per call. */
import { App, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { Template } from 'aws-cdk-lib/assertions';
import type { ActionStep, Playbook, PlaybookMatch, Step } from '../../lib/playbooks/model';
import { SECURITY_ENV } from '../../lib/contracts/security';
import { SKIP_BUNDLING_CONTEXT } from '../../lib/stack/app';
import type { FirebreakStackProps } from '../../lib/stack/firebreak-stack';
import { FirebreakStack } from '../../lib/stack/firebreak-stack';
import { AlertChannels } from '../../lib/stack/alerting';
import { IncidentState } from '../../lib/stack/state';

export function action(id: string, name: ActionStep['action'], options: Record<string, unknown> = {}): ActionStep {
  return { kind: 'action', id, action: name, with: options };
}

export function playbook(name: string, steps: Step[], match: Partial<PlaybookMatch> = {}, priority = 100): Playbook {
  return {
    name,
    description: `${name} playbook`,
    match: { sources: ['guardduty'], ...match },
    priority,
    mode: 'enforce',
    steps,
    file: `playbooks/${name}.yaml`,
  };
}

/** The shipped shape: quarantine beside evidence, then an alert (High and Critical). */
export const COMPROMISED = playbook(
  'compromised-ec2',
  [
    { kind: 'parallel', id: 'respond', branches: [action('contain', 'quarantine-instance'), action('evidence', 'snapshot-volumes')] },
    action('alert', 'notify', { advice: 'Investigate from the snapshots.' }),
  ],
  { findingTypes: ['Backdoor:EC2/*'], severity: { min: 7, max: 10 }, resourceKinds: ['ec2-instance'] },
);

/** Snapshot and alert on an instance alarm (no containment). */
export const ALARM = playbook(
  'instance-alarm',
  [action('evidence', 'snapshot-volumes'), action('alert', 'notify')],
  { sources: ['cloudwatch'], alarmNames: ['firebreak-*', 'prod-*-cpu'] },
  50,
);

/** Alerts any Medium-or-higher finding no other playbook takes. */
export const DEFAULT_ALERT = playbook('default-alert', [action('alert', 'notify')], { severity: { min: 4, max: 10 } }, 0);

export interface SynthesizedFirebreak {
  readonly stack: FirebreakStack;
  readonly template: Template;
}

/** A fresh stack with asset bundling skipped (bundling is tested once, in bundling.test.ts). */
export function synthesize(props: Partial<FirebreakStackProps> = {}): SynthesizedFirebreak {
  const app = new App({ context: SKIP_BUNDLING_CONTEXT, builtinCloudFormationValidation: false });
  const stack = new FirebreakStack(app, 'Firebreak', { playbooks: [COMPROMISED, ALARM, DEFAULT_ALERT], ...props });
  return { stack, template: Template.fromStack(stack) };
}

type Resource = { Type: string; Properties: Record<string, unknown> };

/** Every resource of a type, by logical id. */
export function resourcesOf(template: Template, type: string): Record<string, Resource> {
  return template.findResources(type) as Record<string, Resource>;
}

/** Firebreak's own functions (those given the deployment's facts), by logical id, with their environment. */
export function firebreakFunctions(template: Template): Record<string, Record<string, unknown>> {
  const functions: Record<string, Record<string, unknown>> = {};
  for (const [id, resource] of Object.entries(resourcesOf(template, 'AWS::Lambda::Function'))) {
    const variables = (resource.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    if (SECURITY_ENV.securityAccountId in variables) functions[id] = variables;
  }
  return functions;
}

/** A policy statement as the template has it. */
export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource?: unknown;
  Condition?: Record<string, unknown>;
  Principal?: unknown;
}

export function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

/** The statements of the IAM policies attached to the role with logical id `roleLogicalId`. */
export function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  return Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
    .filter((policy) => (policy.Properties.Roles as unknown[]).some((role) => JSON.stringify(role) === JSON.stringify({ Ref: roleLogicalId })))
    .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

/** Every policy document in the template: IAM policies, the key policy, queue and topic policies. */
export function allStatements(template: Template): Statement[] {
  const documents: { Statement: Statement[] }[] = [];
  const visit = (value: unknown, key?: string): void => {
    if (Array.isArray(value)) value.forEach((item) => visit(item));
    else if (value !== null && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      if ((key === 'PolicyDocument' || key === 'KeyPolicy' || key === 'AssumeRolePolicyDocument') && Array.isArray(record.Statement)) {
        documents.push(record as { Statement: Statement[] });
      }
      for (const [inner, child] of Object.entries(record)) visit(child, inner);
    }
  };
  visit(template.toJSON());
  return documents.flatMap((document) => document.Statement);
}

/** The logical id of the one resource of `type` whose logical id starts with `prefix`. */
export function logicalIdOf(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(resourcesOf(template, type)).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1) throw new Error(`expected one ${type} starting with ${prefix}, found ${ids.join(', ') || 'none'}`);
  return ids[0]!;
}

/** A fresh stack of one's own (not FirebreakStack: ordinary CDK logical ids), bundling skipped. */
export function userStack(): Stack {
  const app = new App({ context: SKIP_BUNDLING_CONTEXT, builtinCloudFormationValidation: false });
  return new Stack(app, 'UserStack');
}

/** The alert channels and state table most constructs need, in `stack`. */
export function sharedResources(stack: Stack): { channels: AlertChannels; state: IncidentState } {
  return { channels: new AlertChannels(stack, 'Alerting', { alertEmails: [], operationsEmails: [], subscriberArns: [], keyAdminArns: ['arn:aws:iam::111122223333:root'] }), state: new IncidentState(stack, 'State') };
}

/** Every trust setting of issue 8 at once: member roles in an organization, alert e-mail, game days, a served account. */
export const TRUST_CONTEXT = {
  memberRoleName: 'FirebreakResponder',
  organizationId: 'o-a1b2c3d4e5',
  alertEmails: ['oncall@example.com'],
  gameDayPrincipals: ['arn:aws:iam::123456789012:role/GameDay'],
  servedAccountIds: ['222233334444'],
};

/** The acknowledgment reasons on `construct`, by finding id (without the plugin's namespace). */
export function acknowledgments(construct: IConstruct): Record<string, string> {
  return Object.fromEntries(
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
      .map(([id, reason]) => [id.replace(/^[^[]*::/, ''), reason]),
  );
}
