import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Stack, Token } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { compilePlaybook, taskStates } from '../../lib/playbooks/compile';
import type { AslDefinition } from '../../lib/playbooks/compile';
import { loadPlaybookFile } from '../../lib/playbooks/loader';
import { buildFirebreakApp, SKIP_BUNDLING_CONTEXT, synthesizeDefinitions } from '../../lib/stack/app';
import { ec2Incident } from '../support/incidents';
import { runLocally } from '../playbooks/local-execution';
import { ALARM, COMPROMISED, DEFAULT_ALERT } from './support';

describe('synthesizeDefinitions', () => {
  it('returns the definitions and substitutions exactly as the template deploys them', async () => {
    const definitions = await synthesizeDefinitions({ playbooks: [COMPROMISED, ALARM, DEFAULT_ALERT] });
    expect(Object.keys(definitions.playbooks).sort()).toEqual(['compromised-ec2', 'default-alert', 'instance-alarm']);
    expect(definitions.playbooks['compromised-ec2']!.definition).toBe(JSON.stringify(compilePlaybook(COMPROMISED).definition));
    expect(Object.keys(definitions.playbooks['compromised-ec2']!.substitutions).sort()).toEqual([
      'Fn_containment_guard',
      'Fn_publish_alert',
      'Fn_quarantine_instance',
      'Fn_snapshot_volumes',
    ]);
    expect(Object.keys(definitions.dispatcher.substitutions).sort()).toEqual([
      'Fn_publish_alert',
      'Fn_triage',
      'InvalidEventQueueUrl',
      'Sm_compromised_ec2',
      'Sm_default_alert',
      'Sm_instance_alarm',
      'StateTableName',
    ]);
  });

  it('gives the local engine a definition it can run, each Lambda Task naming its responder by placeholder', async () => {
    const definitions = await synthesizeDefinitions({ playbooks: [DEFAULT_ALERT] });
    const definition = JSON.parse(definitions.playbooks['default-alert']!.definition) as AslDefinition;
    expect(taskStates(definition)).toEqual([
      { state: 'alert', resource: 'arn:aws:states:::lambda:invoke', functionPlaceholder: 'Fn_publish_alert' },
      { state: 'alert-failure-alert', resource: 'arn:aws:states:::lambda:invoke', functionPlaceholder: 'Fn_publish_alert' },
    ]);
    const incident = ec2Incident();
    const run = await runLocally(
      definition,
      { incident, mode: 'dry-run', playbook: 'default-alert' },
      { responders: { 'publish-alert': () => ({ status: 'published' }) } },
    );
    expect(run.status).toBe('SUCCEEDED');
    expect(run.calls['publish-alert']).toEqual([expect.objectContaining({ kind: 'report', incident, mode: 'dry-run' })]);
  });
});

