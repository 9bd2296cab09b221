/**
 * The Firebreak CDK app (`cdk.json` runs it with tsx): the Firebreak stack for the security account
 * and the FirebreakMemberRole stack for every member account (`npx cdk deploy FirebreakMemberRole`,
 * or its template as a StackSet). Configuration comes from CDK context; see docs/deploy.md.
 * Synthesis works offline: no lookups, no credentials, no Docker.
 */
import { PlaybookValidationError } from '../lib/playbooks/errors';
import { buildFirebreakApp } from '../lib/stack/app';
import { FirebreakConfigError } from '../lib/stack/config';

try {
  const { app } = await buildFirebreakApp();
  app.synth();
} catch (error) {
  // A bad -c value or playbook is the user's to fix: its message names the key or file:line:col.
  // Thrown, it came inside Node's stack trace and zod's whole issue list (thirty lines for a typo).
  if (!(error instanceof FirebreakConfigError || error instanceof PlaybookValidationError)) throw error;
  process.stderr.write(`firebreak: ${error.message}\n`);
  process.exitCode = 1;
}
