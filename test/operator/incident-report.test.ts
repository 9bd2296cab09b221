import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IncidentRecordEntry } from '../../lib/responders/incident-record';
import type { CustodyReading, IncidentRecord } from '../../lib/operator/incident-report';
import type { CustodyRecord, ReadCustody } from '../../lib/responders/snapshot-custody';
import { buildIncidentReport, custodyLookups, incidentStatus, parseRecordEntries, reportConsistencyProblems } from '../../lib/operator/incident-report';
import { renderIncidentReportHtml, renderIncidentReportMarkdown } from '../../lib/operator/incident-report-render';
import type { InstanceProfile } from '@aws-sdk/client-iam';
import type { QuarantineRecord } from '../../lib/responders/quarantine-records';
import { unverifiedProfileRole } from '../../lib/responders/release-checks';
import { RECORD_LIMITS } from '../../lib/responders/incident-record-model';

const EXECUTION = 'arn:aws:states:eu-west-1:111122223333:execution:Firebreak-compromised-ec2-instance:gd-1';
const RECEIVED = '2026-11-20T10:00:00.000Z';

function at(seconds: number): string {
  return new Date(Date.parse(RECEIVED) + seconds * 1000).toISOString();
}

function entry(step: string, from: number, to: number, status: string, extra: Partial<IncidentRecordEntry> = {}): IncidentRecordEntry {
  return { step, startedAt: at(from), endedAt: at(to), outcome: 'succeeded', status, mode: 'enforce', playbook: 'compromised-ec2-instance', executionArn: EXECUTION, actions: [], ...extra };
}

function record(entries: IncidentRecordEntry[], extra: Partial<IncidentRecord> = {}): IncidentRecord {
  return {
    header: { incidentKey: 'gd-1', account: '111122223333', region: 'eu-west-1', findingType: 'Backdoor:EC2/C&CActivity.B', severityLabel: 'High', severityScore: 8, resource: 'i-0abc', receivedAt: RECEIVED },
    entries,
    invalidEntries: 0,
    approvals: [],
    ...extra,
  };
}

const CONTAINED_RUN = [
  entry('containment-guard', 2, 3, 'proceed'),
  entry('snapshot-volumes', 3, 5, 'snapshotted', {
    actions: [
      { api: 'ec2:CreateSnapshots', target: 'vol-1', outcome: 'done', detail: 'Started snap-0123456789abcdef0 of vol-1', at: at(4) },
      { api: 'ec2:LockSnapshot', target: 'snap-0123456789abcdef0', outcome: 'done', detail: 'locked (governance) for 30 day(s)', at: at(5) },
    ],
  }),
  entry('quarantine-instance', 3, 4, 'quarantined', {
    actions: [
      { api: 'ec2:ModifyNetworkInterfaceAttribute', target: 'eni-1', outcome: 'done', detail: 'Moved to the isolation group', at: at(4) },
      { api: 'ec2:DisassociateIamInstanceProfile', target: 'i-0abc', outcome: 'skipped', detail: 'No instance profile is associated', at: at(4) },
    ],
  }),
  entry('publish-alert', 5, 6, 'published', { alertKind: 'report' }),
];

describe('incidentStatus', () => {
  it('is contained after an isolation, released after a release, failed after a failure alert, open otherwise', () => {
    expect(incidentStatus([entry('containment-guard', 1, 2, 'proceed')])).toBe('open');
    expect(incidentStatus([entry('quarantine-instance', 1, 2, 'dry-run')])).toBe('open');
    expect(incidentStatus(CONTAINED_RUN)).toBe('contained');
    expect(incidentStatus([...CONTAINED_RUN, entry('release-instance', 60, 61, 'released')])).toBe('released');
    expect(incidentStatus([entry('publish-alert', 1, 2, 'published', { alertKind: 'failure', failure: { step: 'contain', error: 'States.Timeout' } })])).toBe('failed');
  });
});

