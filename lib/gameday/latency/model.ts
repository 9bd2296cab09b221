/**
 * The latency model of a deployed Firebreak: how long each hop of a finding's path takes
 * (EventBridge delivery, Step Functions state transitions, Lambda invocations and cold starts,
 * every AWS API call), as a median and a 99th percentile with the measurement each comes from.
 * A game day times the hops a scenario really took with these figures (lib/gameday/latency/predict.ts).
 *
 * Every figure says where it comes from: `published` (a URL to the measurement), `measured` (a
 * measurement of Firebreak itself, e.g. a responder bundle's init time) or `estimate` (no published
 * figure exists: the source says why the value is what it is).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { FirebreakError } from '../../contracts/errors';

const figureSchema = z
  .strictObject({
    p50Ms: z.number().min(0).describe('Median, milliseconds.'),
    p99Ms: z.number().min(0).describe('99th percentile, milliseconds (at least the median).'),
    kind: z.enum(['published', 'measured', 'estimate']),
    source: z.string().min(1).describe('The URL of a published measurement, how it was measured, or why the estimate is what it is.'),
  })
  .superRefine((figure, context) => {
    if (figure.p99Ms < figure.p50Ms) context.addIssue({ code: 'custom', path: ['p99Ms'], message: `must be at least p50Ms (${figure.p50Ms})` });
    if (figure.kind === 'published' && !/https:\/\/\S+/.test(figure.source)) {
      context.addIssue({ code: 'custom', path: ['source'], message: 'a published figure cites the URL of its measurement' });
    }
  });
export type LatencyFigure = z.output<typeof figureSchema>;

const API_NAME = /^[a-z0-9-]+:(\*|[A-Za-z0-9]+)$/;

export const latencyModelSchema = z.strictObject({
  description: z.string().optional(),
  eventBridge: z.strictObject({ delivery: figureSchema.describe('From the finding on the bus to the target (the dispatcher) started.') }),
  stepFunctions: z.strictObject({
    express: z.strictObject({ transition: figureSchema.describe('One state transition of the Express dispatcher.') }),
    standard: z.strictObject({ transition: figureSchema.describe('One state transition of a Standard playbook.') }),
    lambdaInvoke: figureSchema.describe('The Lambda integration: from the Task state to the handler running, warm.'),
  }),
  lambda: z.strictObject({
    runtimeInit: figureSchema.describe('A cold start before the bundle loads: the execution environment and the Node.js runtime.'),
    bundleInit: z
      .record(z.string().regex(/^[a-z0-9-]+$/, 'a responder name (kebab-case) or default'), figureSchema)
      .refine((figures) => figures.default !== undefined, { message: 'needs a default figure (for responders without their own)' })
      .describe("Loading a responder's bundle (its module initialisation), by responder; `default` for the others."),
    firstConnection: figureSchema.describe('The first HTTPS request of a fresh execution environment to a service (TLS, connection set-up).'),
  }),
  api: z
    .record(z.string().regex(API_NAME, 'an API as service:Action (ec2:DescribeInstances) or service:* or default').or(z.literal('default')), figureSchema)
    .refine((figures) => figures.default !== undefined, { message: 'needs a default figure (for APIs without their own)' })
    .describe('Each AWS API call, by `service:Action`, then `service:*`, then `default`.'),
  approval: figureSchema.describe('A person answering an approval request (from the request to the answer).'),
});
export type LatencyModel = z.output<typeof latencyModelSchema>;

/** The model file is invalid: the message names each field and what is wrong with it. */
export class LatencyModelError extends FirebreakError {
  override readonly name = 'LatencyModelError';
  constructor(
    message: string,
    readonly problems: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Validates a parsed model document; throws LatencyModelError naming every bad field. */
export function parseLatencyModel(document: unknown, origin = 'latency model'): LatencyModel {
  const parsed = latencyModelSchema.safeParse(document);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(top level)'}: ${issue.message}`);
  throw new LatencyModelError(`${origin} is invalid:\n  ${problems.join('\n  ')}`, problems);
}

/** The shipped model (lib/gameday/latency/model.json). */
export const DEFAULT_LATENCY_MODEL_FILE = fileURLToPath(new URL('./model.json', import.meta.url));

/** Reads and validates a model file (YAML or JSON). */
export async function loadLatencyModel(file: string = DEFAULT_LATENCY_MODEL_FILE): Promise<LatencyModel> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new LatencyModelError(`cannot read the latency model ${file}: ${error instanceof Error ? error.message : String(error)}`, [], { cause: error });
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new LatencyModelError(`${file} is not YAML or JSON: ${error instanceof Error ? error.message : String(error)}`, [], { cause: error });
  }
  return parseLatencyModel(document, file);
}

/** The figure of one API call: `service:Action`, else `service:*`, else `default`. */
export function apiFigure(model: LatencyModel, api: string): LatencyFigure {
  return model.api[api] ?? model.api[`${api.split(':')[0] ?? ''}:*`] ?? (model.api.default as LatencyFigure);
}

/** The bundle-init figure of a responder (its own, else `default`). */
export function bundleInitFigure(model: LatencyModel, responder: string): LatencyFigure {
  return model.lambda.bundleInit[responder] ?? (model.lambda.bundleInit.default as LatencyFigure);
}

// ---------------------------------------------------------------------------------------------
// seeded sampling

/** A deterministic uniform generator in [0, 1) from a seed text (FNV-1a, then mulberry32). */
export function seededRandom(seed: string): () => number {
  let state = 0x811c9dc5;
  for (let index = 0; index < seed.length; index += 1) {
    state ^= seed.charCodeAt(index);
    state = Math.imul(state, 0x01000193) >>> 0;
  }
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** z of the 99th percentile of the standard normal distribution. */
const Z99 = 2.3263478740408408;

/**
 * One draw of a figure: a log-normal distribution with the figure's median and 99th percentile
 * (latencies are skewed to the right; a log-normal is the usual fit), from a seeded generator.
 */
export function sampleFigure(figure: Pick<LatencyFigure, 'p50Ms' | 'p99Ms'>, random: () => number): number {
  if (figure.p50Ms === 0 || figure.p99Ms === figure.p50Ms) return figure.p50Ms;
  const sigma = Math.log(figure.p99Ms / figure.p50Ms) / Z99;
  // Box–Muller: two uniforms in (0, 1] give one standard normal draw.
  const u1 = 1 - random();
  const u2 = random();
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return figure.p50Ms * Math.exp(sigma * z);
}

/** Nearest-rank percentile (q in (0, 1]) of unsorted values. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}