describe('buildFirebreakApp', () => {
  it('reads the deployment mode and other settings from CDK context', async () => {
    const outputsOf = async (context: Record<string, unknown>) => {
      const { app, stack } = await buildFirebreakApp({
        playbooks: [DEFAULT_ALERT],
        nag: false,
        cfnValidation: false,
        context: { ...SKIP_BUNDLING_CONTEXT, ...context },
      });
      return app.synth().getStackArtifact(stack.artifactId).template as {
        Outputs: Record<string, { Value: unknown }>;
        Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
      };
    };
    expect((await outputsOf({})).Outputs.Mode!.Value).toBe('dry-run');
    const enforced = await outputsOf({ mode: 'enforce', alertEmails: 'oncall@example.com', logRetentionDays: '30' });
    expect(enforced.Outputs.Mode!.Value).toBe('enforce');
    const resources = Object.values(enforced.Resources);
    // The alert topic and the operations topic (which takes the alert e-mails when no operations e-mails are given).
    expect(resources.filter((r) => r.Type === 'AWS::SNS::Subscription').map((r) => r.Properties.Endpoint)).toEqual([
      'oncall@example.com',
      'oncall@example.com',
    ]);
    expect(resources.filter((r) => r.Type === 'AWS::Logs::LogGroup').every((r) => r.Properties.RetentionInDays === 30)).toBe(true);
  });

  it('describes the Mode and GameDaysEnabled outputs as what they are, never the default', async () => {
    const outputsOf = async (context: Record<string, unknown>) => {
      const { app, stack } = await buildFirebreakApp({ playbooks: [DEFAULT_ALERT], nag: false, cfnValidation: false, context: { ...SKIP_BUNDLING_CONTEXT, ...context } });
      return (app.synth().getStackArtifact(stack.artifactId).template as { Outputs: Record<string, { Value: unknown; Description: string }> }).Outputs;
    };
    const dryRun = await outputsOf({});
    expect(dryRun.Mode).toEqual({ Value: 'dry-run', Description: expect.stringMatching(/^dry-run: every playbook runs in dry-run/) as unknown });
    expect(dryRun.GameDaysEnabled).toEqual({ Value: 'false', Description: expect.stringMatching(/^false: this deployment accepts no game-day event/) as unknown });

    const enforced = await outputsOf({ mode: 'enforce', gameDayPrincipals: 'arn:aws:iam::111122223333:role/GameDay' });
    expect(enforced.Mode?.Value).toBe('enforce');
    expect(enforced.Mode?.Description).toMatch(/^enforce: each playbook's own mode applies/);
    expect(enforced.Mode?.Description).not.toMatch(/every playbook runs in dry-run/);
    expect(enforced.GameDaysEnabled?.Value).toBe('true');
    expect(enforced.GameDaysEnabled?.Description).toMatch(/^true: /);
    expect(enforced.GameDaysEnabled?.Description).not.toMatch(/accepts no game-day event/);
  });

  it('refuses a bad context value before building anything', async () => {
    await expect(buildFirebreakApp({ playbooks: [DEFAULT_ALERT], context: { mode: 'yes' } })).rejects.toThrow(/context "mode"/);
  });

  it('refuses a misspelt context key (`-c alertEmail=…`) instead of deploying without it', async () => {
    await expect(buildFirebreakApp({ playbooks: [DEFAULT_ALERT], context: { ...SKIP_BUNDLING_CONTEXT, alertEmail: 'oncall@example.com' } })).rejects.toThrow(
      /context "alertEmail": not a Firebreak key \(did you mean 'alertEmails'\?\)/,
    );
  });

  it('loads the shipped playbooks from playbooksDir when none are given', async () => {
    const { stack } = await buildFirebreakApp({ nag: false, context: SKIP_BUNDLING_CONTEXT });
    expect([...stack.firebreak.playbookStateMachines.keys()]).toContain('compromised-ec2-instance');
  });

  // CloudFormation refuses a template over 1 MB (as uploaded: the file the CDK writes), and every
  // playbook a team adds is a state machine of 20-40 KB in it. The shipped ones must leave room.
  // Measured as `cdk synth` writes it: the CLI turns on the path and asset metadata (each resource's
  // aws:cdk:path, each function's asset path), about 33 KB that a bare app.synth() leaves out.
  it('writes the shipped deployment compact, within 75% of CloudFormation\'s 1 MB template limit', async () => {
    const cliMetadata = { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:enable-asset-metadata': true };
    const { app, stack } = await buildFirebreakApp({ nag: false, cfnValidation: false, context: { ...SKIP_BUNDLING_CONTEXT, ...cliMetadata } });
    const assembly = app.synth();
    const written = readFileSync(path.join(assembly.directory, stack.templateFile), 'utf8');
    expect(written).not.toContain('\n');
    expect(Buffer.byteLength(written)).toBeLessThan(750_000);
    expect(assembly.getStackArtifact(stack.artifactId).messages.map((message) => message.entry.data)).not.toContainEqual(expect.stringContaining('Template size'));
  });

  it('builds the member-role stack beside it, environment-agnostic, with the playbooks\' member actions and the guard\'s', async () => {
    const { app, stack, memberRole } = await buildFirebreakApp({
      playbooks: [COMPROMISED, DEFAULT_ALERT],
      nag: false,
      cfnValidation: false,
      context: { ...SKIP_BUNDLING_CONTEXT, memberRoleName: 'OrgFirebreak', memberRoleExternalId: 'firebreak-org', organizationId: 'o-a1b2c3d4e5' },
    });
    expect(memberRole?.stackName).toBe('FirebreakMemberRole');
    expect(memberRole?.account).toBe(Stack.of(stack).account);
    expect(Token.isUnresolved(memberRole?.account)).toBe(true);
    const template = app.synth().getStackArtifact(memberRole!.artifactId).template as {
      Parameters: Record<string, unknown>;
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    expect(Object.keys(template.Parameters)).toEqual(['SecurityAccountId', 'SecurityRegion']);
    const role = Object.values(template.Resources).find((resource) => resource.Type === 'AWS::IAM::Role' && resource.Properties.RoleName === 'OrgFirebreak-quarantine-instance')!;
    expect(role).toBeDefined();
    expect(JSON.stringify(role.Properties.AssumeRolePolicyDocument)).toContain('"sts:ExternalId":"firebreak-org"');
    const actions = JSON.stringify(role.Properties.Policies);
    for (const action of ['ec2:DescribeInstances', 'ec2:ModifyNetworkInterfaceAttribute']) expect(actions).toContain(action);
    // Snapshots are snapshot-volumes' own, in its own role.
    expect(actions).not.toContain('ec2:CreateSnapshots');
  });

  it('gives the forensic role the member roles\' ExternalId (memberRoleExternalId), which copy-evidence sends', async () => {
    const forensic = await loadPlaybookFile('playbooks/scenarios/forensic/compromised-ec2-instance.yaml');
    const { app, forensicRole } = await buildFirebreakApp({
      playbooks: [forensic, DEFAULT_ALERT],
      nag: false,
      cfnValidation: false,
      context: {
        ...SKIP_BUNDLING_CONTEXT,
        memberRoleName: 'OrgFirebreak',
        memberRoleExternalId: 'firebreak-org',
        organizationId: 'o-a1b2c3d4e5',
        forensicAccountId: '444455556666',
        forensicKmsKeyArn: 'arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      },
    });
    const template = app.synth().getStackArtifact(forensicRole!.artifactId).template as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
    const role = Object.values(template.Resources).find((resource) => resource.Type === 'AWS::IAM::Role')!;
    expect(role.Properties.AssumeRolePolicyDocument).toMatchObject({ Statement: [{ Condition: { StringEquals: { 'sts:ExternalId': 'firebreak-org' } } }] });
  });

  it('takes the security account from context when given, and builds no member stack when nothing acts in member accounts', async () => {
    const configured = await buildFirebreakApp({
      playbooks: [COMPROMISED],
      nag: false,
      cfnValidation: false,
      context: { ...SKIP_BUNDLING_CONTEXT, securityAccountId: '999988887777', securityRegions: 'eu-west-1' },
    });
    const template = configured.app.synth().getStackArtifact(configured.memberRole!.artifactId).template as { Parameters?: object };
    expect(template.Parameters ?? {}).toEqual({});
    const alertsOnly = await buildFirebreakApp({ playbooks: [DEFAULT_ALERT], nag: false, cfnValidation: false, context: SKIP_BUNDLING_CONTEXT });
    expect(alertsOnly.memberRole).toBeUndefined();
    await expect(buildFirebreakApp({ playbooks: [DEFAULT_ALERT], context: { securityAccountId: '1234' } })).rejects.toThrow(
      /context "securityAccountId": a 12-digit AWS account id/,
    );
  });
});
