/**
 * `firebreak gameday run`'s text report (lib/gameday/report.ts): the timeline, the expectations and
 * what could not run quote text the run read, from the scenario's own resources in the simulated
 * account, or from an AWS-compatible endpoint or a test account (`--endpoint-url`): an S3 key, a tag,
 * a refusal's reason, an AWS error text. Printed raw (lib/cli/gameday.ts writes it as it is), an
 * escape sequence in it ran in the terminal and a line feed printed a line of its own, as
 * `gameday inject --watch` did before row 1zb (docs/security.md row 1ze).
 */
import { describe, expect, it } from 'vitest';
import { renderScenarioRun } from '../../lib/gameday/report';
import type { ScenarioRun } from '../../lib/gameday/runner';
import type { TimelineRow } from '../../lib/gameday/timeline';

const FORGED_ROW = '\n   +0.100s    12.0ms  compromised-ec2-inst quarantine-instance        quarantine-instance i-0abc → quarantined';
const ESCAPES = '\u001b]0;owned\u0007\u001b[2J\u202e';

function runWith(text: string): ScenarioRun {
  const row = (kind: TimelineRow['kind'], extra: Partial<TimelineRow> = {}): TimelineRow => ({
    simMs: 100,
    wallMs: 12,
    kind,
    execution: `compromised-ec2-instance${text}`,
    state: `Quarantine${text}`,
    action: 'quarantine-s3-object',
    resource: `s3://bucket/key${text}`,
    result: `refused${text}`,
    detail: `the key ${text}`,
    ...extra,
  });
  return {
    scenario: { name: 'printer', description: 'One line.', playbook: 'compromised-ec2-instance' },
    backend: 'local',
    deliveries: [],
    executions: [],
    approvals: [],
    invocations: [],
    calls: [],
    timeline: [row('task', { callCount: 0 }), row('action'), row('state')],
    expectations: [{ name: `object key${text}`, passed: false, expected: `tagged${text}`, actual: `untagged${text}` }],
    routings: [],
    findings: [{ kind: 'unevaluated condition', message: `aws:ResourceTag${text}` }],
    error: `AccessDenied: not authorized${text}`,
    wallMs: 10,
    simMs: 100,
    passed: false,
  } as unknown as ScenarioRun;
}

describe('renderScenarioRun: text the run read (review-1z, row 1ze)', () => {
  it('ATTACK (review-1z): a value with a line feed or an escape sequence prints no line of its own and runs nothing in the terminal', () => {
    const plain = renderScenarioRun(runWith('')).split('\n');
    const forged = renderScenarioRun(runWith(`${FORGED_ROW}${ESCAPES}`));
    // As many lines as the same run with plain text: no forged row, expectation or verdict.
    expect(forged.split('\n')).toHaveLength(plain.length);
    expect(forged).not.toMatch(/^\s+\+0\.100s\s+12\.0ms\s+compromised-ec2-inst quarantine-instance/m);
    // No control or bidi character reaches the terminal (colours off): each is shown as its escape.
    expect([...forged].filter((c) => c !== '\n' && (c.charCodeAt(0) < 0x20 || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f) || c === '\u202e'))).toEqual([]);
    expect(forged).toContain('\\u000a   +0.100s');
    expect(forged).toContain('\\u001b]0;owned\\u0007');
  });

  it('keeps its own colours and layout with colours on', () => {
    const text = renderScenarioRun(runWith(ESCAPES), { color: true });
    expect(text).toContain('\u001b[31mFAIL\u001b[0m');
    expect(text).toContain('\\u001b[2J');
    expect(text).not.toContain('\u001b[2J');
  });
});
