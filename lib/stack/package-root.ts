/**
 * Where Firebreak's own files are, from source (a clone: lib/stack/*.ts) and from the built package
 * (node_modules/firebreak/dist/index.js) alike: the nearest folder above this module whose
 * package.json is Firebreak's. Its playbooks, prebuilt Lambda bundles and sources are found from it.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package name in package.json. */
export const PACKAGE_NAME = 'firebreak';

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME) return dir;
    if (path.dirname(dir) === dir) throw new Error(`Firebreak: no package.json named "${PACKAGE_NAME}" above ${from}`);
  }
}

const root = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));

/** The repository root in a clone, the package folder when installed (with a trailing separator). */
export const PROJECT_ROOT = root + path.sep;

/** The playbooks Firebreak ships, deployed when no other playbooks are given. */
export const SHIPPED_PLAYBOOKS_DIR = path.join(root, 'playbooks');

/** Where `npm run build` puts each responder's prebuilt bundle (`<dir>/<responder>/index.mjs`). */
export const PREBUILT_LAMBDAS_DIR = path.join(root, 'dist', 'lambdas');

/** The source entry point of a responder (`lambdas/<responder>/index.ts`), present in a clone only. */
export function responderEntry(responder: string): string {
  return path.join(root, 'lambdas', responder, 'index.ts');
}
