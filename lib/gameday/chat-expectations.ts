/**
 * `expect.chat`: what chat and text subscribers of a topic were sent. publish-alert publishes one
 * message per protocol (`MessageStructure: 'json'`, lib/responders/alert-protocols.ts); SNS hands an
 * `https` subscription (AWS's chat integration for Slack and Microsoft Teams) the `https` entry,
 * e-mail the `email` one, SMS the `sms` one and everything else `default`. The game day reads those
 * entries from the successful sns:Publish calls to the topic, as SNS would hand them out, and checks:
 *
 * - every publish carries the four entries, and its chat entry is a custom notification AWS's chat
 *   integration renders (version 1.0, source custom, client-markdown, a title and a description
 *   within their limits, the thread id the incident key); the e-mail is the plain text under the
 *   incident line; the SMS fits two segments;
 * - the one alert that best fits the scenario's wishes (title, description, next steps, links,
 *   keywords, plain text) has them all.
 */
import { z } from 'zod';
import { CHAT_LIMITS, MAX_SMS_CHARACTERS } from '../responders/alert-protocols';
import type { GameDayCall, ResolvedEnvironment } from './backend';
import type { ChatExpectationDocument } from './chat-scenario';

/** expectations.ts's ExpectationResult (not imported: that module imports this one). */
interface ChatExpectationResult {
  readonly name: string;
  readonly passed: boolean;
  readonly expected: string;
  readonly actual: string;
}
type ExpectationResult = ChatExpectationResult;

const chatNotificationSchema = z.strictObject({
  version: z.literal('1.0'),
  source: z.literal('custom'),
  id: z.string().optional(),
  content: z.strictObject({
    textType: z.literal('client-markdown'),
    title: z.string().min(1).max(CHAT_LIMITS.title),
    description: z.string().min(1).max(CHAT_LIMITS.description),
    nextSteps: z.array(z.string().min(1).max(CHAT_LIMITS.nextStep)).max(CHAT_LIMITS.nextSteps),
    keywords: z.array(z.string().min(1).max(CHAT_LIMITS.keyword)).max(CHAT_LIMITS.keywords),
  }),
  metadata: z.strictObject({
    threadId: z.string().min(1).optional(),
    summary: z.string().min(1),
    eventType: z.string().regex(/^firebreak\.[a-z-]+$/),
    relatedResources: z.array(z.string()).max(CHAT_LIMITS.resources),
    additionalContext: z.record(z.string(), z.string()),
  }),
});
type ChatNotification = z.output<typeof chatNotificationSchema>;

/** One publish as each kind of subscriber receives it. */
interface Rendered {
  readonly seq: number;
  readonly chat?: ChatNotification;
  readonly plain: string;
  readonly problems: readonly string[];
}

const list = (value: string | readonly string[] | undefined): readonly string[] => (value === undefined ? [] : typeof value === 'string' ? [value] : value);

function attributeOf(input: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const attributes = input.MessageAttributes as Record<string, { StringValue?: unknown }> | undefined;
  const value = attributes?.[name]?.StringValue;
  return typeof value === 'string' ? value : undefined;
}

