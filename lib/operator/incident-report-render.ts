/**
 * The post-incident report, rendered: Markdown (for a ticket or a repository) and one
 * self-contained HTML page (inline style, no script, no external resource: it opens from a mail
 * attachment or an evidence archive as it is; its Content-Security-Policy forbids both whatever a
 * value says). Every value from the record is escaped, its control and format characters removed: details
 * may quote text an attacker chose (a domain, a process name, an S3 object key), and the record
 * itself is a claim. In Markdown, escaping is not enough on its own: GitHub and most viewers turn a
 * bare `https://…`, `www.…` or `name@host` into a link, so links are defanged as alerts defang
 * them (lib/responders/untrusted-text.ts), and what is left of them cannot be a link.
 */
import { defangLinks, visibleLine } from '../responders/untrusted-text';
import type { IncidentReport } from './incident-report';
import { formatDuration } from './incident-report';

interface Section {
  readonly title: string;
  /** Paragraphs or bullet items (strings), or a table. */
  readonly paragraphs?: readonly string[];
  readonly bullets?: readonly string[];
  readonly table?: { readonly head: readonly string[]; readonly rows: readonly (readonly string[])[] };
  /** Shown when the section has nothing. */
  readonly empty?: string;
}

/** The note on a timeline row whose step did not confirm its execution invoked it (row 17e). */
export const UNCONFIRMED_NOTE = 'not confirmed as its execution\'s invocation (invoked directly, or ended before its check): the execution, alert, failure, request and mode it names are its invoker\'s words, not counted';

function offset(value: number | undefined): string {
  return value === undefined ? '—' : `+${formatDuration(value)}`;
}