describe('credentials and objects contained', () => {
  const KEY_RUN = [entry('containment-guard', 1, 2, 'proceed'), entry('disable-access-key', 2, 3, 'disabled'), entry('revoke-role-sessions', 2, 3, 'no-role')];

  it('counts a disabled key, revoked sessions and a tagged object as containment, each until its own release', () => {
    expect(incidentStatus(KEY_RUN)).toBe('contained');
    expect(incidentStatus([...KEY_RUN, entry('release-credentials', 60, 61, 'released')])).toBe('released');
    expect(incidentStatus([entry('revoke-role-sessions', 2, 3, 'revoked')])).toBe('contained');
    expect(incidentStatus([entry('quarantine-s3-object', 2, 3, 'tagged')])).toBe('contained');
    expect(incidentStatus([entry('quarantine-s3-object', 2, 3, 'tagged'), entry('release-s3-object', 60, 61, 'untagged')])).toBe('released');
    // A key that was already Inactive was not Firebreak's doing, nor is a dry run.
    expect(incidentStatus([entry('disable-access-key', 2, 3, 'already-inactive')])).toBe('open');
    expect(incidentStatus([entry('disable-access-key', 2, 3, 'dry-run')])).toBe('open');
  });

  it('names the containment phase after what was contained and the release command that undoes it', () => {
    const report = buildIncidentReport(record(KEY_RUN, { header: { ...record([]).header, findingType: 'UnauthorizedAccess:IAMUser/MaliciousIPCaller', resource: 'AKIAIOSFODNN7EXAMPLE' } }));
    expect(report.status).toBe('contained');
    expect(report.phases.find((phase) => phase.name === 'containment')).toEqual(expect.objectContaining({ label: 'Containment (access key disabled)', sinceReceivedMs: 3000 }));
    expect(report.followUps).toEqual([expect.stringMatching(/^AKIAIOSFODNN7EXAMPLE is still disabled: .*firebreak credentials release --access-key/)]);
    const released = buildIncidentReport(record([...KEY_RUN, entry('release-credentials', 60, 61, 'released')]));
    expect(released.followUps).toEqual([]);
    expect(released.phases.find((phase) => phase.name === 'release')?.by).toBe('release-credentials: released');
    // A release of another kind does not end this containment.
    const other = buildIncidentReport(record([...KEY_RUN, entry('release-instance', 60, 61, 'released')]));
    expect(other.followUps).toEqual([expect.stringContaining('still disabled')]);
    expect(other.status).toBe('contained');
  });
});

describe('credentials contained and released one by one', () => {
  const action = (api: string, target: string, outcome: string) => ({ api, target, outcome, detail: `${api} ${target}`, at: at(3) });
  const KEY = 'AKIAIOSFODNN7EXAMPLE';
  const OTHER_KEY = 'AKIAI44QH8DHBEXAMPLE';
  const header = { ...record([]).header, findingType: 'UnauthorizedAccess:IAMUser/MaliciousIPCaller', resource: KEY };
  const KEY_AND_ROLE = [
    entry('containment-guard', 1, 2, 'proceed'),
    entry('disable-access-key', 2, 3, 'disabled', { actions: [action('iam:UpdateAccessKey', KEY, 'done')] }),
    entry('revoke-role-sessions', 2, 3, 'revoked', { actions: [action('iam:PutRolePolicy', 'app-role', 'done')] }),
  ];
  const releaseRole = entry('release-credentials', 60, 61, 'released', { actions: [action('iam:DeleteRolePolicy', 'app-role', 'done')] });
  const releaseKey = entry('release-credentials', 70, 71, 'released', { actions: [action('iam:UpdateAccessKey', KEY, 'done')] });

  it('keeps an incident contained while a credential its release did not name is still cut off', () => {
    expect(incidentStatus([...KEY_AND_ROLE, releaseRole])).toBe('contained');
    const report = buildIncidentReport(record([...KEY_AND_ROLE, releaseRole], { header }));
    expect(report.status).toBe('contained');
    expect(report.followUps).toEqual([expect.stringMatching(new RegExp(`^${KEY} is still disabled`))]);
    expect(incidentStatus([...KEY_AND_ROLE, releaseRole, releaseKey])).toBe('released');
    expect(buildIncidentReport(record([...KEY_AND_ROLE, releaseRole, releaseKey], { header })).followUps).toEqual([]);
  });

  it('names each key a step disabled, and not a key that was Inactive before Firebreak came', () => {
    const twoKeys = [
      entry('disable-access-key', 2, 3, 'disabled', {
        actions: [action('iam:UpdateAccessKey', KEY, 'done'), action('iam:UpdateAccessKey', OTHER_KEY, 'done'), action('iam:UpdateAccessKey', 'AKIAOLDINACTIVEEXAMP', 'already-done')],
      }),
    ];
    const report = buildIncidentReport(record([...twoKeys, releaseKey], { header }));
    expect(report.status).toBe('contained');
    expect(report.followUps).toEqual([expect.stringMatching(new RegExp(`^${OTHER_KEY} is still disabled`))]);
    const otherReleased = entry('release-credentials', 80, 81, 'released', { actions: [action('iam:UpdateAccessKey', OTHER_KEY, 'already-done')] });
    expect(incidentStatus([...twoKeys, releaseKey, otherReleased])).toBe('released');
  });

  it('does not count a release that released nothing it names (a refused or dry-run action)', () => {
    const refused = entry('release-credentials', 60, 61, 'released', { actions: [action('iam:DeleteRolePolicy', 'app-role', 'skipped')] });
    expect(incidentStatus([...KEY_AND_ROLE, refused])).toBe('contained');
    expect(buildIncidentReport(record([...KEY_AND_ROLE, refused], { header })).followUps).toHaveLength(2);
  });
});

