#!/usr/bin/env node
// `firebreak` command: runs the TypeScript CLI through tsx so a clone needs no build step.
// Firebreak runs on the Lambda runtime's Node (22), which `npm ci` installs into the project:
// `npx firebreak` and the npm scripts find it first on their PATH; a bare `node` may be older.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(
    `firebreak: needs Node.js 22 (the Lambda runtime's), this is ${process.version}. ` +
      'Run it through npm, which uses the Node the project installs: npx firebreak … or npm run firebreak -- …',
  );
  process.exit(2);
}
// The installed package ships the Firebreak construct (dist/), not the CLI's sources.
const { existsSync } = await import('node:fs');
if (!existsSync(new URL('./firebreak.ts', import.meta.url))) {
  console.error('firebreak: the command line runs from a clone of the Firebreak repository; the npm package ships the Firebreak CDK construct only.');
  process.exit(2);
}
const { register } = await import('tsx/esm/api');
register();
await import('./firebreak.ts');
