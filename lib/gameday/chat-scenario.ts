/**
 * The scenario-file shape of `expect.chat` (evaluated by ./chat-expectations.ts): what chat, e-mail
 * and SMS subscribers of a topic were sent.
 */
import { z } from 'zod';

const text = z.union([z.string().min(1), z.array(z.string().min(1))]);

export const chatExpectationSchema = z
  .strictObject({
    topic: z
      .enum(['alert', 'backup'])
      .default('alert')
      .describe("Which topic's publishes: the alert topic (default) or the backup (operations) topic."),
    count: z.number().int().min(0).optional().describe('Successful publishes to the topic.'),
    title: text.optional().describe('Text each found in the chat title.'),
    description: text.optional().describe('Text each found in the chat description.'),
    nextSteps: text.optional().describe('Text each found in one of the chat next steps.'),
    links: text.optional().describe('Link labels (or URL parts) each found in the chat description\'s links.'),
    keywords: text.optional().describe('Keywords each present in the chat notification.'),
    threadId: z.string().min(1).optional().describe("The chat thread id (the incident key); default: the publish's incident_key attribute."),
    text: text.optional().describe('Text each found in the plain-text (default) message e-mail and SQS subscribers read.'),
  })
  .describe("The chat and plain-text renderings the topic's publishes carried; every publish must also be well formed.");
export type ChatExpectationDocument = z.output<typeof chatExpectationSchema>;

