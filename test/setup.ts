// Tests never reach AWS: make sure no SDK client can pick up ambient credentials or a region.
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'AKIAFIREBREAKTEST000';
process.env.AWS_SECRET_ACCESS_KEY ??= 'firebreak-test-secret';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
// The deployment's facts a Lambda module reads at cold start (the stack sets them): the security
// account (the client factory serves no account without it) and an enforce deployment, so that a
// test's input mode is what it exercises. Tests of the effective mode pass their own environment.
process.env.FIREBREAK_SECURITY_ACCOUNT_ID ??= '111122223333';
process.env.FIREBREAK_MODE ??= 'enforce';
// The state table every stateful Lambda reads at cold start (lib/responders/state-table.ts).
process.env.FIREBREAK_STATE_TABLE ??= 'firebreak-test-state';
