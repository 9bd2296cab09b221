/**
 * Prints (JSON, on stdout) the state machine definitions and templates the CDK app synthesizes for
 * the default game-day settings and the shipped playbooks: the storm benchmark runs this in a child
 * process, so that its own process measures the run, not aws-cdk-lib (about 125 MB of RSS to load).
 */
import { resolve } from 'node:path';
import { definitionsFor } from '../../lib/gameday/definitions';
import { settingsSchema } from '../../lib/gameday/scenario';
import { loadPlaybookDirectory } from '../../lib/playbooks/loader';

const ROOT = resolve(import.meta.dirname, '../..');
const playbooks = await loadPlaybookDirectory(resolve(ROOT, 'playbooks'));
const definitions = await definitionsFor(settingsSchema.parse({}), playbooks);
process.stdout.write(JSON.stringify(definitions));
