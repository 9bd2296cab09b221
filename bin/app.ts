/**
 * The Firebreak CDK app (`cdk.json` runs it with tsx): the Firebreak stack for the security account
 * and the FirebreakMemberRole stack for every member account (`npx cdk deploy FirebreakMemberRole`,
 * or its template as a StackSet). Configuration comes from CDK context; see docs/deploy.md.
 * Synthesis works offline: no lookups, no credentials, no Docker.
 */
import { buildFirebreakApp } from '../lib/stack/app';

const { app } = await buildFirebreakApp();
app.synth();
