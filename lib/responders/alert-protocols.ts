/**
 * One alert, rendered for each channel people read it in, sent in ONE publish with
 * `MessageStructure: 'json'` (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html): SNS hands
 * each subscription the entry of its protocol, or `default`.
 *
 * - `default` (SQS, Lambda, Firehose and any protocol without an entry): the plain-text alert, unchanged;
 * - `email`: the same text under a first line naming the incident key (the thread's key);
 * - `sms`: one short line (subject and incident key), far below the 1,600 characters SNS splits SMS at;
 * - `https`: the custom-notification JSON of Amazon Q Developer in chat applications (AWS Chatbot),
 *   which shows nothing else but AWS service events: Slack and Microsoft Teams channels subscribe through
 *   it with the `https` protocol. Its `metadata.threadId` is the incident key, so later alerts of the
 *   same incident (approval asked and answered, report, release) land in one thread
 *   (https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html). Its description, cut
 *   at 3,500 characters, puts what Firebreak did and did not do before the finding's story (row 7g).
 *
 * `email-json` subscribers get `default` too. Any other HTTPS endpoint subscribed to the topic (a
 * paging webhook) receives the chat JSON: it is a documented, stable JSON shape to map from.
 */
import type { AlertInput, AlertMessage } from './alert-model';
import { oneLine } from './alert-text';
import { capped } from './untrusted-text';
import { resourceId, isGameDay, isSample } from './alert-incident';

/** The chat integration's custom-notification shape (only the fields Firebreak fills). */
export interface ChatNotification {
  readonly version: '1.0';
  readonly source: 'custom';
  readonly id?: string;
  readonly content: {
    readonly textType: 'client-markdown';
    readonly title: string;
    readonly description: string;
    readonly nextSteps: readonly string[];
    readonly keywords: readonly string[];
  };
  readonly metadata: {
    readonly threadId?: string;
    readonly summary: string;
    readonly eventType: string;
    readonly relatedResources: readonly string[];
    readonly additionalContext: Readonly<Record<string, string>>;
  };
}

/** The per-protocol messages of one publish (`Message` with `MessageStructure: 'json'`). */
export interface ProtocolMessages {
  readonly default: string;
  readonly email: string;
  readonly sms: string;
  readonly https: string;
}

/**
 * Caps chosen for chat, not documented limits: a chat message longer than a screen is not read,
 * and the whole alert is in the e-mail and the execution history.
 */
export const CHAT_LIMITS = { title: 250, description: 3500, nextSteps: 8, nextStep: 500, keywords: 8, keyword: 60, resources: 8 } as const;

/** SMS: two 140-byte segments at most. */
export const MAX_SMS_CHARACTERS = 280;

/** Sections the chat description leaves to next steps, links and the e-mail. */
const NOT_IN_CHAT_DESCRIPTION = new Set(['WHAT TO DO NEXT', 'LINKS', 'ABOUT THIS ALERT']);

/**
 * Sections the chat description shows right after the opening lines and the decision, in this order:
 * what Firebreak did NOT do first, then each instance's and credential's outcome, then what it did.
 * The description is cut at its cap, and the finding's story before them in the message (its tags,
 * network interfaces, description, malware and runtime details) is text whoever controls the
 * resource makes as long as they like: an instance's 50 tags alone fill the cap (review-alerts, row 7g).
 */
const FIRST_IN_CHAT: readonly string[] = ['WHAT FIREBREAK DID NOT DO', 'INSTANCES', 'CREDENTIALS', 'WHAT FIREBREAK DID'];
/** Sections before the finding's story in the message, which the chat keeps where they are. */
const LEADING_SECTIONS = new Set(['NOT VERIFIED BY STEP FUNCTIONS', 'CONTAINMENT DECISION', 'APPROVAL NEEDED', 'WHAT FAILED']);

/** The rank of a section in the chat description: leading ones (and the opening lines), then FIRST_IN_CHAT, then the rest as built. */
function chatRank(heading: string | undefined): number {
  if (heading === undefined || LEADING_SECTIONS.has(heading)) return 0;
  const first = FIRST_IN_CHAT.indexOf(heading);
  return first < 0 ? FIRST_IN_CHAT.length + 1 : first + 1;
}

