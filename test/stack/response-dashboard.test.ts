/**
 * The communication plan and response metrics in the template: every function's metrics namespace,
 * publish-alert's backup channel (environment, IAM, topic policy), the dashboard and the alarms.
 */
import { describe, expect, it } from 'vitest';
import { readFirebreakConfig } from '../../lib/stack/config';
import { CONTAINMENT_TARGET_OUTPUT_KEY } from '../../lib/stack/response-dashboard';
import { actionsOf, allStatements, logicalIdOf, resourcesOf, statementsOfRole, synthesize } from './support';

const operationsTopicId = (template: ReturnType<typeof synthesize>['template']) => logicalIdOf(template, 'AWS::SNS::Topic', 'Operations');
const alertTopicId = (template: ReturnType<typeof synthesize>['template']) => logicalIdOf(template, 'AWS::SNS::Topic', 'Alert');

describe('response metrics', () => {
  it('gives every function the namespace the dashboard reads', () => {
    const { template } = synthesize();
    const functions = Object.values(resourcesOf(template, 'AWS::Lambda::Function')).filter((fn) => (fn.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.FIREBREAK_STATE_TABLE !== undefined);
    expect(functions.length).toBeGreaterThan(3);
    for (const fn of functions) {
      expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables.POWERTOOLS_METRICS_NAMESPACE).toBe('Firebreak/Firebreak');
    }
    const body = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(body).toContain('TimeToContainment');
    expect(body).toContain('Firebreak/Firebreak');
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'Firebreak-response' });
  });

  it('pages both channels when a real incident takes longer than the target to contain', () => {
    for (const [props, threshold] of [[{}, 120_000], [{ containmentTargetSeconds: 45 }, 45_000]] as const) {
      const { template } = synthesize(props);
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'TimeToContainment',
        Namespace: 'Firebreak/Firebreak',
        Dimensions: [{ Name: 'origin', Value: 'finding' }, { Name: 'service', Value: 'quarantine-instance' }],
        Statistic: 'Maximum',
        Threshold: threshold,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: [{ Ref: alertTopicId(template) }, { Ref: operationsTopicId(template) }],
      });
      // The same target, as the output firebreak report and the game day read it.
      template.hasOutput(CONTAINMENT_TARGET_OUTPUT_KEY, { Value: String(threshold / 1000) });
    }
  });

  it('pages both channels when the alert topic fails to deliver, and when the backup refuses a copy', () => {
    const { template } = synthesize();
    const both = [{ Ref: alertTopicId(template) }, { Ref: operationsTopicId(template) }];
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'NumberOfNotificationsFailed', Namespace: 'AWS/SNS', AlarmActions: both });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'BackupChannelFailures', Namespace: 'Firebreak/Firebreak', AlarmActions: both });
  });

  it('refuses a containment target outside 10 s to a day, naming the key', () => {
    const read = (value: string) => readFirebreakConfig((key) => (key === 'containmentTargetSeconds' ? value : undefined));
    expect(read('300').containmentTargetSeconds).toBe(300);
    expect(() => read('5')).toThrow(/containmentTargetSeconds.*at least 10 seconds/);
    expect(() => read('90000')).toThrow(/containmentTargetSeconds.*at most 86400/);
  });
});

describe('the backup channel', () => {
  it('lets publish-alert, and no other responder, publish to the operations topic with its key', () => {
    const { template } = synthesize();
    const operations = operationsTopicId(template);
    const operationsKey = logicalIdOf(template, 'AWS::KMS::Key', 'Operations');
    const alerter = logicalIdOf(template, 'AWS::IAM::Role', 'ResponderPublishAlertRole');
    const statements = statementsOfRole(template, alerter);
    expect(statements).toContainEqual(expect.objectContaining({ Sid: 'PublishToTheBackupChannel', Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: operations } }));
    expect(statements).toContainEqual(
      expect.objectContaining({ Sid: 'EncryptForTheBackupChannel', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: { 'Fn::GetAtt': [operationsKey, 'Arn'] } }),
    );
    // No other role of the stack may publish there, but the emergency-pause function's (every pause and resume is announced there).
    const publishers = Object.keys(resourcesOf(template, 'AWS::IAM::Role')).filter((role) =>
      statementsOfRole(template, role).some((s) => s.Effect === 'Allow' && actionsOf(s).includes('sns:Publish') && JSON.stringify(s.Resource).includes(operations)),
    );
    expect(publishers.sort()).toEqual([logicalIdOf(template, 'AWS::IAM::Role', 'EmergencyPauseFunctionRole'), alerter].sort());
    // The topic's own policy names it among the only publishers.
    const deny = allStatements(template).find((s) => s.Sid === 'OnlyFirebreakPublishes' && JSON.stringify(s.Resource).includes(operations));
    expect(JSON.stringify(deny?.Condition)).toContain(alerter);
    const alertFn = Object.values(resourcesOf(template, 'AWS::Lambda::Function')).find((fn) => JSON.stringify(fn.Properties.Role).includes(alerter));
    expect((alertFn?.Properties.Environment as { Variables: Record<string, unknown> }).Variables.BACKUP_TOPIC_ARN).toEqual({ Ref: operations });
  });
});
