import { describe, expect, it } from 'vitest';
import type { PlaybookError } from '../../lib/playbooks/errors';
import { closestName, editDistance, formatPlaybookError, PlaybookValidationError } from '../../lib/playbooks/errors';
import { parsePlaybookSource } from '../../lib/playbooks/loader';

/** A valid playbook, with `replace` applied to its text to break one thing at a time. */
const VALID = `name: contain-backdoor
description: Contain backdoor findings.
priority: 100
mode: enforce
match:
  sources: [guardduty]
  findingTypes: ["Backdoor:EC2/*"]
  severity: { min: 7.0, max: 10.0 }
  resourceKinds: [ec2-instance]
steps:
  - parallel:
      - action: quarantine-instance
        id: contain
      - action: snapshot-volumes
        id: preserve-evidence
  - action: notify
    with:
      advice: Investigate.
`;

function errorsOf(text: string): PlaybookError[] {
  return parsePlaybookSource(text, 'playbooks/test.yaml').errors;
}

function broken(from: string, to: string): PlaybookError[] {
  expect(VALID).toContain(from);
  return errorsOf(VALID.replace(from, to));
}

describe('playbook validation errors', () => {
  it('accepts the valid playbook the other cases break', () => {
    expect(errorsOf(VALID)).toEqual([]);
  });

  it('names an unknown action with a did-you-mean, at its line and column', () => {
    expect(broken('action: notify', 'action: notfy')).toEqual([
      {
        file: 'playbooks/test.yaml',
        line: 16,
        column: 13,
        message: "unknown action 'notfy' (did you mean 'notify'?); actions are: quarantine-instance, snapshot-volumes, copy-evidence, release-instance, block-dns-domain, unblock-dns-domains, contain-each-instance, contain-each-credential, quarantine-s3-object, release-s3-object, disable-access-key, revoke-role-sessions, release-credentials, update-security-hub-finding, notify",
      },
    ]);
  });

  it("refuses snapshot tags that would override Firebreak's evidence markers or AWS's reserved prefix, naming the key", () => {
    const withTags = (key: string) =>
      broken('        id: preserve-evidence\n', `        id: preserve-evidence\n        with:\n          tags:\n            ${key}: x\n`);
    expect(withTags('firebreak:evidence')).toEqual([
      expect.objectContaining({
        line: 18,
        message: expect.stringContaining("key 'firebreak:evidence' is not allowed: tag keys starting with firebreak: are set by Firebreak itself"),
      }),
    ]);
    expect(withTags('aws:owner')[0]?.message).toContain("key 'aws:owner' is not allowed: tag keys starting with aws: are reserved by AWS");
    expect(withTags('evidence-collected-by')).toEqual([]);
  });

  it('suggests the full name for a truncated action', () => {
    expect(broken('action: quarantine-instance', 'action: quarantine')[0]?.message).toContain("did you mean 'quarantine-instance'?");
  });

  it('names a misspelt top-level key and the closest real key, at the key', () => {
    const errors = broken('priority: 100', 'priorty: 100');
    expect(errors).toContainEqual(
      expect.objectContaining({ line: 3, column: 1, message: expect.stringContaining("unknown key 'priorty' (did you mean 'priority'?)") }),
    );
    expect(errors).toContainEqual(expect.objectContaining({ message: "missing required key 'priority'" }));
  });

  it('names misspelt keys inside match, severity and a step', () => {
    expect(broken('resourceKinds:', 'resourceKind:')[0]).toMatchObject({
      line: 9,
      column: 3,
      message: expect.stringContaining("unknown key 'resourceKind' (did you mean 'resourceKinds'?); match takes:"),
    });
    expect(broken('max: 10.0', 'maximum: 10.0')[0]?.message).toContain("unknown key 'maximum' (did you mean 'max'?)");
    expect(broken('    with:', '    whit:')[0]).toMatchObject({ line: 17, message: expect.stringContaining("unknown key 'whit' (did you mean 'with'?)") });
  });

  it('refuses an impossible severity range: min above max', () => {
    expect(broken('min: 7.0, max: 10.0', 'min: 9.0, max: 7.0')).toEqual([
      expect.objectContaining({
        line: 8,
        column: 20,
        message: 'impossible severity range: min 9.0 is greater than max 7.0, so no finding can match',
      }),
    ]);
  });

  it("refuses a severity bound outside GuardDuty's 0.0–10.0 scale, both ways", () => {
    expect(broken('max: 10.0', 'max: 10.5')[0]?.message).toBe("severity max 10.5 is outside GuardDuty's 0.0–10.0 scale");
    expect(broken('min: 7.0', 'min: -1')[0]?.message).toBe("severity min -1 is outside GuardDuty's 0.0–10.0 scale");
    expect(broken('min: 7.0, max: 10.0', 'min: 0, max: 10')).toEqual([]);
  });

  it('refuses a finding-type glob that matches no GuardDuty finding type, suggesting the closest', () => {
    expect(broken('"Backdoor:EC2/*"', '"Backdor:EC2/*"')).toEqual([
      expect.objectContaining({
        line: 7,
        column: 18,
        message: "finding-type glob 'Backdor:EC2/*' matches no GuardDuty finding type (did you mean 'Backdoor:EC2/*'?)",
      }),
    ]);
    expect(broken('"Backdoor:EC2/*"', '"Backdoor:EC2/C&CActivity.B!DSN"')[0]?.message).toContain("did you mean 'Backdoor:EC2/C&CActivity.B!DNS'?");
    expect(broken('"Backdoor:EC2/*"', '"*:EC2/*"')).toEqual([]);
  });

  it("refuses options an action does not take, per the action's own schema", () => {
    const errors = broken('        id: contain\n', '        id: contain\n        with: { revokeSessions: true, detachInstanceProfile: "no" }\n');
    expect(errors.map((error) => error.message)).toEqual([
      "'revokeSessions' is not an option of quarantine-instance (did you mean 'revokeRoleSessions'?); its options are: detachInstanceProfile, revokeRoleSessions, autoScaling, deregisterFromLoadBalancers, disassociateElasticIps, instanceMetadata",
      `invalid option for quarantine-instance: 'detachInstanceProfile' must be true or false, not the text "no"`,
    ]);
    expect(broken('advice: Investigate.', 'advice: ""')[0]?.message).toBe("invalid option for notify: 'advice' must not be empty");
  });

  it('refuses duplicate step ids, naming the line of the first use', () => {
    expect(broken('id: preserve-evidence', 'id: contain')).toEqual([
      expect.objectContaining({
        line: 15,
        column: 13,
        message: "duplicate step id 'contain': step ids name the states of the compiled state machine and must be unique (first used on line 13)",
      }),
    ]);
  });

  it('refuses step ids that cannot be state names', () => {
    expect(broken('id: contain', 'id: "contain it"')[0]?.message).toContain('may only use letters, digits and hyphens');
    // 50, so that the longest generated name (BeforeApproval-<id>-failure-alert) fits ASL's 80 characters.
    expect(broken('id: contain', `id: ${'a'.repeat(51)}`)[0]?.message).toBe('step id must be at most 50 characters long');
    expect(errorsOf(VALID.replace('id: contain', `id: ${'a'.repeat(50)}`))).toEqual([]);
  });

  it('refuses step ids the compiler generates around resource-changing steps, and accepts look-alikes', () => {
    for (const id of ['Guard', 'GuardDecision', 'WaitForApproval', 'ApprovalGiven', 'EvidenceOnly-contain', 'Approved-x', 'playbook-failed']) {
      expect(broken('id: contain', `id: ${id}`)[0]?.message, id).toContain('is reserved for the states Firebreak adds');
    }
    for (const id of ['guard', 'Guardian', 'approved', 'evidence-only']) expect(errorsOf(VALID.replace('id: contain', `id: ${id}`)), id).toEqual([]);
  });

  it('reads approval: with its defaults, and trigger: manual', () => {
    const approval = parsePlaybookSource(VALID.replace('mode: enforce', 'mode: enforce\napproval:\n  required: true'), 'p.yaml');
    expect(approval.playbook).toMatchObject({ trigger: 'automatic', approval: { required: true, timeoutSeconds: 3600, onTimeout: 'evidence-only' } });
    const plain = parsePlaybookSource(VALID, 'p.yaml');
    expect(plain.playbook).toMatchObject({ trigger: 'automatic', approval: { required: false, timeoutSeconds: 3600, onTimeout: 'evidence-only' } });
    const custom = parsePlaybookSource(
      VALID.replace('mode: enforce', 'mode: enforce\napproval: { timeoutSeconds: 900, onTimeout: contain }'),
      'p.yaml',
    );
    expect(custom.playbook?.approval).toEqual({ required: false, timeoutSeconds: 900, onTimeout: 'contain' });
  });

  it('refuses an approval timeout outside a minute to a day, and an unknown onTimeout, in words', () => {
    const withApproval = (approval: string) => errorsOf(VALID.replace('mode: enforce', `mode: enforce\napproval: ${approval}`));
    expect(withApproval('{ timeoutSeconds: 59 }')[0]).toMatchObject({
      line: 5,
      message: 'approval timeoutSeconds must be a whole number of seconds from 60 to 86400 (a day), not 59',
    });
    expect(withApproval('{ timeoutSeconds: 86401 }')[0]?.message).toContain('not 86401');
    expect(withApproval('{ timeoutSeconds: 60 }')).toEqual([]);
    expect(withApproval('{ timeoutSeconds: 86400 }')).toEqual([]);
    expect(withApproval('{ onTimeout: contian }')[0]?.message).toBe(
      "approval onTimeout cannot be the text \"contian\" (did you mean 'contain'?); expected one of: evidence-only, contain",
    );
    expect(withApproval('{ required: yes }')[0]?.message).toBe('approval required must be true or false, not the text "yes"');
    expect(withApproval('{ timeoutSecond: 60 }')[0]?.message).toContain("unknown key 'timeoutSecond' (did you mean 'timeoutSeconds'?); approval takes: required, timeoutSeconds, onTimeout");
  });

  it('refuses approval where it guards nothing: a playbook without resource-changing steps', () => {
    const alertOnly = `name: alert-only\ndescription: d\npriority: 1\nmode: enforce\napproval: { required: true }\nmatch:\n  sources: [guardduty]\nsteps:\n  - action: notify\n`;
    expect(errorsOf(alertOnly)).toEqual([
      expect.objectContaining({ line: 5, column: 1, message: 'approval guards the steps that change resources, and this playbook has none: remove approval' }),
    ]);
  });

  it('requires approval of a manual playbook that changes resources: whoever starts it is only a claim (issue 8)', () => {
    expect(broken('mode: enforce', 'mode: enforce\ntrigger: manual\napproval: { required: true }')).toEqual([]);
    expect(broken('mode: enforce', 'mode: enforce\ntrigger: manual')).toEqual([
      expect.objectContaining({ line: 5, message: expect.stringContaining("add 'approval: { required: true }'") }),
    ]);
    expect(broken('mode: enforce', 'mode: enforce\ntrigger: manual\napproval: { required: false }')).toEqual([
      expect.objectContaining({ line: 6, message: expect.stringContaining("add 'approval: { required: true }'") }),
    ]);
  });

  // Review review-approval (row 5n): a manual playbook's onTimeout contain compiled its release steps
  // onto the timeout path, and the grant cleared them at the deadline: whoever started it (a claim)
  // released, or unblocked, with nobody's approval.
  it('ATTACK (review-approval): refuses onTimeout contain on a manual playbook: an unanswered release never runs', () => {
    expect(broken('mode: enforce', 'mode: enforce\ntrigger: manual\napproval: { required: true, onTimeout: contain }')).toEqual([
      expect.objectContaining({ line: 6, message: expect.stringContaining("a 'trigger: manual' playbook never runs its steps unanswered: its onTimeout must be evidence-only") }),
    ]);
    expect(broken('mode: enforce', 'mode: enforce\ntrigger: manual\napproval: { required: true, onTimeout: evidence-only }')).toEqual([]);
    expect(broken('mode: enforce', 'mode: enforce\napproval: { required: true, onTimeout: contain }')).toEqual([]);
  });

  it('refuses a playbook that changes resources without a notify step, manual or not', () => {
    const silent = VALID.replace('  - action: notify\n    with:\n      advice: Investigate.\n', '');
    expect(silent).not.toContain('notify');
    expect(errorsOf(silent)).toEqual([
      expect.objectContaining({ line: 10, message: expect.stringContaining('needs a notify step') }),
    ]);
    expect(errorsOf(silent.replace('mode: enforce', 'mode: enforce\ntrigger: manual\napproval: { required: true }'))).toEqual([
      expect.objectContaining({ message: expect.stringContaining('needs a notify step') }),
    ]);
  });

  it('ATTACK (resolved-after-release): refuses a RESOLVED write-back with no release step before it (before it, beside it in a parallel group, none at all)', () => {
    // Row 13g: the write-back resolves only on the release step's answer (row 13e); placed anywhere
    // it sees none, and would resolve the finding of an instance the release refused to touch.
    const release = (steps: string) =>
      `name: release-it\ndescription: d\npriority: 0\nmode: enforce\ntrigger: manual\napproval: { required: true }\nmatch:\n  sources: [guardduty]\n  resourceKinds: [ec2-instance]\nsteps:\n${steps}`;
    const releaseStep = '  - action: release-instance\n    id: release\n';
    const notify = '  - action: notify\n    id: alert\n';
    const resolved = '  - action: update-security-hub-finding\n    id: security-hub\n    with: { workflowStatus: RESOLVED }\n';
    const message = 'update-security-hub-finding sets RESOLVED only on the answer of a release step before it (release-instance, release-credentials, release-s3-object): put it after the release step, not before it nor in a parallel group with it, so that a release that released nothing leaves the finding open';
    expect(errorsOf(release(releaseStep + notify + resolved))).toEqual([]);
    expect(errorsOf(release(resolved + releaseStep + notify))).toEqual([expect.objectContaining({ line: 13, message })]);
    const beside = '  - parallel:\n      - action: release-instance\n        id: release\n      - action: update-security-hub-finding\n        id: security-hub\n        with: { workflowStatus: RESOLVED }\n';
    expect(errorsOf(release(beside + notify))).toEqual([expect.objectContaining({ line: 16, message })]);
    // A group after the release is fine; a group holding the release counts as released after it.
    const besideAlert = '  - parallel:\n      - action: notify\n        id: alert\n      - action: update-security-hub-finding\n        id: security-hub\n        with: { workflowStatus: RESOLVED }\n';
    expect(errorsOf(release(releaseStep + besideAlert))).toEqual([]);
    const groupedRelease = '  - parallel:\n      - action: release-instance\n        id: release\n      - action: unblock-dns-domains\n        id: unblock-dns\n';
    expect(errorsOf(release(groupedRelease + notify + resolved))).toEqual([]);
    // A playbook whose only changing step is another kind: nothing released, nothing to resolve.
    expect(errorsOf(release('  - action: quarantine-instance\n    id: contain\n' + notify + resolved))).toEqual([expect.objectContaining({ message })]);
    // NOTIFIED is not held to it.
    expect(errorsOf(release(resolved.replace('RESOLVED', 'NOTIFIED') + releaseStep + notify))).toEqual([]);
  });

  it('refuses an unknown trigger with a did-you-mean', () => {
    expect(broken('mode: enforce', 'mode: enforce\ntrigger: manaul')[0]?.message).toBe(
      "trigger cannot be the text \"manaul\" (did you mean 'manual'?); expected one of: automatic, manual, per-instance, per-credential",
    );
  });

  it('reports a YAML syntax error with its line', () => {
    expect(broken('  sources: [guardduty]', '  sources: [guardduty')[0]).toMatchObject({
      line: 7,
      message: expect.stringMatching(/^YAML syntax error: /),
    });
    expect(errorsOf('name: a\nname: b\n')).toEqual([
      expect.objectContaining({ line: 2, column: 1, message: 'YAML syntax error: Map keys must be unique' }),
    ]);
  });

  it('reports every problem of a file in one pass, not only the first', () => {
    const text = VALID.replace('priority: 100', 'priority: high').replace('"Backdoor:EC2/*"', '"Backdor:EC2/*"').replace('action: notify', 'action: page');
    expect(errorsOf(text).map((error) => error.line)).toEqual([3, 7, 16]);
  });

  it('refuses an alarm state other than ALARM: returning to OK never starts a playbook', () => {
    const errors = errorsOf(`name: alarm
description: d
priority: 1
mode: enforce
match:
  sources: [cloudwatch]
  alarmStates: [ALARM, OK]
steps:
  - action: notify
`);
    expect(errors).toEqual([expect.objectContaining({ line: 7, column: 24, message: expect.stringContaining('never starts a playbook when an alarm goes to OK') })]);
  });

  it('refuses GuardDuty keys without the guardduty source, and alarm keys without cloudwatch', () => {
    const errors = errorsOf(`name: mixed
description: d
priority: 1
mode: enforce
match:
  sources: [cloudwatch]
  findingTypes: ["Recon:EC2/*"]
  resourceRole: TARGET
steps:
  - action: notify
`);
    expect(errors.map((error) => error.message)).toEqual([
      'findingTypes only applies to GuardDuty findings, but sources does not include guardduty',
      'resourceRole only applies to GuardDuty findings, but sources does not include guardduty',
    ]);
  });

  it('refuses an instance action in a playbook that can match incidents without an instance', () => {
    expect(broken('  resourceKinds: [ec2-instance]\n', '')).toEqual([
      expect.objectContaining({ line: 11, message: expect.stringContaining("action quarantine-instance acts on an EC2 instance") }),
      expect.objectContaining({ line: 13, message: expect.stringContaining('action snapshot-volumes acts on an EC2 instance') }),
    ]);
  });

  it('refuses a credential action in a playbook that can match incidents other than access keys, and accepts it when it cannot', () => {
    const credentials = (kinds: string) => `name: creds
description: d
priority: 1
mode: enforce
match:
  sources: [guardduty]
  findingTypes: ["UnauthorizedAccess:IAMUser/TorIPCaller"]
${kinds}steps:
  - action: disable-access-key
  - action: revoke-role-sessions
  - action: notify
`;
    expect(errorsOf(credentials('')).map((error) => error.message)).toEqual([
      "action disable-access-key acts on the credentials an access-key incident names, but this playbook can match other incidents: add 'resourceKinds: [access-key]' to match",
      "action revoke-role-sessions acts on the credentials an access-key incident names, but this playbook can match other incidents: add 'resourceKinds: [access-key]' to match",
    ]);
    expect(errorsOf(credentials('  resourceKinds: [access-key, ec2-instance]\n'))).toHaveLength(2);
    expect(errorsOf(credentials('  resourceKinds: [access-key]\n'))).toEqual([]);
  });

  // Regression: a mapping whose toString is not a function (`{toString: null}`) in place of a name
  // reached String() in the error message and threw a TypeError out of validation.
  it('refuses a mapping or list where a name or number belongs, by its kind, without ever turning it into text', () => {
    const cases: readonly (readonly [string, string, string])[] = [
      ['mode: enforce', 'mode: {toString: null}', "'mode' cannot be a mapping; expected one of: enforce, dry-run"],
      ['mode: enforce', 'mode: [{toString: null, valueOf: null}]', "'mode' cannot be a list; expected one of: enforce, dry-run"],
      ['sources: [guardduty]', 'sources: [{toString: null}]', 'unknown source a mapping; sources are: guardduty, cloudwatch'],
      ['resourceKinds: [ec2-instance]', 'resourceKinds: [{toString: x, valueOf: null}]', 'unknown resource kind a mapping; kinds are: '],
      ['priority: 100', 'priority: {toString: null}', 'priority must be a whole number from 0 to 1000, not a mapping'],
      ['min: 7.0', 'min: {toString: null}', 'severity min must be a number from 0.0 to 10.0, not a mapping'],
      ['findingTypes: ["Backdoor:EC2/*"]', 'findingTypes: [{toString: null}]', 'a finding-type glob must be text, not a mapping'],
      ['mode: enforce', 'mode: enforce\ntrigger: {toString: null}', 'trigger cannot be a mapping; expected one of: '],
    ];
    for (const [from, to, message] of cases) {
      const errors = broken(from, to);
      expect(errors.map((error) => error.message).join('\n'), to).toContain(message);
      expect(errors.map((error) => error.message).join('\n'), to).not.toMatch(/did you mean|\[object Object\]/);
    }
  });

  it('explains structural mistakes in words', () => {
    expect(errorsOf('')[0]?.message).toBe('the file is empty: a playbook needs name, description, priority, mode, match and steps');
    expect(errorsOf('- a list\n')[0]?.message).toBe('a playbook file must be a mapping with name, description, priority, mode, match and steps');
    expect(broken('  - action: notify\n    with:\n      advice: Investigate.\n', '  - notify\n')[0]?.message).toBe(
      `a step must be a mapping with 'action:' (or 'parallel:'), not the text "notify"`,
    );
    expect(broken('      - action: snapshot-volumes\n        id: preserve-evidence\n', '')[0]?.message).toBe(
      'a parallel group needs at least two steps; put a single step directly in the list',
    );
    expect(broken('name: contain-backdoor', 'name: Contain_Backdoor')[0]?.message).toContain('must be kebab-case');
    expect(broken('mode: enforce', 'mode: enforcing')[0]?.message).toContain("(did you mean 'enforce'?)");
    expect(broken('priority: 100', 'priority: 10.5')[0]?.message).toBe('priority must be a whole number from 0 to 1000, not 10.5');
  });
});