/** A publish's entries, and what is wrong with them. */
function rendered(call: GameDayCall): Rendered {
  const problems: string[] = [];
  const input = call.input;
  if (input.MessageStructure !== 'json') return { seq: call.seq, plain: String(input.Message ?? ''), problems: ['not a per-protocol publish (MessageStructure is not json): chat shows nothing'] };
  let entries: Record<string, unknown>;
  try {
    entries = JSON.parse(String(input.Message)) as Record<string, unknown>;
  } catch {
    return { seq: call.seq, plain: '', problems: ['Message is not JSON'] };
  }
  for (const protocol of ['default', 'email', 'sms', 'https']) if (typeof entries[protocol] !== 'string') problems.push(`no ${protocol} entry`);
  const plain = typeof entries.default === 'string' ? entries.default : '';
  let chat: ChatNotification | undefined;
  if (typeof entries.https === 'string') {
    try {
      const parsed = chatNotificationSchema.safeParse(JSON.parse(entries.https));
      if (parsed.success) chat = parsed.data;
      else problems.push(`the chat entry is not a custom notification: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
    } catch {
      problems.push('the chat entry is not JSON');
    }
  }
  const key = attributeOf(input, 'incident_key');
  if (chat && key !== undefined && chat.metadata.threadId !== key) problems.push(`chat thread ${chat.metadata.threadId ?? '(none)'} is not the incident key ${key}`);
  if (typeof entries.email === 'string' && !entries.email.endsWith(plain)) problems.push('the e-mail is not the plain text under its incident line');
  if (typeof entries.sms === 'string' && entries.sms.length > MAX_SMS_CHARACTERS) problems.push(`the SMS has ${entries.sms.length} characters (at most ${MAX_SMS_CHARACTERS})`);
  return { seq: call.seq, ...(chat ? { chat } : {}), plain, problems };
}

function result(name: string, passed: boolean, expected: string, actual: string): ExpectationResult {
  return { name, passed, expected, actual };
}

/** The successful publishes to a topic, in call order. */
export function publishesTo(calls: readonly GameDayCall[], topicArn: string): GameDayCall[] {
  return calls.filter((call) => call.api === 'sns:Publish' && call.outcome === 'ok' && call.input.TopicArn === topicArn);
}

/** Evaluates `expect.chat`. */
export function evaluateChat(spec: ChatExpectationDocument, facts: { readonly calls: readonly GameDayCall[]; readonly environment: ResolvedEnvironment }): ExpectationResult[] {
  const label = `chat (${spec.topic} topic)`;
  const topicArn = spec.topic === 'backup' ? facts.environment.deployment.backupTopicArn : facts.environment.deployment.alertTopicArn;
  if (topicArn === undefined) return [result(label, false, 'a backup topic', 'this backend prepared no backup topic')];
  const publishes = publishesTo(facts.calls, topicArn).map(rendered);
  const results: ExpectationResult[] = [];
  if (spec.count !== undefined) results.push(result(`${label} publishes`, publishes.length === spec.count, String(spec.count), String(publishes.length)));
  const malformed = publishes.filter((publish) => publish.problems.length > 0);
  results.push(
    result(
      `${label}: every publish renders for chat, e-mail and SMS`,
      publishes.length > 0 && malformed.length === 0,
      'each with a valid custom notification, e-mail and SMS',
      publishes.length === 0 ? '(nothing was published)' : malformed.length === 0 ? `${publishes.length} publish(es)` : malformed.map((publish) => `call ${publish.seq}: ${publish.problems.join('; ')}`).join(' | '),
    ),
  );
  const wishes: { readonly what: string; readonly holds: (publish: Rendered) => boolean }[] = [
    ...list(spec.title).map((want) => ({ what: `title has "${want}"`, holds: (p: Rendered) => p.chat?.content.title.includes(want) === true })),
    ...list(spec.description).map((want) => ({ what: `description has "${want}"`, holds: (p: Rendered) => p.chat?.content.description.includes(want) === true })),
    ...list(spec.nextSteps).map((want) => ({ what: `a next step has "${want}"`, holds: (p: Rendered) => p.chat?.content.nextSteps.some((step) => step.includes(want)) === true })),
    ...list(spec.links).map((want) => ({ what: `a link has "${want}"`, holds: (p: Rendered) => linksOf(p.chat).some((link) => link.includes(want)) })),
    ...list(spec.keywords).map((want) => ({ what: `keyword ${want}`, holds: (p: Rendered) => p.chat?.content.keywords.includes(want) === true })),
    ...(spec.threadId !== undefined ? [{ what: `thread ${spec.threadId}`, holds: (p: Rendered) => p.chat?.metadata.threadId === spec.threadId }] : []),
    ...list(spec.text).map((want) => ({ what: `plain text has "${want}"`, holds: (p: Rendered) => p.plain.includes(want) })),
  ];
  if (wishes.length === 0) return results;
  const scored = publishes.map((publish) => ({ publish, misses: wishes.filter((wish) => !wish.holds(publish)) })).sort((a, b) => a.misses.length - b.misses.length);
  const best = scored[0];
  const expected = wishes.map((wish) => wish.what).join('; ');
  if (!best) results.push(result(`${label}: an alert rendered with`, false, expected, '(nothing was published)'));
  else {
    const title = best.publish.chat?.content.title ?? '(no chat entry)';
    results.push(result(`${label}: an alert rendered with`, best.misses.length === 0, expected, best.misses.length === 0 ? `"${title}"` : `closest "${title}" lacks: ${best.misses.map((wish) => wish.what).join('; ')}`));
  }
  return results;
}

/** The `label: url` lines of the description's *Links* block. */
function linksOf(chat: ChatNotification | undefined): string[] {
  const description = chat?.content.description ?? '';
  const at = description.lastIndexOf('\n*Links*\n');
  return at < 0 ? [] : description.slice(at + '\n*Links*\n'.length).split('\n').filter((line) => line !== '');
}