describe('buildIncidentReport', () => {
  it('measures each phase from the receipt, at the entry that ended it', () => {
    const report = buildIncidentReport(record(CONTAINED_RUN));
    expect(report.phases.map((phase) => [phase.name, phase.sinceReceivedMs, phase.by])).toEqual([
      ['triage', 2000, 'containment-guard: proceed'],
      ['guard', 3000, 'containment-guard: proceed'],
      ['containment', 4000, 'quarantine-instance: quarantined'],
      ['evidence', 5000, 'snapshot-volumes: snapshotted'],
      ['first-alert', 6000, 'publish-alert: published'],
    ]);
    expect(reportConsistencyProblems(report)).toEqual([]);
  });

  it('separates what was done from what was not and why, and follows each evidence id through its custody', () => {
    const report = buildIncidentReport(record(CONTAINED_RUN));
    expect(report.done.map((action) => action.api)).toEqual(['ec2:CreateSnapshots', 'ec2:LockSnapshot', 'ec2:ModifyNetworkInterfaceAttribute']);
    expect(report.notDone).toEqual([expect.objectContaining({ api: 'ec2:DisassociateIamInstanceProfile', detail: 'No instance profile is associated' })]);
    expect(report.evidence).toEqual([{ id: 'snap-0123456789abcdef0', custody: [expect.objectContaining({ api: 'ec2:CreateSnapshots' }), expect.objectContaining({ api: 'ec2:LockSnapshot' })] }]);
  });

  it('keeps a quarantined instance as an open follow-up until it is released', () => {
    expect(buildIncidentReport(record(CONTAINED_RUN)).followUps).toEqual([expect.stringContaining('i-0abc is still quarantined')]);
    expect(buildIncidentReport(record([...CONTAINED_RUN, entry('release-instance', 60, 61, 'released')])).followUps).toEqual([]);
  });

  it('ATTACK (review-round2): a release that left the instance profile disassociated (row 3g) leaves a follow-up naming the profile and the command, not "released" alone', () => {
    const profile = 'arn:aws:iam::111122223333:instance-profile/web-app-profile';
    // As the incident record keeps it: the first RECORD_LIMITS.detail characters, which cut the role and the instruction.
    const why = unverifiedProfileRole({} as QuarantineRecord, profile, { Roles: [{ Arn: 'arn:aws:iam::111122223333:role/ci-deploy', RoleId: 'AROACIDEPLOY000000001' }] } as InstanceProfile)!.slice(0, RECORD_LIMITS.detail);
    const release = entry('release-instance', 60, 61, 'released', {
      actions: [
        { api: 'iam:GetInstanceProfile', target: profile, outcome: 'observed', detail: why, at: at(60) },
        { api: 'ec2:ModifyNetworkInterfaceAttribute', target: 'eni-1', outcome: 'done', detail: 'Restored its recorded groups', at: at(61) },
        { api: 'ec2:AssociateIamInstanceProfile', target: 'i-0abc', outcome: 'skipped', detail: why, at: at(61) },
      ],
    });
    const report = buildIncidentReport(record([...CONTAINED_RUN, release]));
    expect(report.status).toBe('released');
    expect(report.followUps).toEqual([
      `i-0abc was released without its instance profile ${profile}: the pre-quarantine record does not say which role the profile held, and it held a role at the release, which could have been swapped in while the instance was quarantined (docs/security.md row 3g). Check its role (aws iam get-instance-profile --instance-profile-name web-app-profile); if it is the instance's own, associate the profile: aws ec2 associate-iam-instance-profile --instance-id i-0abc --iam-instance-profile Arn=${profile}`,
    ]);
    // A profile the release left alone for another reason (another one associated since) needs nobody; nor a dry run.
    const other = entry('release-instance', 60, 61, 'released', { actions: [{ api: 'ec2:AssociateIamInstanceProfile', target: 'i-0abc', outcome: 'skipped', detail: 'No profile was associated before quarantine; x was associated since and is left as it is', at: at(61) }] });
    expect(buildIncidentReport(record([...CONTAINED_RUN, other])).followUps).toEqual([]);
    expect(buildIncidentReport(record([...CONTAINED_RUN, { ...release, status: 'dry-run' }])).followUps).toEqual([expect.stringContaining('i-0abc is still quarantined')]);
  });

  it('asks why when containment took longer than the target, and not when it did not', () => {
    const slow = buildIncidentReport(record(CONTAINED_RUN), { containment: 3000 });
    expect(slow.lessons).toEqual([expect.stringMatching(/Containment .* took 4\.0 s from receipt, over the target of 3\.0 s/)]);
    const fast = buildIncidentReport(record(CONTAINED_RUN), { containment: 5000 });
    expect(fast.lessons.some((lesson) => lesson.includes('over the target'))).toBe(false);
  });

  it('reports an unanswered approval as a follow-up and a lesson; an answered one with its wait and approver', () => {
    const asked = [entry('containment-guard', 1, 2, 'needs-approval'), entry('publish-alert', 2, 3, 'published', { alertKind: 'approval-request' })];
    const unanswered = buildIncidentReport(record(asked, { approvals: [{ executionArn: EXECUTION, requestedAt: at(3) }] }));
    expect(unanswered.followUps).toEqual([expect.stringContaining('has no recorded answer')]);
    expect(unanswered.lessons).toEqual(expect.arrayContaining([expect.stringContaining('approval request was not answered')]));
    const answered = buildIncidentReport(record(asked, { approvals: [{ executionArn: EXECUTION, requestedAt: at(3), decision: 'approved', decidedBy: 'arn:aws:sts::111122223333:assumed-role/oncall/alice', decidedAt: at(63) }] }));
    expect(answered.approvals[0]!.waitMs).toBe(60_000);
    expect(answered.phases.find((phase) => phase.name === 'approval')).toMatchObject({ sinceReceivedMs: 63_000, by: 'approved by arn:aws:sts::111122223333:assumed-role/oncall/alice' });
  });

  it('counts a retried step as a lesson, not a failure; a failure alert as a failure, once', () => {
    const retried = [
      entry('quarantine-instance', 1, 2, 'ResponderThrottledError', { outcome: 'failed', error: { name: 'ResponderThrottledError', message: 'slow down' } }),
      entry('quarantine-instance', 3, 4, 'quarantined'),
    ];
    const report = buildIncidentReport(record(retried));
    expect(report.failures).toEqual([]);
    expect(report.lessons).toEqual(expect.arrayContaining([expect.stringContaining('quarantine-instance failed and then succeeded on a retry')]));
    const failed = [
      entry('quarantine-instance', 1, 2, 'ResponderAccessDeniedError', { outcome: 'failed', error: { name: 'ResponderAccessDeniedError', message: 'denied' } }),
      entry('publish-alert', 2, 3, 'published', { alertKind: 'failure', failure: { step: 'contain', error: 'ResponderAccessDeniedError', cause: 'denied' } }),
    ];
    expect(buildIncidentReport(record(failed)).failures).toEqual([{ at: at(2), step: 'contain', error: 'ResponderAccessDeniedError', detail: 'denied' }]);
  });

  it('counts a failure a parallel group\'s summary repeats once, and lets the containment that finished beside it stand', () => {
    // evidence fails and is alerted in its branch; the quarantine in the other branch finishes on its
    // retry; then the group's summary alert repeats the evidence failure (lib/playbooks/compile.ts).
    const evidenceFailure = { step: 'preserve-evidence', error: 'ResponderAccessDeniedError', cause: 'denied' };
    const entries = [
      entry('containment-guard', 1, 2, 'proceed'),
      entry('snapshot-volumes', 2, 3, 'ResponderAccessDeniedError', { outcome: 'failed', error: { name: 'ResponderAccessDeniedError', message: 'denied' } }),
      entry('publish-alert', 3, 4, 'published', { alertKind: 'failure', failure: evidenceFailure }),
      CONTAINED_RUN[2]!,
      entry('publish-alert', 5, 6, 'published', { alertKind: 'failure', failure: evidenceFailure }),
    ];
    expect(incidentStatus(entries)).toBe('contained');
    expect(buildIncidentReport(record(entries)).failures).toEqual([{ at: at(3), step: 'preserve-evidence', error: 'ResponderAccessDeniedError', detail: 'denied' }]);
    // The same failure in another execution (a second run of the playbook) is another failure.
    const again = entry('publish-alert', 7, 8, 'published', { alertKind: 'failure', failure: evidenceFailure, executionArn: `${EXECUTION}-2` });
    expect(incidentStatus([...entries, again])).toBe('failed');
    expect(buildIncidentReport(record([...entries, again])).failures).toHaveLength(2);
  });

  it('does not trust a receipt time after the first step: it says so and measures from that step', () => {
    const report = buildIncidentReport(record(CONTAINED_RUN, { header: { incidentKey: 'gd-1', receivedAt: at(3600) } }));
    expect(report.receiptNote).toMatch(/after the first step/);
    expect(report.phases.find((phase) => phase.name === 'containment')?.sinceReceivedMs).toBe(2000);
    expect(reportConsistencyProblems(report)).toEqual([]);
  });
});

