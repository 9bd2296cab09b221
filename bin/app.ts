/**
 * The Firebreak CDK app (`cdk.json` runs it with tsx). Configuration comes from CDK context; see
 * docs/deploy.md. Synthesis works offline: no lookups, no credentials, no Docker.
 */
import { buildFirebreakApp } from '../lib/stack/app';

const { app } = await buildFirebreakApp();
app.synth();