/** A section's heading line: capitals and spaces, perhaps followed by a parenthesis (`WHAT FIREBREAK DID (playbook ...)`). */
const HEADING = /^[A-Z][A-Z ]+[A-Z]( \(|$)/;
/** The parenthesis after a heading. */
const HEADING_PARENTHESIS = / \(.*$/;
/** The number of a next step (`  1. `). */
const STEP_NUMBER = /^\s*\d+\.\s*/;

/** The heading of a built section (its first line), or undefined for the opening lines. */
function headingOf(section: readonly string[]): string | undefined {
  const first = section[0] ?? '';
  return HEADING.test(first) ? first.replace(HEADING_PARENTHESIS, '') : undefined;
}

/** The key later alerts of the same incident share: the incident key, or none for an alert without an incident. */
export function threadKey(input: AlertInput): string | undefined {
  return input.incident?.key;
}

/** The chat notification of an alert: title, description, next steps, links, keywords and the thread id. */
export function chatNotification(input: AlertInput, alert: AlertMessage): ChatNotification {
  const sections = alert.sections ?? [alert.message.split('\n')];
  const nextSection = sections.find((s) => headingOf(s) === 'WHAT TO DO NEXT') ?? [];
  const nextSteps = nextSection
    .slice(1)
    .map((line) => oneLine(line.replace(STEP_NUMBER, ''), CHAT_LIMITS.nextStep))
    .filter((line) => line !== '')
    .slice(0, CHAT_LIMITS.nextSteps);
  const links = (alert.links ?? []).map((link) => `${link.label}: ${link.url}`);
  const linkBlock = links.length > 0 ? `\n\n*Links*\n${links.join('\n')}` : '';
  // Sorted stably: sections of one rank keep the message's order.
  const body = sections
    .filter((s) => !NOT_IN_CHAT_DESCRIPTION.has(headingOf(s) ?? ''))
    .map((s, index) => ({ text: s.join('\n'), rank: chatRank(headingOf(s)), index }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map((s) => s.text)
    .join('\n\n');
  // The links are kept whole: the description is cut before them, at a line, and says so.
  const room = CHAT_LIMITS.description - linkBlock.length - 80;
  const description = body.length <= room ? body : `${body.slice(0, body.lastIndexOf('\n', room) > 0 ? body.lastIndexOf('\n', room) : room)}\n(cut here: the e-mail alert and the execution history have the rest)`;
  const incident = input.incident;
  const key = threadKey(input);
  const keywords = [
    incident?.severity.label,
    incident?.findingType,
    input.kind === 'report' ? undefined : input.kind,
    input.mode === 'dry-run' ? 'dry-run' : undefined,
    isGameDay(input) ? 'game-day' : undefined,
    isSample(incident) ? 'sample' : undefined,
    incident?.account,
  ]
    .filter((k): k is string => k !== undefined && k !== '')
    .map((k) => oneLine(k, CHAT_LIMITS.keyword))
    .slice(0, CHAT_LIMITS.keywords);
  const on = incident !== undefined ? resourceId(incident) : undefined;
  const relatedResources = [on, incident?.guardDuty?.findingId, input.execution?.executionArn]
    .filter((r): r is string => r !== undefined && r !== '')
    .map((r) => oneLine(r, 300))
    .slice(0, CHAT_LIMITS.resources);
  const context: Record<string, string> = {};
  for (const [name, value] of Object.entries({
    incidentKey: key,
    account: incident?.account,
    region: incident?.region,
    playbook: input.playbook ?? input.execution?.playbook ?? undefined,
    mode: input.mode,
    kind: input.kind,
  })) {
    if (value !== undefined && value !== '') context[name] = oneLine(value, 256);
  }
  return {
    version: '1.0',
    source: 'custom',
    content: {
      textType: 'client-markdown',
      title: capped(alert.subject, CHAT_LIMITS.title),
      description: `${description}${linkBlock}`,
      nextSteps,
      keywords,
    },
    metadata: {
      ...(key !== undefined ? { threadId: key } : {}),
      summary: alert.subject,
      eventType: `firebreak.${input.kind}`,
      relatedResources,
      additionalContext: context,
    },
  };
}

/** The SMS line: subject and incident key, cut to MAX_SMS_CHARACTERS. */
export function smsMessage(input: AlertInput, alert: AlertMessage): string {
  const key = threadKey(input);
  return capped(`Firebreak ${alert.subject}${key !== undefined ? ` (incident ${key})` : ''}`, MAX_SMS_CHARACTERS);
}

/** The e-mail body: the thread's key first, then the alert. */
export function emailMessage(input: AlertInput, alert: AlertMessage): string {
  const key = threadKey(input);
  return key === undefined ? alert.message : `Incident ${key} (every alert of this incident carries this key)\n\n${alert.message}`;
}

/** Every protocol's message of one alert. */
export function protocolMessages(input: AlertInput, alert: AlertMessage): ProtocolMessages {
  return {
    default: alert.message,
    email: emailMessage(input, alert),
    sms: smsMessage(input, alert),
    https: JSON.stringify(chatNotification(input, alert)),
  };
}

/**
 * The `Message` of a `MessageStructure: 'json'` publish. The text is capped at 64 KiB by the alert
 * builder and the chat entry at 3.5 KB, so the entries together (the text twice, escaped) stay well
 * below SNS's 256 KiB; a test publishes the largest alert to prove it.
 */
export function structuredMessage(input: AlertInput, alert: AlertMessage): string {
  return JSON.stringify(protocolMessages(input, alert));
}
