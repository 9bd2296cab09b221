/**
 * Scenario files are validated like playbooks: every problem with its file, line and column, in
 * words, and names checked against each other (groups, instances, templates, playbooks, steps).
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKnownApis } from '../../lib/gameday/api-names';
import { parseScenarioSource, validateScenarioDirectory } from '../../lib/gameday/scenario-loader';
import { formatPlaybookError } from '../../lib/playbooks/errors';
import type { Playbook } from '../../lib/playbooks/model';

const playbook: Playbook = {
  name: 'compromised-ec2-instance',
  description: 'x',
  match: { sources: ['guardduty'] },
  priority: 100,
  mode: 'enforce',
  file: 'playbooks/compromised-ec2-instance.yaml',
  steps: [
    {
      kind: 'parallel',
      id: 'contain-and-preserve-evidence',
      branches: [
        { kind: 'action', id: 'contain', action: 'quarantine-instance', with: {} },
        { kind: 'action', id: 'preserve-evidence', action: 'snapshot-volumes', with: {} },
      ],
    },
    { kind: 'action', id: 'alert', action: 'notify', with: {} },
  ],
};
const context = { playbooks: [playbook], templates: ['guardduty-ec2-backdoor-c2activity-multi-eni'], apis: await loadKnownApis() };

const VALID = `name: multi-eni
description: Two ENIs.
playbook: compromised-ec2-instance
environment:
  securityGroups:
    web-tier: {}
  instances:
    web:
      enis:
        - groups: [web-tier]
inject:
  - template: guardduty-ec2-backdoor-c2activity-multi-eni
    target: web
expect:
  executions: 1
  steps:
    contain: { status: succeeded }
  instances:
    web:
      enis: [[isolation]]
`;

function problems(text: string): string[] {
  return parseScenarioSource(text, 'scenarios/s.yaml', context).problems.map(formatPlaybookError);
}

describe('parseScenarioSource', () => {
  it('accepts a valid scenario and fills the defaults (account, region, enforce, one-by-one)', () => {
    const { scenario, problems: found } = parseScenarioSource(VALID, 'scenarios/s.yaml', context);
    expect(found).toEqual([]);
    expect(scenario).toMatchObject({
      name: 'multi-eni',
      file: 'scenarios/s.yaml',
      delivery: 'one-by-one',
      settings: { mode: 'enforce', forceDryRun: false },
      environment: { account: '111122223333', region: 'eu-west-1' },
      inject: [{ deliveries: 1, set: {} }],
    });
  });

  it('names an unknown key at its line and column, with the closest known key', () => {
    expect(problems(VALID.replace('  executions: 1', '  executons: 1'))).toEqual([
      "scenarios/s.yaml:15:3: unknown key 'executons' (did you mean 'executions'?); allowed here: " +
        'outcome, playbook, mode, executions, duplicates, clippedDeliveries, status, steps, instances, s3Objects, alerts, chat, keptEvents, undeliveredEvents, iamUsers, iamRoles, securityHub, unchanged, noMutatingCalls, accountUnchanged, calls, containedWithinSeconds, fleet, invocations, refusedAnswers, notDelivered, dnsBlocked, quarantineBucket, forensicCopies, deliveredBy, report',
    ]);
  });

  it("deploys the scenario's own playbookFiles (relative to its file) in place of the shipped playbook of the same name, and checks step ids against it", () => {
    const file = 'playbooks/scenarios/s.yaml';
    const own = VALID.replace('expect:\n', 'playbookFiles: [forensic/compromised-ec2-instance.yaml]\nexpect:\n').replace('    contain: { status: succeeded }', '    contain: { status: succeeded }\n    forensic-copy: { status: succeeded }');
    const parsed = parseScenarioSource(own, file, context);
    expect(parsed.problems.map(formatPlaybookError)).toEqual([]);
    expect(parsed.scenario?.ownPlaybooks?.map((p) => [p.name, p.file])).toEqual([['compromised-ec2-instance', expect.stringMatching(/playbooks\/scenarios\/forensic\/compromised-ec2-instance\.yaml$/)]]);
    // Without them, the shipped playbook has no such step.
    expect(parseScenarioSource(own.replace('playbookFiles: [forensic/compromised-ec2-instance.yaml]\n', ''), file, context).problems.map(formatPlaybookError).join('\n')).toContain("'forensic-copy'");
    expect(parseScenarioSource(own.replace('forensic/compromised', 'forensic/nope'), file, context).problems.map(formatPlaybookError).join('\n')).toContain('playbookFiles: ');
  });

  it("checks the direct 'invoke' and 'start' injections: an incident source, a known playbook, execution only with invoke", () => {
    expect(problems(VALID.replace('target: web', 'target: web\n    execution: forged')).join('\n')).toContain("'execution' belongs to an 'invoke' injection");
    expect(problems(VALID.replace('target: web', 'target: web\n    start: no-such-playbook')).join('\n')).toContain("no playbook 'no-such-playbook'");
    expect(problems(VALID.replace('target: web', 'target: web\n    invoke: quarantine-instance\n    execution: previous'))).toEqual([]);
  });

  it("checks 'input: event' (a rule target invoked directly with the event): only on 'invoke', and with nothing a step's input carries", () => {
    expect(problems(VALID.replace('target: web', 'target: web\n    invoke: oversized-event\n    input: event'))).toEqual([]);
    expect(problems(VALID.replace('target: web', 'target: web\n    input: event')).join('\n')).toContain("'input' belongs to an 'invoke' injection");
    expect(problems(VALID.replace('target: web', 'target: web\n    invoke: oversized-event\n    input: event\n    execution: forged')).join('\n')).toContain("'input: event' sends the event alone");
  });

  it('points at a wrong value with what was expected', () => {
    expect(problems(VALID.replace('contain: { status: succeeded }', 'contain: { status: done }'))).toEqual([
      "scenarios/s.yaml:17:24: 'status' cannot be the text \"done\"; expected one of: succeeded, failed, skipped",
    ]);
  });

  it('refuses a group, instance, template, playbook or step that does not exist, at the line that names it', () => {
    const text = VALID.replace('groups: [web-tier]', 'groups: [web-teir]')
      .replace('target: web', 'target: webb')
      .replace('template: guardduty-ec2-backdoor-c2activity-multi-eni', 'template: guardduty-backdoor')
      .replace('playbook: compromised-ec2-instance', 'playbook: compromised-ec2')
      .replace('contain: { status', 'contian: { status');
    expect(problems(text)).toEqual([
      expect.stringMatching(/^scenarios\/s\.yaml:3:11: no playbook 'compromised-ec2' \(did you mean 'compromised-ec2-instance'\?\)/),
      "scenarios/s.yaml:10:20: no security group 'web-teir' in environment.securityGroups (did you mean 'web-tier'?) (or 'default', the VPC's own)",
      "scenarios/s.yaml:12:15: no event template 'guardduty-backdoor'",
      "scenarios/s.yaml:13:13: no instance 'webb' in environment.instances (did you mean 'web'?)",
    ]);
  });

  it("refuses a 'tamper: { deleteAccessKey }' of a user or key the environment does not have, at the line that names it", () => {
    const withUser = VALID.replace('  instances:\n    web:\n      enis:', '  iamUsers:\n    ci-deployer:\n      accessKeys: [Active]\n  instances:\n    web:\n      enis:');
    const tamper = (spec: string) => withUser.replace('    target: web\n', `    target: web\n  - tamper: { deleteAccessKey: ${spec} }\n`);
    expect(problems(tamper('{ user: ci-deployer, key: 0 }'))).toEqual([]);
    expect(problems(tamper('{ user: ci-deployr, key: 0 }'))).toEqual([
      "scenarios/s.yaml:17:40: no IAM user 'ci-deployr' in environment.iamUsers (did you mean 'ci-deployer'?)",
    ]);
    expect(problems(tamper('{ user: ci-deployer, key: 1 }'))).toEqual(["scenarios/s.yaml:17:58: user 'ci-deployer' has 1 access key(s) in the environment: no key 1"]);
  });

  it("refuses a 'tamper: { optOutRole }' of a role the environment does not have, at the line that names it", () => {
    const withRole = VALID.replace('  instances:\n    web:\n      enis:', '  iamRoles:\n    ci-deploy-role: {}\n  instances:\n    web:\n      enis:');
    const tamper = (role: string) => withRole.replace('    target: web\n', `    target: web\n  - tamper: { optOutRole: ${role} }\n`);
    expect(problems(tamper('ci-deploy-role'))).toEqual([]);
    expect(problems(tamper('ci-deploy-rol'))).toEqual([expect.stringMatching(/^scenarios\/s\.yaml:\d+:\d+: no IAM role 'ci-deploy-rol' in environment\.iamRoles \(did you mean 'ci-deploy-role'\?\)$/)]);
  });

  it("takes a 'wait' between injections one by one, and refuses it when every injection is delivered at once", () => {
    const waiting = VALID.replace('    target: web\n', '    target: web\n  - wait: { seconds: 43500 }\n');
    expect(problems(waiting)).toEqual([]);
    expect(problems(waiting.replace('inject:', 'delivery: all-at-once\ninject:'))).toEqual([
      expect.stringMatching(/wait between injections needs delivery one-by-one/),
    ]);
    expect(problems(waiting.replace('seconds: 43500', 'seconds: 172801')).join('\n')).toMatch(/seconds/);
    expect(problems(waiting.replace('- wait: { seconds: 43500 }', '- wait: { seconds: 60 }\n    template: guardduty-ec2-backdoor-c2activity-multi-eni')).join('\n')).toContain("exactly one of");
  });

  it('refuses a step id the playbook does not have', () => {
    expect(problems(VALID.replace('contain: { status', 'contian: { status'))).toEqual([
      "scenarios/s.yaml:17:5: playbook compromised-ec2-instance has no step 'contian' (did you mean 'contain'?); its steps: contain-and-preserve-evidence, contain, preserve-evidence, alert",
    ]);
  });

  it('asks for exactly one of template, event or raw in an injection', () => {
    expect(problems(VALID.replace('    target: web\n', '    target: web\n    raw: hello\n'))).toEqual([
      "scenarios/s.yaml:12:5: an injection has exactly one of 'template', 'event', 'raw', 'release', 'releaseObject', 'tamper', 'unblockDns', 'releaseCredentials', 'pause', 'resume' or 'wait'",
    ]);
  });

  it('reports a YAML syntax error with its position', () => {
    expect(problems('name: [unclosed\n')).toEqual([expect.stringMatching(/^scenarios\/s\.yaml:\d+:\d+: YAML syntax error: /)]);
  });

  it('reports an alias error as a problem at the alias, not a crash', () => {
    expect(problems(VALID.replace('playbook: compromised-ec2-instance', 'playbook: *pb'))).toEqual([
      "scenarios/s.yaml:3:11: YAML error: alias '*pb' names no anchor set before it (an anchor is set with '&pb')",
    ]);
    expect(problems(`a: &a x\nb: [${Array(150).fill('*a').join(', ')}]\n`)).toEqual([expect.stringMatching(/^scenarios\/s\.yaml:2:5: YAML error: Excessive alias count/)]);
  });

  it('refuses an API name no call can have, in calls, faults and deniedActions, with the closest real one', () => {
    // A misspelt name in `count: 0` would pass whatever the responders did: it must not load.
    const withCalls = (calls: string) => VALID.replace('  executions: 1\n', `  executions: 1\n  calls:\n${calls}`);
    expect(problems(withCalls('    - { api: ec2:ModifyNetworkInterfaceAtribute, count: 0 }\n'))).toEqual([
      "scenarios/s.yaml:17:14: no API 'ec2:ModifyNetworkInterfaceAtribute' in ec2 (did you mean 'ec2:ModifyNetworkInterfaceAttribute'?): no call can have this name, so the expectation would hold without checking anything",
    ]);
    expect(problems(withCalls('    - { api: ecc2:DescribeInstances, count: 0 }\n'))).toEqual([
      expect.stringMatching(/^scenarios\/s\.yaml:17:14: no service 'ecc2' among those the game day answers \(did you mean 'ec2'\?\)/),
    ]);
    expect(problems(withCalls('    - { api: "ec2:Modifyy*", count: 0 }\n'))).toEqual([expect.stringMatching(/^scenarios\/s\.yaml:17:14: 'ec2:Modifyy\*' matches no API of ec2/)]);
    const environment = (lines: string) => VALID.replace('  instances:\n    web:\n      enis:', `${lines}  instances:\n    web:\n      enis:`);
    expect(problems(environment('  faults:\n    - { api: ec2:ModifyNetworkInterfaceAtribute, error: RequestLimitExceeded }\n'))).toEqual([
      expect.stringMatching(/^scenarios\/s\.yaml:8:14: no API 'ec2:ModifyNetworkInterfaceAtribute' in ec2 \(did you mean 'ec2:ModifyNetworkInterfaceAttribute'\?\): no call can have this name, so the fault would never be answered$/),
    ]);
    expect(problems(environment('  deniedActions: [ec2:ModifyInstanceAtribute]\n'))).toEqual([
      expect.stringMatching(/^scenarios\/s\.yaml:7:19: no API 'ec2:ModifyInstanceAtribute' in ec2 \(did you mean 'ec2:ModifyInstanceAttribute'\?\): no call can have this name, so nothing would be denied$/),
    ]);
  });

  it('refuses a function timeout of no responder, or at a call no responder can make', () => {
    const withTimeouts = (lines: string) => VALID.replace('expect:\n', `functionTimeouts:\n${lines}expect:\n`);
    expect(problems(withTimeouts('  - { responder: release-instance, hangsAt: ec2:AssociateIamInstanceProfile }\n'))).toEqual([]);
    expect(problems(withTimeouts('  - { responder: relase-instance, hangsAt: ec2:AssociateIamInstanceProfile }\n'))).toEqual([
      expect.stringMatching(/^scenarios\/s\.yaml:\d+:\d+: no responder 'relase-instance' \(did you mean 'release-instance'\?\)$/),
    ]);
    expect(problems(withTimeouts('  - { responder: release-instance, hangsAt: ec2:AssociateIamInstanceProfil }\n'))).toEqual([
      expect.stringMatching(/no API 'ec2:AssociateIamInstanceProfil' in ec2 .*: no call can have this name, so the function would never run out of time$/),
    ]);
  });

  it('takes real API names: IAM actions, the SDK operations the simulator answers, wildcards that match, any case', () => {
    const withCalls = (calls: string) => VALID.replace('  executions: 1\n', `  executions: 1\n  calls:\n${calls}`);
    // s3:HeadObject and s3:CopyObject are SDK operations, not IAM actions (HeadObject is authorized as s3:GetObject).
    for (const api of ['ec2:ModifyNetworkInterfaceAttribute', 's3:HeadObject', 's3:CopyObject', 'iam:DeleteRole', '"ec2:Modify*"', '"s3:*"', 'ec2:modifyinstanceattribute']) {
      expect(problems(withCalls(`    - { api: ${api}, count: 0 }\n`)), api).toEqual([]);
    }
  });

  it('checks API names even when the caller gives no list of them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'firebreak-scenarios-'));
    await writeFile(join(dir, 'multi-eni.yaml'), VALID.replace('  executions: 1\n', '  executions: 1\n  calls:\n    - { api: ec2:ModifyNetworkInterfaceAtribute, count: 0 }\n'));
    const { playbooks, templates } = context;
    const { problems: found } = await validateScenarioDirectory(dir, { playbooks, templates });
    expect(found.map(formatPlaybookError)).toEqual([expect.stringContaining("no API 'ec2:ModifyNetworkInterfaceAtribute' in ec2")]);
  });

  it('asks for the groups of every ENI when an expectation lists a different number', () => {
    expect(problems(VALID.replace('enis: [[isolation]]', 'enis: [[isolation], [isolation]]'))).toEqual([
      "scenarios/s.yaml:20:13: instance 'web' has 1 ENI(s); list the groups of each (2 given)",
    ]);
  });

  it('checks removedStatements: the role and the statement Sid, at the line that names them', () => {
    const text = VALID.replace(
      '        - groups: [web-tier]\n',
      '        - groups: [web-tier]\n  removedStatements:\n    - { role: quarantine-instanse, sid: ContainInstances }\n    - { role: quarantine-instance, sid: ContainInstance }\n    - { role: playbook:compromised-ec2-instance, sid: InvokeResponders }\n',
    );
    expect(problems(text)).toEqual([
      expect.stringMatching(/^scenarios\/s\.yaml:12:15: no role 'quarantine-instanse' \(did you mean 'quarantine-instance'\?\); roles: .*dispatcher, approval, emergency-pause, playbook:<name>, or member-role:<responder> and session-revoker-role:<responder> in a member-account game day$/),
      expect.stringMatching(/^scenarios\/s\.yaml:13:41: no statement 'ContainInstance' in Firebreak's policies \(did you mean 'ContainInstances'\?\)/),
    ]);
    expect(problems(text.replace('sid: ContainInstances }', 'sid: Contain-Instances }'))).toEqual([
      expect.stringMatching(/^scenarios\/s\.yaml:12:41: a statement Sid such as ContainInstances/),
    ]);
  });

  it('takes member-account roles in removedStatements only in a member-account game day', () => {
    const text = VALID.replace('        - groups: [web-tier]\n', '        - groups: [web-tier]\n  removedStatements:\n    - { role: "member-role:quarantine-instance", sid: ContainInstances }\n');
    expect(problems(text)).toEqual([
      expect.stringMatching(/^scenarios\/s\.yaml:12:15: member-role:quarantine-instance exists only in a member-account game day: set settings\.securityAccount/),
    ]);
  });

  it('holds an answer only until an injection the scenario has, and only when deliveries go one by one', () => {
    const withApprovals = (approvals: string, delivery = '') => `${VALID}${delivery}approvals:\n${approvals}`;
    expect(problems(withApprovals('  - { answer: approve, answerAfterInjection: 2 }\n'))).toEqual([
      expect.stringMatching(/^scenarios\/s\.yaml:22:46: the scenario has 1 inject: entry, no entry 2 to answer after$/),
    ]);
    expect(problems(withApprovals('  - { answer: approve, answerAfterInjection: 1 }\n', 'delivery: all-at-once\n'))).toEqual([
      expect.stringMatching(/answerAfterInjection|an answer held until an injection needs delivery one-by-one/),
    ]);
    expect(problems(withApprovals('  - { answer: approve, answerAfterInjection: 1 }\n'))).toEqual([]);
  });

  it("sends a previous execution's own incident only from a direct invocation that names that execution", () => {
    const invoking = (extra: string) =>
      VALID.replace('    target: web\n', `    target: web\n  - invoke: block-dns-domain\n    template: guardduty-ec2-backdoor-c2activity-multi-eni\n    target: web\n${extra}`);
    expect(problems(invoking('    execution: previous\n    incident: { from: previous-execution, set: { guardDuty.dnsDomain: sso.example.com } }\n'))).toEqual([]);
    expect(problems(invoking('    incident: { from: previous-execution }\n'))).toEqual([
      expect.stringMatching(/'incident: \{ from: previous-execution \}' needs 'invoke' and 'execution: previous' \(or 'first'\)$/),
    ]);
    // The first playbook execution's own incident: a containment that ended before a release started.
    expect(problems(invoking('    execution: first\n    incident: { from: previous-execution }\n'))).toEqual([]);
    expect(problems(invoking('    execution: previous\n    incident: { from: the-finding }\n'))).toEqual([expect.stringMatching(/previous-execution/)]);
  });

  it("takes the member role's external id only in a member-account game day, and only as STS takes one", () => {
    const withSettings = (settings: string) => VALID.replace('playbook: compromised-ec2-instance\n', `playbook: compromised-ec2-instance\nsettings:\n${settings}`);
    expect(problems(withSettings('  memberRoleExternalId: firebreak-7c41\n'))).toEqual([
      expect.stringMatching(/^scenarios\/s\.yaml:5:25: the member role exists only in a member-account game day: set settings\.securityAccount/),
    ]);
    expect(problems(withSettings('  securityAccount: "111122223333"\n  memberRoleExternalId: "has space"\n'))).toEqual([
      expect.stringMatching(/^scenarios\/s\.yaml:6:25: .*an STS ExternalId/),
    ]);
    expect(problems(withSettings('  securityAccount: "111122223333"\n  memberRoleExternalId: firebreak-7c41\n'))).toEqual([]);
  });

  it('takes servedAccountIds only in a member-account game day, and only as 12-digit account ids', () => {
    const withSettings = (settings: string) => VALID.replace('playbook: compromised-ec2-instance\n', `playbook: compromised-ec2-instance\nsettings:\n${settings}`);
    expect(problems(withSettings('  servedAccountIds: ["555566667777"]\n'))).toEqual([
      expect.stringMatching(/^scenarios\/s\.yaml:5:21: servedAccountIds narrows the organization a member-account game day serves: set settings\.securityAccount/),
    ]);
    expect(problems(withSettings('  securityAccount: "111122223333"\n  servedAccountIds: ["5555"]\n'))).toEqual([expect.stringMatching(/an account id has 12 digits/)]);
    expect(problems(withSettings('  securityAccount: "111122223333"\n  servedAccountIds: ["555566667777"]\n'))).toEqual([]);
  });
});

describe('FIDELITY (s3-bucket-policies): an S3 object bucket policy', () => {
  const ROOT = join(import.meta.dirname, '../..');
  /** A scenario file in playbooks/scenarios (so ../../examples resolves), with this bucketPolicy. */
  const withPolicy = (policy: string, extra = '') =>
    parseScenarioSource(
      `name: p
description: A bucket policy.
playbook: compromised-ec2-instance
environment:
  s3Objects:
    upload:
      bucket: uploads
      key: in/a.pdf
      bucketPolicy:
${policy}
${extra}inject:
  - tamper: { readObject: upload }
expect:
  executions: 0
`,
      join(ROOT, 'playbooks/scenarios/p.yaml'),
      context,
    );
  const messages = (parsed: ReturnType<typeof withPolicy>) => parsed.problems.map(formatPlaybookError).join('\n');

  it("reads an example file, replacing BUCKET and ACCOUNT by default and the scenario's own replacements", () => {
    const parsed = withPolicy('        file: ../../examples/s3-bucket-policies/deny-reading-infected-objects.json\n        replace: { YourForensicsRole: forensics }');
    expect(messages(parsed)).toBe('');
    const policy = parsed.scenario?.environment.s3Objects.upload?.bucketPolicy as unknown as { Statement: { Resource: string; Condition: { ArnNotLike: { 'aws:PrincipalArn': string[] } } }[] };
    expect(policy.Statement[0]?.Resource).toBe('arn:aws:s3:::uploads/*');
    expect(policy.Statement[0]?.Condition.ArnNotLike['aws:PrincipalArn'][0]).toBe('arn:aws:iam::111122223333:role/forensics');
  });

  it('refuses a placeholder left (QUARANTINE-BUCKET is not BUCKET), a replacement the file lacks, a missing file, and a policy S3 would refuse', () => {
    expect(messages(withPolicy('        file: ../../examples/s3-bucket-policies/owner-roles-own-directory-only.json'))).toContain('still has QUARANTINE-BUCKET, OWNER-ACCOUNT');
    expect(messages(withPolicy('        file: ../../examples/s3-bucket-policies/deny-reading-infected-objects.json\n        replace: { NoSuchText: x }'))).toContain("'NoSuchText' is not in");
    expect(messages(withPolicy('        file: ../../examples/s3-bucket-policies/nope.json'))).toContain('cannot read ../../examples/s3-bucket-policies/nope.json');
    const otherBucket = "        Statement: [{ Effect: Deny, Principal: '*', Action: s3:GetObject, Resource: 'arn:aws:s3:::elsewhere/*' }]";
    expect(messages(withPolicy(otherBucket))).toContain('S3 would refuse it (MalformedPolicy: Policy has invalid resource)');
    expect(messages(withPolicy("        Statement: [{ Effect: Deny, Action: s3:GetObject, Resource: 'arn:aws:s3:::uploads/*' }]"))).toContain('Missing required field Principal');
  });

  it('refuses two policies for one bucket and a readObject of an object the environment lacks', () => {
    const inline = "        Statement: [{ Effect: Deny, Principal: '*', Action: s3:GetObject, Resource: 'arn:aws:s3:::uploads/*' }]";
    const second = "    other:\n      bucket: uploads\n      key: in/b.pdf\n      bucketPolicy:\n        Statement: [{ Effect: Deny, Principal: '*', Action: s3:PutObject, Resource: 'arn:aws:s3:::uploads/*' }]\n";
    const text = messages(withPolicy(inline, second));
    expect(text).toContain('another object of bucket uploads gives it another policy');
    const parsed = parseScenarioSource(
      `name: p\ndescription: d\nplaybook: compromised-ec2-instance\nenvironment:\n  s3Objects:\n    upload: { bucket: uploads, key: a }\ninject:\n  - tamper: { readObject: uplaod }\nexpect:\n  executions: 0\n`,
      'scenarios/s.yaml',
      context,
    );
    expect(messages(parsed)).toContain("no S3 object 'uplaod' in environment.s3Objects");
  });

  it('refuses an uploadObject of an object the environment lacks, and one without a body (row 16u)', () => {
    const scenario = (tamper: string) =>
      parseScenarioSource(`name: p\ndescription: d\nplaybook: compromised-ec2-instance\nenvironment:\n  s3Objects:\n    upload: { bucket: uploads, key: a, versioned: false }\ninject:\n  - tamper: ${tamper}\nexpect:\n  executions: 0\n`, 'scenarios/s.yaml', context);
    expect(messages(scenario("{ uploadObject: uplaod, body: 'x' }"))).toContain("no S3 object 'uplaod' in environment.s3Objects");
    expect(messages(scenario('{ uploadObject: upload }'))).not.toBe('');
    expect(messages(scenario("{ uploadObject: upload, body: 'other bytes' }"))).toBe('');
  });
});

