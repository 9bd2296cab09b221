/**
 * `npm run build`: the installable package in dist/.
 *
 * - dist/index.js: the package entry (lib/stack/index.ts) bundled by esbuild into one ES module,
 *   every package it imports left external (they are the package's dependencies and peer
 *   dependencies). The sources import without file extensions (moduleResolution Bundler), which
 *   Node's ESM loader does not resolve; one bundle has no relative imports left to resolve.
 * - dist/types/: the type declarations (`tsc --emitDeclarationOnly`), their relative imports
 *   rewritten with explicit `.js` extensions so that consumers resolving with NodeNext find them.
 * - dist/lambdas/<responder>/index.mjs: each responder prebuilt with the options synth uses
 *   (`RESPONDER_BUNDLING`), so an installed package needs neither the sources nor a bundler.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { PROJECT_ROOT } from '../lib/stack/package-root';
import { RESPONDER_BUNDLING } from '../lib/stack/responder-function';

const root = PROJECT_ROOT;
const dist = path.join(root, 'dist');

/** Every file below `dir` whose name ends with `suffix`. */
function filesBelow(dir: string, suffix: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return filesBelow(full, suffix);
    return entry.name.endsWith(suffix) ? [full] : [];
  });
}

/** `from './x'` → `from './x.js'` (or `./x/index.js` for a folder), in one declaration file. */
function withExplicitExtensions(file: string): string {
  const text = readFileSync(file, 'utf8');
  return text.replace(/(from\s+|import\()(['"])(\.{1,2}\/[^'"]+)\2/g, (whole, lead: string, quote: string, specifier: string) => {
    if (/\.(js|mjs|cjs|json)$/.test(specifier)) return whole;
    const target = path.resolve(path.dirname(file), specifier);
    const resolved = existsSync(`${target}.d.ts`) ? `${specifier}.js` : existsSync(path.join(target, 'index.d.ts')) ? `${specifier}/index.js` : undefined;
    if (!resolved) throw new Error(`${path.relative(root, file)}: cannot resolve ${specifier} to a declaration file`);
    return `${lead}${quote}${resolved}${quote}`;
  });
}

rmSync(dist, { recursive: true, force: true });

await build({
  entryPoints: { index: path.join(root, 'lib/stack/index.ts') },
  outdir: dist,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});

const lambdas = path.join(root, 'lambdas');
const responders = readdirSync(lambdas).filter((name) => existsSync(path.join(lambdas, name, 'index.ts')));
await Promise.all(
  responders.map((responder) =>
    build({
      ...RESPONDER_BUNDLING,
      mainFields: [...RESPONDER_BUNDLING.mainFields],
      banner: { js: RESPONDER_BUNDLING.banner },
      entryPoints: [path.join(lambdas, responder, 'index.ts')],
      outfile: path.join(dist, 'lambdas', responder, 'index.mjs'),
      // RESPONDER_BUNDLING's alias targets are relative to the project root.
      absWorkingDir: root,
      bundle: true,
      logLevel: 'warning',
    }),
  ),
);

execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
for (const file of filesBelow(path.join(dist, 'types'), '.d.ts')) writeFileSync(file, withExplicitExtensions(file));

const size = (file: string) => `${Math.round(statSync(file).size / 1024)} KiB`;
console.log(`dist/index.js ${size(path.join(dist, 'index.js'))}; ${responders.length} responders prebuilt: ${responders.join(', ')}`);
