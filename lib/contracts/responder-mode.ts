/**
 * The two modes every playbook, responder and deployment runs in: `enforce` changes resources,
 * `dry-run` only says what it would change. Shared by the playbook schema, the responders, the
 * stack's config and the game day.
 */
import * as z from './zod-mini';

export const RESPONDER_MODES = ['enforce', 'dry-run'] as const;
export type ResponderMode = (typeof RESPONDER_MODES)[number];
export const responderModeSchema = z.enum(RESPONDER_MODES);