describe('a retried containment step (the failed attempt’s actions are in the record)', () => {
  const move = (eni: string, outcome: string, seconds: number) => ({ api: 'ec2:ModifyNetworkInterfaceAttribute', target: eni, outcome, detail: `Moved ${eni} to the isolation group`, at: at(seconds) });
  const failed = (from: number, to: number, actions: IncidentRecordEntry['actions'], extra: Partial<IncidentRecordEntry> = {}) =>
    entry('quarantine-instance', from, to, 'TransientResponderError', { outcome: 'failed', error: { name: 'TransientResponderError', message: 'ec2:CreateTags failed transiently (RequestLimitExceeded)' }, actions, ...extra });
  const guard = entry('containment-guard', 1, 2, 'proceed');

  it('dates containment by the failed attempt that isolated every ENI, not by the retry that found them done, and names its first change', () => {
    const report = buildIncidentReport(record([
      guard,
      failed(2, 5, [move('eni-1', 'done', 3), move('eni-2', 'done', 4)]),
      entry('quarantine-instance', 9, 10, 'quarantined', { actions: [move('eni-1', 'already-done', 9.5), move('eni-2', 'already-done', 9.5)] }),
    ]));
    const containment = report.phases.find((phase) => phase.name === 'containment');
    expect(containment).toEqual(expect.objectContaining({ at: at(5), sinceReceivedMs: 5000 }));
    expect(containment?.by).toBe('quarantine-instance: TransientResponderError (contained by this attempt before it failed; quarantined on a retry; first change at +3.0 s)');
    // What the failed attempt changed is in what Firebreak did, at its own times.
    expect(report.done.filter((action) => action.outcome === 'done').map((action) => [action.target, action.at])).toEqual([['eni-1', at(3)], ['eni-2', at(4)]]);
    expect(reportConsistencyProblems(report)).toEqual([]);
    expect(report.status).toBe('contained');
    expect(report.failures).toEqual([]);
  });

  it('dates containment by the retry that moved the last ENI, and names the failed attempt’s first change', () => {
    const report = buildIncidentReport(record([
      guard,
      failed(2, 5, [move('eni-1', 'done', 3)]),
      entry('quarantine-instance', 9, 10, 'quarantined', { actions: [move('eni-1', 'already-done', 9.5), move('eni-2', 'done', 9.5)] }),
    ]));
    const containment = report.phases.find((phase) => phase.name === 'containment');
    expect(containment).toEqual(expect.objectContaining({ at: at(10), sinceReceivedMs: 10_000, by: 'quarantine-instance: quarantined (first change at +3.0 s, by an attempt that failed)' }));
    expect(reportConsistencyProblems(report)).toEqual([]);
  });

  it('counts only failed attempts of the same step, execution and incident, and only changes they say were done', () => {
    const OTHER = 'arn:aws:states:eu-west-1:111122223333:execution:Firebreak-compromised-ec2-instance:gd-0';
    for (const earlier of [
      failed(2, 5, [move('eni-1', 'done', 3)], { executionArn: OTHER }),
      failed(2, 5, [move('eni-1', 'done', 3)], { step: 'release-instance' }),
      failed(2, 5, [move('eni-1', 'would-do', 3), move('eni-2', 'skipped', 3)]),
      failed(2, 5, [{ api: 'ec2:CreateSecurityGroup', target: 'vpc-1', outcome: 'done', detail: 'Created the isolation group', at: at(3) }]),
    ]) {
      const report = buildIncidentReport(record([guard, earlier, entry('quarantine-instance', 9, 10, 'quarantined', { actions: [move('eni-1', 'already-done', 9.5)] })]));
      expect(report.phases.find((phase) => phase.name === 'containment')).toEqual(expect.objectContaining({ at: at(10), by: 'quarantine-instance: quarantined' }));
    }
  });

  it('ignores a change time that is not a time (a stored record is a claim), falling back to the failed attempt’s end', () => {
    const report = buildIncidentReport(record([
      guard,
      failed(2, 5, [{ ...move('eni-1', 'done', 3), at: 'yesterday' }]),
      entry('quarantine-instance', 9, 10, 'quarantined', { actions: [move('eni-1', 'already-done', 9.5)] }),
    ]));
    expect(report.phases.find((phase) => phase.name === 'containment')?.by).toBe('quarantine-instance: TransientResponderError (contained by this attempt before it failed; quarantined on a retry; first change at +5.0 s)');
  });
});