/** The report's sections, shared by both renderings so that they never say different things. */
function sections(report: IncidentReport): Section[] {
  const h = report.header;
  // A release request is shown once, on the first step of its execution.
  const requestShown = new Set<string>();
  const requestNote = (row: IncidentReport['timeline'][number]): string => {
    // An unconfirmed entry's request is its invoker's words: it never stands for the execution's (row 17e).
    if (!row.request || row.unconfirmed === true || requestShown.has(row.executionArn ?? '')) return '';
    requestShown.add(row.executionArn ?? '');
    return `requested by ${row.request.requestedBy}${row.request.reason ? ` (${row.request.reason})` : ''}`;
  };
  const timelineCells = (row: IncidentReport['timeline'][number]): string[] => [
    row.startedAt,
    offset(row.sinceReceivedMs),
    formatDuration(row.durationMs),
    row.step,
    row.outcome === 'failed' ? `failed: ${row.status}` : row.status,
    row.mode ?? '',
    [
      row.unconfirmed === true ? UNCONFIRMED_NOTE : '',
      row.alertKind ? `alert: ${row.alertKind}` : '',
      row.failure ? `failure of ${row.failure.step}: ${row.failure.error}` : '',
      requestNote(row),
      row.error ? row.error.message : '',
      row.reasons ? row.reasons.join('; ') : '',
    ]
      .filter((note) => note !== '')
      .join(' · '),
  ];
  const summary = [
    `Incident ${report.key}: ${h.findingType ?? 'unknown finding type'} (${h.severityLabel ?? 'unknown severity'}${h.severityScore !== undefined ? ` ${h.severityScore.toFixed(1)}` : ''}) on ${h.resource ?? 'an unnamed resource'} in account ${h.account ?? 'unknown'}, ${h.region ?? 'unknown region'}.`,
    `Status: ${report.status}. Playbook(s): ${report.playbooks.join(', ') || 'none'}. Mode: ${report.modes.join(', ') || 'unknown'}.${h.gameDay ? ' Game-day drill.' : ''}${h.sample ? ' Sample finding.' : ''}`,
    `Received ${report.receivedAt ?? 'at an unrecorded time'}${h.createdAt ? ` (finding created ${h.createdAt})` : ''}; ${report.timeline.length} step(s) recorded.`,
    ...(report.receiptNote !== undefined ? [report.receiptNote] : []),
    ...(report.invalidEntries > 0 ? [`${report.invalidEntries} stored entr${report.invalidEntries === 1 ? 'y' : 'ies'} did not validate and are left out.`] : []),
    ...(report.children !== undefined
      ? [`Gathered with ${report.children.length} child incident(s), one per resource, each under its own key: the phases are measured over the whole, containment when the last resource was isolated.`]
      : []),
    ...(report.refusedChildren ?? []).map((refused) => `Child record ${refused.key} is left out: ${refused.reason}.`),
  ];
  // A gathered report names, on every row, the incident (the sequence's own, or a child's) it comes from.
  const gathered = report.children !== undefined;
  const head = (cells: readonly string[]): string[] => (gathered ? ['Incident', ...cells] : [...cells]);
  const row = (incidentKey: string | undefined, cells: readonly string[]): string[] => (gathered ? [incidentKey ?? report.key, ...cells] : [...cells]);
  const resources: Section[] =
    report.children === undefined
      ? []
      : [
          {
            title: 'Resources (one child incident each)',
            table: {
              head: ['Incident', 'Resource', 'Account', 'Region', 'Status', 'Contained (from receipt)', 'Steps'],
              rows: report.children.map((child) => [
                child.key,
                child.resource ?? '',
                child.account ?? '',
                child.region ?? '',
                child.status,
                child.containedSinceReceivedMs !== undefined ? `${child.containedTimeNotRecorded ? 'at most ' : ''}${formatDuration(child.containedSinceReceivedMs)}` : '',
                String(child.steps),
              ]),
            },
            empty: 'No child incident was recorded.',
          },
        ];
  return [
    { title: 'Summary', paragraphs: summary },
    {
      title: 'Phases (from receipt)',
      table: {
        head: ['Phase', 'Ended at', 'From receipt', 'Target', 'Ended by'],
        rows: report.phases.map((phase) => {
          const target = report.targets[phase.name];
          // A phase whose change left no time ended by `at` at the latest: its duration is an upper bound.
          const over = target !== undefined && phase.sinceReceivedMs > target ? (phase.timeNotRecorded ? ' (over at the latest: time not recorded)' : ' (over)') : '';
          const against = target === undefined ? '' : `${formatDuration(target)}${over}`;
          const at = phase.timeNotRecorded ? `${phase.at} at the latest (time not recorded)` : phase.at;
          return [phase.label, at, `${phase.timeNotRecorded ? 'at most ' : ''}${formatDuration(phase.sinceReceivedMs)}`, against, phase.by];
        }),
      },
      empty: 'No phase ended (nothing recorded after the receipt).',
    },
    ...resources,
    {
      title: 'Timeline',
      table: {
        head: head(['Started', 'From receipt', 'Took', 'Step', 'Status', 'Mode', 'Notes']),
        rows: report.timeline.map((entry) => row(entry.incidentKey, timelineCells(entry))),
      },
    },
    {
      title: 'What Firebreak did',
      table: { head: head(['At', 'Step', 'Call', 'Resource', 'Outcome', 'Detail']), rows: report.done.map((action) => row(action.incidentKey, [action.at, action.step, action.api, action.target, action.outcome, action.detail])) },
      empty: 'Nothing was changed.',
    },
    {
      title: 'What Firebreak did not do, and why',
      table: { head: head(['At', 'Step', 'Call', 'Resource', 'Outcome', 'Why']), rows: report.notDone.map((action) => row(action.incidentKey, [action.at, action.step, action.api, action.target, action.outcome, action.detail])) },
      empty: 'Nothing was left undone that the record shows.',
    },
    {
      title: 'Evidence and chain of custody',
      bullets: report.evidence.map(
        (item) => `${item.id}: ${item.custody.map((action) => `${action.at} ${action.step}${gathered && action.incidentKey !== undefined ? ` [${action.incidentKey}]` : ''} ${action.api} ${action.outcome} (${action.detail})`).join(' → ')}`,
      ),
      empty: 'No evidence id is named in the record.',
    },
    {
      title: 'Approvals',
      table: {
        head: ['Execution', 'Requested', 'Decision', 'By', 'At', 'Waited', 'Reason'],
        rows: report.approvals.map((approval) => [
          // An earlier execution under the same name, whose answer this run's request kept (row 5q).
          approval.earlierRun === true ? `${approval.executionArn} (earlier run of this name)` : approval.executionArn,
          approval.requestedAt ?? '',
          approval.decision ?? 'no answer recorded',
          approval.decidedBy ?? '',
          approval.decidedAt ?? '',
          formatDuration(approval.waitMs),
          approval.reason ?? '',
        ]),
      },
      empty: 'No approval was asked.',
    },
    {
      title: 'Failures',
      table: { head: head(['At', 'Step', 'Error', 'Detail']), rows: report.failures.map((failure) => row(failure.incidentKey, [failure.at, failure.step, failure.error, failure.detail ?? ''])) },
      empty: 'No failure was recorded.',
    },
    { title: 'Follow-ups still open', bullets: report.followUps, empty: 'None.' },
    { title: 'Lessons learned: questions for the review', bullets: report.lessons },
  ];
}

/**
 * The ASCII punctuation that means something inside a CommonMark or GFM line: backslash escapes,
 * code spans, emphasis and strikethrough, links and images, raw HTML and `<…>` autolinks, entity
 * references, table cells, GitHub's `$` math, `#` headings and email autolinks (`\@` ends GFM's).
 * Each is backslash-escaped, which every CommonMark renderer shows as the character itself.
 */