describe('a quarantine bucket (settings.quarantineBucket)', () => {
  const ROOT = join(import.meta.dirname, '../..');
  const withQuarantine = (quarantine: string) =>
    parseScenarioSource(
      `name: q
description: A quarantine bucket.
playbook: compromised-ec2-instance
settings:
  quarantineBucket:
${quarantine}
environment:
  s3Objects:
    upload: { bucket: uploads, key: in/a.pdf }
inject:
  - tamper: { readObject: upload }
expect:
  executions: 0
`,
      join(ROOT, 'playbooks/scenarios/q.yaml'),
      context,
    );
  const messages = (parsed: ReturnType<typeof withQuarantine>) => parsed.problems.map(formatPlaybookError).join('\n');

  it("reads the example policy, QUARANTINE-BUCKET and OWNER-ACCOUNT defaulting to the bucket and its account and o-YOURORG to the game day's organization", () => {
    const parsed = withQuarantine('    bucket: central-quarantine\n    account: "999988887777"\n    bucketPolicy:\n      file: ../../examples/s3-bucket-policies/quarantine-copies-own-account-only.json');
    expect(messages(parsed)).toBe('');
    const policy = parsed.scenario?.settings.quarantineBucket?.bucketPolicy as unknown as { Statement: { Resource: string; Condition: { StringEquals: Record<string, string> } }[] };
    expect(policy.Statement[0]?.Resource).toBe('arn:aws:s3:::central-quarantine/firebreak-quarantine/${aws:PrincipalAccount}/*');
    expect(policy.Statement[0]?.Condition.StringEquals['aws:PrincipalOrgID']).toBe('o-firebreakgameday');
  });

  it('refuses a quarantine bucket that is also an object\'s bucket, an account id of the wrong length, and a policy of another bucket', () => {
    expect(messages(withQuarantine('    bucket: uploads\n    account: "999988887777"'))).toContain("bucket uploads is also s3Objects.upload's bucket: a quarantine bucket holds copies only");
    expect(messages(withQuarantine('    bucket: central-quarantine\n    account: "99998888777"'))).toContain('an account id has 12 digits');
    const other = "    bucket: central-quarantine\n    account: \"999988887777\"\n    bucketPolicy:\n      Statement: [{ Effect: Allow, Principal: '*', Action: s3:PutObject, Resource: 'arn:aws:s3:::elsewhere/*' }]";
    expect(messages(withQuarantine(other))).toContain('quarantineBucket: S3 would refuse it (MalformedPolicy: Policy has invalid resource)');
  });
});
