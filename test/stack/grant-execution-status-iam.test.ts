/**
 * Each responder that acts under a containment grant may ask Step Functions whether the grant's
 * execution still runs (states:DescribeExecution, grants.ts checkContainmentGrant), on this
 * deployment's guarded playbooks' executions only, as narrow as the guard's own statement; the
 * responders that check no grant may not.
 */
import { describe, expect, it } from 'vitest';
import { loadPlaybookDirectorySync } from '../../lib/playbooks/loader';
import { GRANTED_RESPONDERS } from '../../lib/playbooks/rails';
import { isGuardedPlaybook } from '../../lib/playbooks/compile';
import { pascal } from '../../lib/stack/defaults';
import { SHIPPED_PLAYBOOKS_DIR } from '../../lib/stack/package-root';
import type { Statement } from './support';
import { ALARM, DEFAULT_ALERT, action, actionsOf, logicalIdOf, playbook, resourcesOf, synthesize } from './support';

/** The shipped playbooks, and one that also writes back to Security Hub and keeps evidence in the forensic account (no shipped playbook does). */
const PLAYBOOKS = [
  ...loadPlaybookDirectorySync(SHIPPED_PLAYBOOKS_DIR),
  playbook('contain-and-write-back', [action('contain', 'quarantine-instance'), action('alert', 'notify'), action('security-hub', 'update-security-hub-finding')], { resourceKinds: ['ec2-instance'] }, 1),
];
const { template } = synthesize({ playbooks: PLAYBOOKS });
const roles = Object.entries(template.findResources('AWS::IAM::Role'));

/** Every statement of a role: its inline policy and the managed policy CDK moves the overflow into. */
function roleStatements(of: typeof template, roleLogicalId: string): Statement[] {
  const role = JSON.stringify({ Ref: roleLogicalId });
  return [...Object.values(resourcesOf(of, 'AWS::IAM::Policy')), ...Object.values(resourcesOf(of, 'AWS::IAM::ManagedPolicy'))]
    .filter((policy) => ((policy.Properties.Roles ?? []) as unknown[]).some((attached) => JSON.stringify(attached) === role))
    .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

function responderStatements(responder: string): Statement[] {
  return roleStatements(template, logicalIdOf(template, 'AWS::IAM::Role', `Responder${pascal(responder)}Role`));
}

/** The guarded playbooks' executions, one resource each, as the stack names them. */
const GUARDED_EXECUTIONS = PLAYBOOKS.filter(isGuardedPlaybook)
  .map((playbook) => playbook.name)
  .sort()
  .map((name) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':states:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:execution:Firebreak-${name}:*`]] }));

describe('states:DescribeExecution for the responders that check containment grants', () => {
  it('these playbooks deploy every responder that checks grants', () => {
    for (const responder of GRANTED_RESPONDERS) expect(roles.some(([id]) => id.startsWith(`Responder${pascal(responder)}Role`)), responder).toBe(true);
  });

  it.each(GRANTED_RESPONDERS)("%s may describe exactly the guard's executions: the guarded playbooks', by name, nothing else", (responder) => {
    const describing = responderStatements(responder).filter((statement) => actionsOf(statement).includes('states:DescribeExecution'));
    expect(describing).toHaveLength(1);
    const [statement] = describing as [Statement];
    expect(statement).toMatchObject({ Sid: 'VerifyPlaybookExecutions', Effect: 'Allow', Action: 'states:DescribeExecution' });
    expect(statement.Condition).toBeUndefined();
    expect(statement.Resource).toEqual(expect.arrayContaining(GUARDED_EXECUTIONS));
    expect(statement.Resource).toHaveLength(GUARDED_EXECUTIONS.length);
    // The same statement as the guard's: one scope for both.
    expect(responderStatements('containment-guard').find((guard) => guard.Sid === 'VerifyPlaybookExecutions')).toEqual(statement);
  });

  it.each(['triage', 'snapshot-volumes', 'oversized-event'])('%s, which checks no grant, may not describe executions', (responder) => {
    expect(responderStatements(responder).flatMap(actionsOf)).not.toContain('states:DescribeExecution');
  });

  it('a deployment without a guarded playbook grants it to no responder (no grant to check)', () => {
    const unguarded = synthesize({ playbooks: [ALARM, DEFAULT_ALERT] }).template;
    const responderRoles = Object.keys(unguarded.findResources('AWS::IAM::Role')).filter((id) => id.startsWith('Responder'));
    expect(responderRoles.length).toBeGreaterThan(1);
    expect(responderRoles.flatMap((id) => roleStatements(unguarded, id).flatMap(actionsOf))).not.toContain('states:DescribeExecution');
  });
});