const MARKDOWN_PUNCTUATION = /[\\`*_~[\]<>!&|$#@]/g;
/** GFM links `www.` and whatever follows it, a name defangLinks leaves readable (`www.x`, a one-letter last label) included. */
const WWW_AUTOLINK = /(?<![A-Za-z0-9])(www)\./gi;

/**
 * Where GitHub would make a mention (`@name`, `@org/team`: an `@` after no letter or digit, before
 * one), which notifies those people wherever the report is pasted, escaped or not: written `(at)`,
 * as alerts write every `@`. An address (`alice@example.com`) keeps its `@`, escaped.
 */
const MENTION_START = /(?<![A-Za-z0-9])@(?=[A-Za-z0-9])/g;

/** One line of untrusted text, links defanged, mentions written out and punctuation escaped. */
function markdownEscaped(line: string): string {
  return defangLinks(line).replace(MENTION_START, '(at)').replace(MARKDOWN_PUNCTUATION, '\\$&').replace(WWW_AUTOLINK, '$1\\.');
}

/** A value inside a Markdown line (a table cell): one line, no control or format character, nothing that renders as markup. */
function markdownCell(value: string): string {
  return markdownEscaped(visibleLine(value));
}

/** A list item (`-`, `+`) or ordered item (`1.`, `1)`) where a line starts (`#`, `>`, `*`, the fences and `<` are escaped anywhere). */
const BLOCK_MARKER = /^(?:[-+]|(\d+)([.)]))/;

/** A value that starts a Markdown line (a paragraph, a bullet): also no list or indented code where it begins. */
function markdownText(value: string): string {
  return markdownEscaped(visibleLine(value).trim()).replace(BLOCK_MARKER, (marker, digits?: string, mark?: string) => (digits !== undefined ? `${digits}\\${mark}` : `\\${marker}`));
}

/** The report in Markdown. */
export function renderIncidentReportMarkdown(report: IncidentReport): string {
  const lines = [`# Post-incident report: ${markdownText(report.key)}`, ''];
  for (const section of sections(report)) {
    lines.push(`## ${section.title}`, '');
    for (const paragraph of section.paragraphs ?? []) lines.push(markdownText(paragraph), '');
    const bullets = section.bullets ?? [];
    const rows = section.table?.rows ?? [];
    if (section.table && rows.length > 0) {
      lines.push(`| ${section.table.head.join(' | ')} |`, `|${section.table.head.map(() => '---').join('|')}|`);
      for (const row of rows) lines.push(`| ${row.map(markdownCell).join(' | ')} |`);
      lines.push('');
    } else if (bullets.length > 0) {
      for (const bullet of bullets) lines.push(`- ${markdownText(bullet)}`);
      lines.push('');
    } else if (section.empty && !section.paragraphs) {
      lines.push(`_${section.empty}_`, '');
    }
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/**
 * A value as HTML text: on one line, without control or format characters (`visibleLine`, as the
 * Markdown's cells: a U+202E in a finding type would reverse what follows it on screen), then
 * escaped. Every value sits in element text, never in an attribute, a URL or the style.
 */
function escapeHtml(value: string): string {
  return visibleLine(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const STYLE = `body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1b1f24}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border:1px solid #d0d7de;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f6f8fa}td{word-break:break-word}.empty{color:#57606a;font-style:italic}
.status{display:inline-block;padding:1px 8px;border-radius:10px;background:#eaeef2;font-weight:600}`;

/** The report as one self-contained HTML page (no script, no external resource). */
export function renderIncidentReportHtml(report: IncidentReport): string {
  const body: string[] = [`<h1>Post-incident report: ${escapeHtml(report.key)} <span class="status">${escapeHtml(report.status)}</span></h1>`];
  for (const section of sections(report)) {
    body.push(`<h2>${escapeHtml(section.title)}</h2>`);
    for (const paragraph of section.paragraphs ?? []) body.push(`<p>${escapeHtml(paragraph)}</p>`);
    const bullets = section.bullets ?? [];
    const rows = section.table?.rows ?? [];
    if (section.table && rows.length > 0) {
      body.push(
        `<table><thead><tr>${section.table.head.map((cell) => `<th>${escapeHtml(cell)}</th>`).join('')}</tr></thead><tbody>`,
        ...rows.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`),
        '</tbody></table>',
      );
    } else if (bullets.length > 0) {
      body.push(`<ul>${bullets.map((bullet) => `<li>${escapeHtml(bullet)}</li>`).join('')}</ul>`);
    } else if (section.empty && !section.paragraphs) {
      body.push(`<p class="empty">${escapeHtml(section.empty)}</p>`);
    }
  }
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    // No script and no external fetch, whatever a value says.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    `<title>Post-incident report ${escapeHtml(report.key)}</title><style>${STYLE}</style></head><body>`,
    ...body,
    '</body></html>',
    '',
  ].join('\n');
}