describe('parseRecordEntries', () => {
  it('keeps the entries that validate and counts the others (the stored item is a claim)', () => {
    const good = JSON.stringify(CONTAINED_RUN[0]);
    const { entries, invalid } = parseRecordEntries([good, 'not json', JSON.stringify({ step: 'x' }), JSON.stringify({ ...CONTAINED_RUN[0], startedAt: 'yesterday' })]);
    expect(entries).toHaveLength(1);
    expect(invalid).toBe(3);
  });
});

describe('reportConsistencyProblems', () => {
  it('finds a phase that no timeline entry ends, and an entry that ends before it starts', () => {
    const report = buildIncidentReport(record(CONTAINED_RUN));
    const broken = { ...report, phases: [{ ...report.phases[2]!, at: at(99) }], timeline: [{ ...report.timeline[0]!, durationMs: -5 }, ...report.timeline.slice(1)] };
    expect(reportConsistencyProblems(broken)).toEqual([
      expect.stringContaining('ends before it starts'),
      expect.stringContaining('phase containment ends at'),
    ]);
  });
});

describe('rendering', () => {
  const hostile = record([
    entry('block-dns-domain', 1, 2, 'blocked', {
      actions: [{ api: 'route53resolver:UpdateFirewallDomains', target: 'evil.example', outcome: 'done', detail: '<script>alert(1)</script> | <img src=https://x.example/a.png>', at: at(2) }],
    }),
  ]);

  it('writes every section in Markdown, with table cells that cannot break the table or carry HTML', () => {
    const markdown = renderIncidentReportMarkdown(buildIncidentReport(record(CONTAINED_RUN)));
    for (const title of ['Summary', 'Phases (from receipt)', 'Timeline', 'What Firebreak did', 'What Firebreak did not do, and why', 'Evidence and chain of custody', 'Approvals', 'Failures', 'Follow-ups still open', 'Lessons learned: questions for the review']) {
      expect(markdown).toContain(`## ${title}`);
    }
    // Each phase with a target shows it (the deployment default of containmentTargetSeconds here), the others none.
    expect(markdown).toContain('| Containment (instance isolated) | 2026-11-20T10:00:04.000Z | 4.0 s | 2 min 0 s | quarantine-instance: quarantined |');
    expect(renderIncidentReportMarkdown(buildIncidentReport(record(CONTAINED_RUN), { containment: 3000 }))).toContain('| 4.0 s | 3.0 s (over) | quarantine-instance: quarantined |');
    const hostileMarkdown = renderIncidentReportMarkdown(buildIncidentReport(hostile));
    expect(hostileMarkdown).toContain('\\<script\\>alert(1)\\</script\\> \\| \\<img src=hxxps://x\\[.\\]example/a.png\\>');
    expect(hostileMarkdown).not.toContain('<script>');
  });

  it('writes one self-contained HTML page: no script, nothing fetched, every value escaped', () => {
    const html = renderIncidentReportHtml(buildIncidentReport(hostile));
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain("default-src 'none'");
    const tags = new Set([...html.matchAll(/<\/?([A-Za-z!][A-Za-z0-9]*)/g)].map((match) => match[1]!.toLowerCase()));
    expect([...tags].sort()).toEqual(['!doctype', 'body', 'h1', 'h2', 'head', 'html', 'li', 'meta', 'p', 'span', 'style', 'table', 'tbody', 'td', 'th', 'thead', 'title', 'tr', 'ul']);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});

describe('HTML of attacker-chosen text', () => {
  it('ATTACK: shows no bidi override, zero-width or control character of a record: the page reads as the record says', () => {
    // U+202E reverses what follows it on screen ("exe.gnp" reads as "png.exe"); U+2066 isolates hide order; ESC and C1 are noise at best.
    const base = record(CONTAINED_RUN);
    const text = 'Recon:EC2/PortProbe\u202Egnp.exe\u2066\u200B\u001b[2J\u009b\u0085';
    const html = renderIncidentReportHtml(buildIncidentReport(record(CONTAINED_RUN, { header: { ...base.header, findingType: text, resource: text } })));
    expect(html).not.toMatch(/[\p{Cf}\p{Zl}\p{Zp}\p{Cs}]|[^\P{Cc}\n]/u);
    expect(html).toContain('Recon:EC2/PortProbegnp.exe[2J');
  });
});

/** A Markdown line with each backslash escape (`\\[`) blanked: what is left is what a renderer reads as markup. */
function unescaped(line: string): string {
  return line.replace(/\\[\s\S]/g, '  ');
}

/** Where rendered Markdown has markup that Firebreak did not write: links, images, HTML, code, emphasis, blocks, autolinks. */
function markupProblems(markdown: string): string[] {
  const problems: string[] = [];
  let tableWidth: number | undefined;
  for (const line of markdown.split('\n')) {
    const plain = unescaped(line);
    // Firebreak's own lines: the headings and the "nothing here" notes.
    if (line.startsWith('#') || /^_[A-Za-z .,:()]+_$/.test(line) || line === '') {
      tableWidth = undefined;
      continue;
    }
    if (line.startsWith('|')) {
      const width = plain.split('|').length;
      if (tableWidth !== undefined && width !== tableWidth) problems.push(`a row with another number of cells: ${line}`);
      tableWidth ??= width;
    } else {
      tableWidth = undefined;
      const content = line.startsWith('- ') ? line.slice(2) : line;
      if (/^(?:[-+*>#\s]|\d+[.)])/.test(content)) problems.push(`a block starts in the text: ${line}`);
    }
    const inline = line.startsWith('|') ? plain.replaceAll('|', ' ') : plain;
    if (/[[\]<>`*_~!&$@#]/.test(inline)) problems.push(`unescaped markup: ${line}`);
    if (/(?:https?|ftp):\/\/|(?<![A-Za-z0-9])www\./i.test(line)) problems.push(`a live link: ${line}`);
    // GitHub turns @name and @org/team into mentions (a notification) after rendering, escaped or not.
    if (/(?<![A-Za-z0-9])@[A-Za-z0-9]/.test(line.replaceAll('\\@', '@'))) problems.push(`a GitHub mention: ${line}`);
  }
  return problems;
}

describe('Markdown of attacker-chosen text', () => {
  function reportAbout(text: string) {
    const base = record([]);
    return buildIncidentReport(
      record(
        [
          entry('snapshot-volumes', 1, 2, 'snapshotted', { actions: [{ api: 'ec2:CreateSnapshots', target: text, outcome: 'done', detail: `Started snap-0123456789abcdef0 of ${text}`, at: at(2) }] }),
          entry('quarantine-instance', 2, 3, 'quarantined', { actions: [{ api: 'ec2:ModifyNetworkInterfaceAttribute', target: text, outcome: 'skipped', detail: text, at: at(3) }], reasons: [text] }),
        ],
        { header: { ...base.header, resource: text, findingType: text } },
      ),
    );
  }

  it('shows an S3 object key that writes an image and a link as text, its links defanged', () => {
    const key = 'uploads/![x](https://evil.example/pixel.png?leak) [Click here to approve release](https://evil.example/approve)';
    const markdown = renderIncidentReportMarkdown(reportAbout(key));
    expect(markdown).toContain('uploads/\\!\\[x\\](hxxps://evil\\[.\\]example/pixel.png?leak) \\[Click here to approve release\\](hxxps://evil\\[.\\]example/approve)');
    expect(markupProblems(markdown)).toEqual([]);
  });

  it('leaves no bare link, www. name, email autolink, list, heading or quote where a line starts', () => {
    const markdown = renderIncidentReportMarkdown(reportAbout('- # > 1. see www.evil.example, mail ops@evil.example, <https://x.io> `code` *b* ~~s~~ $x$ &lt;'));
    expect(markdown).toContain('\\- \\# \\> 1. see www\\[.\\]evil\\[.\\]example, mail ops\\@evil.example, \\<hxxps://x\\[.\\]io\\> \\`code\\` \\*b\\* \\~\\~s\\~\\~ \\$x\\$ \\&lt;');
    expect(markupProblems(markdown)).toEqual([]);
  });

  it('writes no GitHub mention: an @name or @org/team where a mention could start is written (at)', () => {
    const markdown = renderIncidentReportMarkdown(reportAbout('ping @acme/security-team and @root, (@x) `@y` _@z but keep alice@example.com'));
    expect(markdown).toContain('ping (at)acme/security-team and (at)root, ((at)x) \\`(at)y\\` \\_(at)z but keep alice\\@example\\[.\\]com');
    expect(markupProblems(markdown)).toEqual([]);
  });

  it('property: whatever the text, the Markdown has no markup but what Firebreak wrote, and as many lines', () => {
    const fragment = fc.constantFrom(
      '[', ']', '(', ')', '](', '![', '<', '>', '`', '*', '_', '~', '\\', '|', '&', '#', '@', '$', '!', '-', '+', '=', '.', ':', '/', '1', '1.', '2)',
      'http', 'https://', 'HTTP://', 'ftp://', 'www.', 'WWW.', 'evil', 'example', 'com', 'a@b.example', ' ', '    ', '\n', '\r', '\t', '\u202E', '\u200B', '\u001b', '\u0085',
    );
    const text = fc.oneof(fc.array(fragment, { maxLength: 30 }).map((parts) => parts.join('')), fc.string({ unit: 'binary', maxLength: 120 }));
    const lines = renderIncidentReportMarkdown(reportAbout('x')).split('\n').length;
    fc.assert(
      fc.property(text, (hostile) => {
        const markdown = renderIncidentReportMarkdown(reportAbout(hostile));
        expect(markupProblems(markdown)).toEqual([]);
        expect(markdown.split('\n')).toHaveLength(lines);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('custody records that need a person (copy-evidence: lib/responders/snapshot-custody.ts)', () => {
  const SOURCE = 'snap-0123456789abcdef0';
  const COPY = 'snap-0fedcba9876543210';
  const FORENSIC = '999988887777';
  const report = { json: '{}', sha256: '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a' };
  function custody(status: string | undefined, extra: Partial<CustodyRecord> = {}): CustodyRecord {
    return {
      incidentKey: 'gd-1',
      instanceId: 'i-0abc',
      sourceAccount: '111122223333',
      region: 'eu-west-1',
      sourceVolumeId: 'vol-1',
      sourceSnapshotId: SOURCE,
      source: report,
      forensicAccount: FORENSIC,
      kmsKeyId: 'arn:aws:kms:eu-west-1:999988887777:key/forensic',
      copiedBy: { executionArn: EXECUTION, responder: 'copy-evidence', forensicRoleArn: 'arn:aws:iam::999988887777:role/Forensic' },
      ...(status !== undefined ? { status: status as CustodyRecord['status'] } : {}),
      ...extra,
    };
  }
  const read = (record: CustodyRecord, verdict: ReadCustody['verdict'] = { valid: true }): CustodyReading => ({ incidentKey: 'gd-1', sourceSnapshotId: SOURCE, state: 'read', custody: { record, verdict } });
  const custodyFollowUps = (...custodyRecords: CustodyReading[]) =>
    buildIncidentReport(record([...CONTAINED_RUN, entry('release-instance', 60, 61, 'released')]), undefined, { children: [], custodyRecords }).followUps;

  it('looks up the custody record of every snapshot an evidence step names, under its own incident', () => {
    expect(custodyLookups(record(CONTAINED_RUN))).toEqual([{ incidentKey: 'gd-1', sourceSnapshotId: SOURCE }]);
  });

  it('ATTACK (report-custody): names a drill\'s copy kept in the forensic account (refused-copy-kept) for deletion by hand', () => {
    const kept = custody('refused-copy-kept', { copySnapshotId: COPY, unshare: { removed: true, at: at(30), detail: 'removed', reason: 'drill-refused' } });
    expect(custodyFollowUps(read(kept))).toEqual([
      expect.stringMatching(new RegExp(`^The drill's forensic copy ${COPY} of ${SOURCE} is kept in the forensic account ${FORENSIC} .*delete it by hand when it is no longer needed\\.$`)),
    ]);
    // Its share not recorded as removed (EC2 refused the withdrawal): that is named too.
    expect(custodyFollowUps(read(custody('refused-copy-kept', { copySnapshotId: COPY })))).toEqual([expect.stringMatching(/delete it by hand.*createVolumePermission/)]);
  });

  it('ATTACK (report-custody): names a source whose record still says sharing (a share that may exist) and one EC2 refused to share', () => {
    expect(custodyFollowUps(read(custody('sharing')))).toEqual([
      expect.stringMatching(new RegExp(`^${SOURCE} may be shared with the forensic account ${FORENSIC} .*check its createVolumePermission in account 111122223333 \\(eu-west-1\\) and remove the forensic account's`)),
    ]);
    const refusal = { attempt: 1, at: at(20), error: { name: 'InvalidParameter', message: 'Snapshots encrypted with the AWS Managed CMK can\'t be shared' } };
    expect(custodyFollowUps(read(custody('share-refused', { shareRefusals: [refusal] })))).toEqual([
      expect.stringMatching(new RegExp(`^${SOURCE} was not copied to the forensic account ${FORENSIC}: EC2 refused to share it \\(InvalidParameter: Snapshots encrypted with the AWS Managed CMK can't be shared; refusal 1 at ${at(20)}\\)`)),
    ]);
  });

  it('asks nothing of a record that needs no one (completed, pending, failed, withdrawn, none), nor of a lookup no evidence step named', () => {
    for (const status of ['completed', 'pending', 'failed', 'withdrawn', undefined]) expect(custodyFollowUps(read(custody(status, { copySnapshotId: COPY })))).toEqual([]);
    expect(custodyFollowUps({ incidentKey: 'gd-1', sourceSnapshotId: SOURCE, state: 'absent' })).toEqual([]);
    expect(custodyFollowUps({ ...read(custody('sharing')), sourceSnapshotId: 'snap-0aaaaaaaaaaaaaaaa' })).toEqual([]);
  });

  it('ATTACK (report-custody): says so of a record whose status it does not know, or that it cannot read or trust; never drops it or counts it completed', () => {
    expect(custodyFollowUps(read(custody('archived')))).toEqual([expect.stringMatching(/custody record of snap-0123456789abcdef0 says status archived, which this report does not know/)]);
    expect(custodyFollowUps(read(custody('refused-copy-kept', { copySnapshotId: COPY }), { valid: false, reason: 'the MAC does not match' }))).toEqual([
      expect.stringMatching(/^The custody record of snap-0123456789abcdef0 failed its integrity check \(the MAC does not match\), so it is not trusted: check by hand/),
    ]);
    expect(custodyFollowUps({ incidentKey: 'gd-1', sourceSnapshotId: SOURCE, state: 'unreadable', reason: 'its status "archived" is not one the report knows' })).toEqual([
      expect.stringMatching(/^The custody record of snap-0123456789abcdef0 could not be read and checked \(its status "archived" is not one the report knows\): check by hand/),
    ]);
  });

  it('names each child\'s record under its own incident in a gathered report, and writes what a record claims as text', () => {
    const child = record(CONTAINED_RUN, { header: { ...record([]).header, incidentKey: 'gd-1#i-0abc' } });
    const hostile = custody('share-refused', { incidentKey: 'gd-1#i-0abc', shareRefusals: [{ attempt: 1, at: at(20), error: { name: 'X', message: '<script>alert(1)</script> [x](https://evil.example) @team' } }] });
    const gathered = buildIncidentReport(record([]), undefined, { children: [child], custodyRecords: [{ incidentKey: 'gd-1#i-0abc', sourceSnapshotId: SOURCE, state: 'read', custody: { record: hostile, verdict: { valid: true } } }] });
    const followUp = gathered.followUps.find((line) => line.includes('was not copied'));
    expect(followUp).toMatch(new RegExp(`^${SOURCE} \\(incident gd-1#i-0abc\\) was not copied`));
    expect(renderIncidentReportHtml(gathered)).not.toContain('<script>');
    // The Markdown escapes and defangs it as it does every value (incident-report-render.ts).
    expect(renderIncidentReportMarkdown(gathered)).toContain('\\<script\\>alert(1)\\</script\\> \\[x\\](hxxps://evil\\[.\\]example) (at)team');
  });
});
