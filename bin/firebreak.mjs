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
// `gameday run` (the local engine) runs with --experimental-async-context-frame (Node 22.7+, the
// default from Node 24): AsyncLocalStorage in its newer implementation, without a hook on every
// promise, which gives the responders' attempt records and the game day's deadlines the same
// contexts for less CPU (docs/gameday.md, "Recorded figures"). The deployed Lambdas run the default
// implementation, which the unit tests exercise. A node started without the flag (npx, a direct
// run) runs the command again under it, passing on signals and the exit status. Only that command:
// one whose Ctrl-C handling counts signals (the watch of `gameday inject`) would see the terminal's
// SIGINT twice, and no other command runs the engine.
const FRAME_FLAG = '--experimental-async-context-frame';
const localGameDay = process.argv[2] === 'gameday' && process.argv[3] === 'run';
const flagged = process.execArgv.includes(FRAME_FLAG) || (process.env.NODE_OPTIONS ?? '').split(/\s+/).includes(FRAME_FLAG);
if (localGameDay && !flagged) {
  const { spawn } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const child = spawn(process.execPath, [FRAME_FLAG, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  // A signal sent to this process alone is passed on (Ctrl-C reaches both: the game day ends on the first).
  const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const forward = (signal) => child.kill(signal);
  for (const signal of SIGNALS) process.on(signal, forward);
  child.on('error', (error) => {
    console.error(`firebreak: could not start ${process.execPath}: ${error.message}`);
    process.exit(2);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      for (const name of SIGNALS) process.off(name, forward);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
} else {
// The installed package ships the Firebreak construct (dist/), not the CLI's sources.
const { existsSync } = await import('node:fs');
if (!existsSync(new URL('./firebreak.ts', import.meta.url))) {
  console.error('firebreak: the command line runs from a clone of the Firebreak repository; the npm package ships the Firebreak CDK construct only.');
  process.exit(2);
}
const { register } = await import('tsx/esm/api');
register();
await import('./firebreak.ts');
}
