/** The CDK app: one stack of your own, with Firebreak in it. */
import { App } from 'aws-cdk-lib';
import { SecurityStack } from './security-stack.js';

const app = new App();
new SecurityStack(app, 'SecurityTooling', {
  oncallEmail: 'oncall@example.com',
  // Environment-agnostic unless the CLI knows the account: synth works offline.
  ...(process.env.CDK_DEFAULT_ACCOUNT && process.env.CDK_DEFAULT_REGION
    ? { env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION } }
    : {}),
});
app.synth();
