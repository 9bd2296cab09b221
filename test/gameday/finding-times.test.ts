/**
 * A GuardDuty finding's times must be possible when the game day delivers it: created and updated
 * no later than the simulated clock, updated no earlier than created. A finding "from the future"
 * hid that a retried snapshot-volumes step could never find its own snapshots (scenario
 * snapshot-retried-reuses-its-own-snapshots).
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../lib/gameday/runner';
import { loadScenarioDirectory } from '../../lib/gameday/scenario-loader';
import { defaultTemplateDirectories, impossibleFindingTimes, listTemplates } from '../../lib/gameday/templates';
import { loadPlaybookDirectory } from '../../lib/playbooks/loader';

const ROOT = resolve(import.meta.dirname, '../..');
const CLOCK_START = new Date('2025-01-15T09:00:00.000Z');

const finding = (times: Record<string, unknown>, detailType = 'GuardDuty Finding') => ({
  source: 'aws.guardduty',
  'detail-type': detailType,
  detail: { id: 'f1', type: 'Backdoor:EC2/C&CActivity.B', ...times },
});

describe('impossibleFindingTimes', () => {
  it('accepts a finding created and updated before it is delivered', () => {
    expect(impossibleFindingTimes(finding({ createdAt: '2025-01-15T08:00:00.000Z', updatedAt: '2025-01-15T09:00:00.000Z' }), CLOCK_START)).toBeUndefined();
  });

  it('refuses a finding created after it is delivered, naming the field, its value and the clock', () => {
    expect(impossibleFindingTimes(finding({ createdAt: '2026-03-14T09:12:40.377Z', updatedAt: '2026-03-14T10:47:05.912Z' }), CLOCK_START)).toBe(
      'detail.createdAt 2026-03-14T09:12:40.377Z is after 2025-01-15T09:00:00.000Z, the simulated time the finding is delivered at: GuardDuty never sends a finding created or updated later than it sends it',
    );
  });

  it('refuses a finding updated after it is delivered, though created before', () => {
    expect(impossibleFindingTimes(finding({ createdAt: '2025-01-15T08:00:00.000Z', updatedAt: '2025-01-15T09:03:00.000Z' }), CLOCK_START)).toMatch(/^detail\.updatedAt 2025-01-15T09:03:00\.000Z is after /);
  });

  it('refuses a finding updated before it was created', () => {
    expect(impossibleFindingTimes(finding({ createdAt: '2025-01-15T08:20:00.000Z', updatedAt: '2025-01-07T12:40:00.000Z' }), CLOCK_START)).toBe(
      'detail.updatedAt 2025-01-07T12:40:00.000Z is before detail.createdAt 2025-01-15T08:20:00.000Z: GuardDuty updates a finding only after it created it',
    );
  });

  it('leaves other events and unreadable times alone (the parser refuses those, which a scenario may rehearse)', () => {
    expect(impossibleFindingTimes(finding({ createdAt: '2026-03-14T09:12:40.377Z' }, 'Some Other Event'), CLOCK_START)).toBeUndefined();
    expect(impossibleFindingTimes(finding({ createdAt: 'yesterday', updatedAt: 'not a time' }), CLOCK_START)).toBeUndefined();
    expect(impossibleFindingTimes('raw text', CLOCK_START)).toBeUndefined();
  });

  it("refuses an alarm's state change from after its delivery, or one before its previous state began", () => {
    const alarm = (state: string, previous: string) => ({ 'detail-type': 'CloudWatch Alarm State Change', detail: { state: { value: 'ALARM', timestamp: state }, previousState: { value: 'OK', timestamp: previous } } });
    expect(impossibleFindingTimes(alarm('2025-01-15T08:59:00.000+0000', '2025-01-15T08:50:00.000+0000'), CLOCK_START)).toBeUndefined();
    expect(impossibleFindingTimes(alarm('2026-03-14T11:06:12.120+0000', '2026-03-14T10:59:12.408+0000'), CLOCK_START)).toMatch(
      /^detail\.state\.timestamp 2026-03-14T11:06:12\.120\+0000 is after 2025-01-15T09:00:00\.000Z, the simulated time the alarm's state change is delivered at/,
    );
    expect(impossibleFindingTimes(alarm('2025-01-15T08:00:00.000+0000', '2025-01-15T08:50:00.000+0000'), CLOCK_START)).toBe(
      "detail.state.timestamp 2025-01-15T08:00:00.000+0000 is before detail.previousState.timestamp 2025-01-15T08:50:00.000+0000: an alarm's state changes after its previous state began",
    );
  });

  it('refuses any event whose EventBridge time is after its delivery (an S3 scan result, whose time is the incident\'s creation)', () => {
    const scan = (time: string) => ({ source: 'aws.guardduty', 'detail-type': 'GuardDuty Malware Protection Object Scan Result', time, detail: { scanStatus: 'COMPLETED' } });
    expect(impossibleFindingTimes(scan('2025-01-15T08:40:00Z'), CLOCK_START)).toBeUndefined();
    expect(impossibleFindingTimes(scan('2026-03-25T09:14:27Z'), CLOCK_START)).toBe(
      'time 2026-03-25T09:14:27Z is after 2025-01-15T09:00:00.000Z, the simulated time the event is delivered at: EventBridge stamps an event no later than it delivers it',
    );
    // Checked before the finding's own times, as the envelope is what EventBridge itself wrote.
    expect(impossibleFindingTimes({ ...finding({ createdAt: '2025-01-15T08:00:00.000Z' }), time: '2025-01-15T09:00:01Z' }, CLOCK_START)).toMatch(/^time 2025-01-15T09:00:01Z is after /);
  });

  it('holds for every shipped template at the clock start', async () => {
    const directory = resolve(ROOT, 'playbooks/events');
    for (const file of (await readdir(directory)).filter((name) => name.endsWith('.json'))) {
      const event = JSON.parse(await readFile(join(directory, file), 'utf8')) as unknown;
      expect(impossibleFindingTimes(event, CLOCK_START), file).toBeUndefined();
    }
  });
});

describe('a scenario injecting a finding from the future', () => {
  it('is refused, naming the file, the injection, its template and the field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'firebreak-finding-times-'));
    try {
      const file = join(dir, 'update-from-the-future.yaml');
      await writeFile(
        file,
        `name: update-from-the-future
description: GuardDuty's update of the finding dated after the simulated clock
playbook: compromised-ec2-instance
environment:
  instances:
    web: {}
inject:
  - template: guardduty-ec2-backdoor-c2activity-multi-eni
    target: web
  - template: guardduty-ec2-backdoor-c2activity-multi-eni
    target: web
    set:
      detail.updatedAt: "2025-01-15T10:00:00.000Z"
      detail.service.count: 5
expect:
  executions: 2
`,
      );
      const playbooks = await loadPlaybookDirectory(resolve(ROOT, 'playbooks'));
      const templates = [...(await listTemplates(defaultTemplateDirectories(ROOT))).keys()];
      const [scenario] = await loadScenarioDirectory(dir, { playbooks, templates });
      const ran = await runScenario(scenario!, { playbooks });
      expect(ran.passed).toBe(false);
      expect(ran.error).toMatch(
        new RegExp(`^GameDayEventError: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: inject\\[1\\] \\(template guardduty-ec2-backdoor-c2activity-multi-eni\\): detail\\.updatedAt 2025-01-15T10:00:00\\.000Z is after 2025-01-15T09:`),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