describe('formatPlaybookError and PlaybookValidationError', () => {
  it('formats file:line:col: message, leaving out what is unknown', () => {
    expect(formatPlaybookError({ file: 'a.yaml', line: 3, column: 7, message: 'bad' })).toBe('a.yaml:3:7: bad');
    expect(formatPlaybookError({ file: 'a.yaml', line: 3, message: 'bad' })).toBe('a.yaml:3: bad');
    expect(formatPlaybookError({ file: 'a.yaml', message: 'bad' })).toBe('a.yaml: bad');
  });

  it('carries every error, sorted by file and line, and lists them in its message', () => {
    const error = new PlaybookValidationError([
      { file: 'b.yaml', line: 1, column: 1, message: 'second' },
      { file: 'a.yaml', line: 9, column: 1, message: 'first' },
    ]);
    expect(error.name).toBe('PlaybookValidationError');
    expect(error).toBeInstanceOf(Error);
    expect(error.errors.map((e) => e.message)).toEqual(['first', 'second']);
    expect(error.message).toBe('a.yaml:9:1: first\nb.yaml:1:1: second');
  });
});

describe('closestName', () => {
  it('suggests near misses and truncations, and nothing for unrelated words', () => {
    expect(closestName('prority', ['name', 'priority', 'mode'])).toBe('priority');
    expect(closestName('NOTIFY', ['notify', 'snapshot-volumes'])).toBe('notify');
    expect(closestName('snapshot', ['snapshot-volumes', 'notify'])).toBe('snapshot-volumes');
    expect(closestName('page', ['quarantine-instance', 'snapshot-volumes'])).toBeUndefined();
  });

  it('counts two neighbouring letters swapped as one edit: the typo, not a word two edits away', () => {
    expect(editDistance('resaon', 'reason')).toBe(1);
    expect(editDistance('resaon', 'region')).toBe(2);
    expect(closestName('resaon', ['region', 'reason'])).toBe('reason');
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });
});
