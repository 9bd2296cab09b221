/**
 * The Firebreak construct as a user adds it to a stack of their own, and the app's FirebreakStack,
 * which holds the same construct but keeps the logical ids the flat stack deployed.
 */
import { readFileSync } from 'node:fs';
import { CfnParameter } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { buildFirebreakApp, SKIP_BUNDLING_CONTEXT } from '../../lib/stack/app';
import { readFirebreakConfig } from '../../lib/stack/config';
import { Firebreak } from '../../lib/stack/firebreak';
import { SHIPPED_PLAYBOOKS_DIR } from '../../lib/stack/package-root';
import { loadPlaybookDirectorySync } from '../../lib/playbooks/loader';
import { railsOf } from '../../lib/playbooks/rails';
import { action, ALARM, COMPROMISED, DEFAULT_ALERT, playbook, resourcesOf, TRUST_CONTEXT, userStack } from './support';

const FLAT = JSON.parse(readFileSync(new URL('./fixtures/flat-stack-logical-ids.json', import.meta.url), 'utf8')) as {
  resources: Record<string, string>;
  outputs: string[];
};

describe('Firebreak in a stack of your own', () => {
  it('deploys the shipped playbooks by default, beside the stack\'s own resources', () => {
    const stack = userStack();
    new s3.Bucket(stack, 'Reports');
    const firebreak = new Firebreak(stack, 'Firebreak');
    const shipped = loadPlaybookDirectorySync(SHIPPED_PLAYBOOKS_DIR);
    expect([...firebreak.playbookStateMachines.keys()].sort()).toEqual(shipped.map((entry) => entry.name).sort());
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::S3::Bucket', 1);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', shipped.length + 1);
    expect(firebreak.effectiveMode).toBe('dry-run');
  });

  it('ATTACK (rereview-rails): deploys in dry-run a per-instance playbook in enforce that only dry-run playbooks start, so that a hand-started execution of it changes nothing (row 2zh)', () => {
    // A parent in trial starts its children dry-run (row 2zg), but the child's own state machine,
    // started by hand with "mode": "enforce", quarantined and snapshotted for real under its own rails.
    const shipped = loadPlaybookDirectorySync(SHIPPED_PLAYBOOKS_DIR);
    const parent = shipped.find((entry) => entry.name === 'attack-sequence-ec2')!;
    const child = shipped.find((entry) => entry.name === 'attack-sequence-ec2-instance')!;
    expect(child.mode).toBe('enforce');
    const firebreak = new Firebreak(userStack(), 'Firebreak', { playbooks: [{ ...parent, mode: 'dry-run' }, child, DEFAULT_ALERT] });
    expect(firebreak.playbooks.find((entry) => entry.name === child.name)?.mode).toBe('dry-run');
    expect(railsOf(firebreak.playbooks.find((entry) => entry.name === child.name)!)).toMatchObject({ mode: 'dry-run' });
    const states = firebreak.compiled.playbooks.get(child.name)!.definition.States as Record<string, { Type: string; Parameters?: { Payload?: Record<string, unknown> } }>;
    const payloads = Object.entries(states).flatMap(([name, state]) => (state.Parameters?.Payload !== undefined && name !== 'Guard' ? [state.Parameters.Payload] : []));
    expect(payloads.length).toBeGreaterThan(3);
    for (const payload of payloads) expect(payload).toMatchObject({ mode: 'dry-run' });
  });

  it('tried (rereview-rails): a per-instance playbook an enforce parent starts keeps its own mode', () => {
    const shipped = loadPlaybookDirectorySync(SHIPPED_PLAYBOOKS_DIR);
    const parent = shipped.find((entry) => entry.name === 'attack-sequence-ec2')!;
    const child = shipped.find((entry) => entry.name === 'attack-sequence-ec2-instance')!;
    const firebreak = new Firebreak(userStack(), 'Firebreak', { playbooks: [parent, child, DEFAULT_ALERT] });
    expect(firebreak.playbooks.find((entry) => entry.name === child.name)?.mode).toBe('enforce');
  });

  it('takes a playbook folder or playbooks of its own', () => {
    const fromList = new Firebreak(userStack(), 'Firebreak', { playbooks: [DEFAULT_ALERT] });
    expect([...fromList.playbookStateMachines.keys()]).toEqual(['default-alert']);
    expect(() => new Firebreak(userStack(), 'Firebreak', { playbooksDir: '/nonexistent/playbooks' })).toThrow(/no such file or directory/);
  });

  it('keeps the output keys the operator tools read, whatever the construct\'s path', () => {
    const stack = userStack();
    new Firebreak(stack, 'IncidentResponse', { playbooks: [COMPROMISED, DEFAULT_ALERT] });
    const outputs = Object.keys(Template.fromStack(stack).toJSON().Outputs as object);
    expect(outputs).toEqual(expect.arrayContaining(['DispatcherArn', 'AlertTopicArn', 'StateTableName', 'ApprovalFunctionUrl', 'GameDaysEnabled', 'Mode']));
  });

  it('prefixes its resources with its own id, like any construct, in a stack that never deployed the flat layout', () => {
    const stack = userStack();
    new Firebreak(stack, 'Firebreak', { playbooks: [DEFAULT_ALERT] });
    const tables = Object.keys(resourcesOf(Template.fromStack(stack), 'AWS::DynamoDB::Table'));
    expect(tables).toEqual([expect.stringMatching(/^FirebreakStateStateTable/)]);
  });

  it('refuses a second Firebreak in the same stack, naming both', () => {
    const stack = userStack();
    new Firebreak(stack, 'One', { playbooks: [DEFAULT_ALERT] });
    expect(() => new Firebreak(stack, 'Two', { playbooks: [DEFAULT_ALERT] })).toThrow(/has Firebreak at UserStack\/One already; one per stack/);
  });

  it('checks its props with the same rules, and the same words, as the app checks its context', () => {
    const props = { blastRadiusMax: 101, servedAccountIds: ['1234'] };
    const fromProps = (() => {
      try {
        new Firebreak(userStack(), 'Firebreak', { ...props, playbooks: [DEFAULT_ALERT] });
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    const fromContext = (() => {
      try {
        readFirebreakConfig((key) => (props as Record<string, unknown>)[key]);
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    const problems = (message: string) => message.replace(/^[^:]*: /, '').split('; ').map((problem) => problem.replace(/^(prop|context) /, ''));
    expect(problems(fromProps)).toEqual(problems(fromContext));
    expect(problems(fromProps)).toHaveLength(2);
  });

  it('leaves values known only at deploy time (tokens) to CloudFormation', () => {
    const stack = userStack();
    const email = new CfnParameter(stack, 'OncallEmail').valueAsString;
    expect(() => new Firebreak(stack, 'Firebreak', { playbooks: [DEFAULT_ALERT], alertEmails: [email, 'secops@example.com'] })).not.toThrow();
    expect(() => new Firebreak(userStack(), 'Firebreak', { playbooks: [DEFAULT_ALERT], alertEmails: ['not an address'] })).toThrow(/prop "alertEmails\[0\]"/);
  });
});

describe('FirebreakStack (the app)', () => {
  it('keeps every logical id and output key of the flat stack it replaces, so an update replaces nothing', async () => {
    const { app, stack } = await buildFirebreakApp({
      playbooks: [
        COMPROMISED,
        ALARM,
        DEFAULT_ALERT,
        playbook('revoking', [action('contain', 'quarantine-instance', { revokeRoleSessions: true }), action('alert', 'notify')], {}, 10),
        {
          ...playbook('release', [action('release', 'release-instance'), action('alert', 'notify')], { resourceKinds: ['ec2-instance'] }, 0),
          trigger: 'manual' as const,
          approval: { required: true, timeoutSeconds: 3600, onTimeout: 'evidence-only' as const },
        },
      ],
      context: { ...SKIP_BUNDLING_CONTEXT, ...TRUST_CONTEXT },
      nag: false,
      cfnValidation: false,
      memberRoleStack: false,
    });
    const template = app.synth().getStackArtifact(stack.artifactId).template as { Resources: Record<string, { Type: string }>; Outputs: object };
    // The emergency pause came after the flat stack: its resources are added (an update creates
    // them), and every resource and output of the flat stack keeps its logical id.
    const added = (id: string) => /^(EmergencyPause|ResponderEmergencyPauseErrorsAlarm)/.test(id) || ['EmergencyPauseFunctionUrl', 'PauserPolicyArn'].includes(id);
    const resources = Object.entries(template.Resources).filter(([id]) => !added(id));
    expect(Object.keys(template.Resources).filter(added).length).toBeGreaterThan(0);
    expect(Object.fromEntries(resources.map(([id, resource]) => [id, resource.Type]).sort())).toEqual(FLAT.resources);
    expect(Object.keys(template.Outputs).filter((key) => !added(key)).sort()).toEqual(FLAT.outputs);
  });
});
