// The layers of Firebreak and the lint rules that keep imports flowing one way (docs/architecture.md).
// - `import-x/no-restricted-paths` (eslint-plugin-import-x): a file may import only from its own
//   layer or lower ones; type-only imports count, since a type is a dependency too.
// - `firebreak/no-import-cycle` (below): no cycle of relative imports, type-only ones included.
//   import-x/no-cycle skips every `import type` by design (it looks for runtime cycles only), and a
//   cycle through a type still ties two rooms together, so the cycle check is this small rule.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';

/** Lowest first; a folder may import only from its own layer or lower ones. */
export const LAYERS = [
  { name: 'contracts', folders: ['lib/contracts'] },
  { name: 'core', folders: ['lib/incident', 'lib/playbooks'] },
  { name: 'aws', folders: ['lib/aws'] },
  { name: 'responders', folders: ['lib/responders'] },
  { name: 'stack', folders: ['lib/stack'] },
  { name: 'operator', folders: ['lib/operator'] },
  { name: 'gameday', folders: ['lib/gameday'] },
  { name: 'cli', folders: ['lib/cli'] },
];

/** Entry points: Lambda handlers sit just above the responders; bin/ may import anything. */
const LAMBDAS = { folder: 'lambdas', above: 'responders' };
const ENTRY_POINTS = ['lambdas', 'bin'];

/** The zones of import-x/no-restricted-paths that say the order above. */
export function layerZones() {
  const zones = [];
  LAYERS.forEach((layer, index) => {
    const higher = [...LAYERS.slice(index + 1).flatMap((upper) => upper.folders), ...ENTRY_POINTS];
    zones.push({
      target: layer.folders,
      from: higher,
      message: `${layer.name} is layer ${index + 1} of ${LAYERS.length}: it may import only its own layer or lower ones (docs/architecture.md)`,
    });
  });
  const lambdasIndex = LAYERS.findIndex((layer) => layer.name === LAMBDAS.above);
  zones.push({
    target: [LAMBDAS.folder],
    from: [...LAYERS.slice(lambdasIndex + 1).flatMap((upper) => upper.folders), 'bin'],
    message: `a Lambda handler may import only ${LAMBDAS.above} and lower layers (docs/architecture.md)`,
  });
  return zones;
}

const EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'];

/** The file a relative specifier names (extensionless, as the project writes them), or undefined. */
function resolveRelative(fromFile, specifier) {
  if (!specifier.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(fromFile), specifier.replace(/\.js$/, ''));
  for (const candidate of [base, ...EXTENSIONS.map((ext) => base + ext), ...EXTENSIONS.map((ext) => path.join(base, `index${ext}`))]) {
    try {
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not this one
    }
  }
  return undefined;
}

// One lint run reads each file's imports once (ts.preProcessFile: imports, `import type`,
// re-exports and dynamic imports, without type-checking); the mtime keeps a long-lived ESLint
// (an editor) from using an old answer.
const importsCache = new Map();

function importsOf(file) {
  let mtimeMs;
  try {
    mtimeMs = fs.statSync(file).mtimeMs;
  } catch {
    return [];
  }
  const cached = importsCache.get(file);
  if (cached && cached.mtimeMs === mtimeMs) return cached.imports;
  const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  const imports = [...new Set(info.importedFiles.map((ref) => resolveRelative(file, ref.fileName)).filter((target) => target !== undefined))];
  importsCache.set(file, { mtimeMs, imports });
  return imports;
}

/** The shortest chain of imports from `start` back to `file`, or undefined when there is none. */
function pathBack(start, file) {
  const previous = new Map([[start, undefined]]);
  const queue = [start];
  while (queue.length > 0) {
    const current = queue.shift();
    if (current === file) {
      const chain = [];
      for (let at = current; at !== undefined; at = previous.get(at)) chain.unshift(at);
      return chain;
    }
    for (const next of importsOf(current)) {
      if (!previous.has(next)) {
        previous.set(next, current);
        queue.push(next);
      }
    }
  }
  return undefined;
}

const noImportCycle = {
  meta: {
    type: 'problem',
    docs: { description: 'No cycle of relative imports, type-only imports included.' },
    schema: [],
    messages: { cycle: 'import cycle: {{chain}}' },
  },
  create(context) {
    const file = context.physicalFilename;
    const cwd = context.cwd;
    const check = (node, source) => {
      if (!source || typeof source.value !== 'string') return;
      const target = resolveRelative(file, source.value);
      if (target === undefined || target === file) return;
      const chain = pathBack(target, file);
      if (chain) {
        context.report({
          node: source,
          messageId: 'cycle',
          data: { chain: [file, ...chain].map((step) => path.relative(cwd, step)).join(' → ') },
        });
      }
    };
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source.type === 'Literal' ? node.source : undefined),
      TSImportType: (node) => check(node, node.argument?.type === 'TSLiteralType' ? node.argument.literal : node.source),
    };
  },
};

/** The project's own rules. */
export const firebreakPlugin = { meta: { name: 'firebreak' }, rules: { 'no-import-cycle': noImportCycle } };

/** The project's root: the zones' folders are relative to it, whatever the working directory. */
const ROOT = path.resolve(import.meta.dirname, '..');

/**
 * The flat-config block that enforces the layers on `files`: the project's, or, with `root`, a
 * small tree laid out like it (the test's fixtures).
 */
export function layersConfig({ files = ['lib/**/*.ts', 'lambdas/**/*.ts', 'bin/**/*.ts'], root = ROOT } = {}) {
  return {
    files,
    plugins: { 'import-x': importX, firebreak: firebreakPlugin },
    settings: { 'import-x/resolver-next': [createNodeResolver({ extensions: EXTENSIONS })] },
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: root, zones: layerZones() }],
      'firebreak/no-import-cycle': 'error',
    },
  };
}
