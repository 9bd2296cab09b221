/**
 * The real-format events published beside the repository in ../shared/events. A public clone has
 * no such folder: tests that need one of its files run only where it exists, and show as skipped
 * elsewhere (the project brief: "a test may also read ../shared/events where it exists").
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

const repoRoot = path.resolve(import.meta.dirname, '../..');

/** Absolute path of ../shared/events, resolved from the repository root. */
export const SHARED_EVENTS_DIR = path.resolve(repoRoot, '../shared/events');

/** Whether ../shared/events exists here; guard with `describe.runIf(HAS_SHARED_EVENTS)` / `it.runIf(HAS_SHARED_EVENTS)`. */
export const HAS_SHARED_EVENTS = existsSync(SHARED_EVENTS_DIR);
