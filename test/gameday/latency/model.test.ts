import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LatencyModel } from '../../../lib/gameday/latency/model';
import { apiFigure, bundleInitFigure, DEFAULT_LATENCY_MODEL_FILE, LatencyModelError, loadLatencyModel, parseLatencyModel, percentile, sampleFigure, seededRandom } from '../../../lib/gameday/latency/model';

const shipped = await loadLatencyModel();

/** The shipped model with one change made at `path`. */
function changed(path: readonly string[], value: unknown): unknown {
  const document = structuredClone(shipped) as Record<string, unknown>;
  let at = document;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string, unknown>;
  const last = path.at(-1) as string;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return document;
}

function problemsOf(document: unknown): readonly string[] {
  try {
    parseLatencyModel(document);
  } catch (error) {
    expect(error).toBeInstanceOf(LatencyModelError);
    return (error as LatencyModelError).problems;
  }
  throw new Error('the model was accepted');
}

describe('latency model file', () => {
  it('ships a valid model whose every figure cites a source', () => {
    const figures = [
      shipped.eventBridge.delivery,
      shipped.stepFunctions.express.transition,
      shipped.stepFunctions.standard.transition,
      shipped.stepFunctions.lambdaInvoke,
      shipped.lambda.runtimeInit,
      shipped.lambda.firstConnection,
      shipped.approval,
      ...Object.values(shipped.lambda.bundleInit),
      ...Object.values(shipped.api),
    ];
    for (const figure of figures) {
      expect(figure.source.length).toBeGreaterThan(20);
      if (figure.kind === 'published') expect(figure.source).toMatch(/https:\/\//);
    }
  });

  it('names the field of a p99 below its p50', () => {
    expect(problemsOf(changed(['eventBridge', 'delivery', 'p99Ms'], 10))).toEqual(['eventBridge.delivery.p99Ms: must be at least p50Ms (50)']);
  });

  it('names the field of a published figure without a URL', () => {
    expect(problemsOf(changed(['lambda', 'runtimeInit', 'source'], 'a blog post'))).toEqual(['lambda.runtimeInit.source: a published figure cites the URL of its measurement']);
  });

  it('names a missing figure, an unknown field and a bad API name', () => {
    expect(problemsOf(changed(['approval'], undefined))).toEqual([expect.stringMatching(/^approval: /)]);
    expect(problemsOf(changed(['lambda', 'coldStart'], 1))).toEqual([expect.stringMatching(/^lambda: .*coldStart/)]);
    const badApi = changed(['api', 'DescribeInstances'], shipped.api.default);
    expect(problemsOf(badApi)).toEqual([expect.stringMatching(/^api\.DescribeInstances: /)]);
  });

  it('needs default figures for APIs and bundles', () => {
    expect(problemsOf(changed(['api', 'default'], undefined))).toEqual(['api: needs a default figure (for APIs without their own)']);
    expect(problemsOf(changed(['lambda', 'bundleInit', 'default'], undefined))).toEqual(['lambda.bundleInit: needs a default figure (for responders without their own)']);
  });

  it('reads YAML files and says which file is invalid', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'firebreak-latency-'));
    const file = join(directory, 'model.yaml');
    await writeFile(file, 'eventBridge: {}\n');
    await expect(loadLatencyModel(file)).rejects.toThrow(new RegExp(`${file} is invalid:[\\s\\S]*eventBridge\\.delivery`));
    await expect(loadLatencyModel(join(directory, 'missing.yaml'))).rejects.toThrow(/cannot read the latency model/);
    expect(DEFAULT_LATENCY_MODEL_FILE).toMatch(/model\.json$/);
  });

  it('looks an API up by action, then service, then default; a bundle by responder, then default', () => {
    const model: LatencyModel = { ...shipped, lambda: { ...shipped.lambda, bundleInit: { ...shipped.lambda.bundleInit, triage: { p50Ms: 1, p99Ms: 2, kind: 'measured', source: 'test' } } } };
    expect(apiFigure(model, 'ec2:ModifyNetworkInterfaceAttribute')).toBe(model.api['ec2:ModifyNetworkInterfaceAttribute']);
    expect(apiFigure(model, 'ec2:DescribeInstances')).toBe(model.api['ec2:*']);
    expect(apiFigure(model, 'iam:PutRolePolicy')).toBe(model.api.default);
    expect(bundleInitFigure(model, 'triage').p50Ms).toBe(1);
    // Every shipped responder has its own figure, measured by npm run bench:bundles: a new
    // responder fails here until its bundle is measured and its figure added.
    const responders = readdirSync(resolve(import.meta.dirname, '../../../lambdas'), { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
    expect(responders.length).toBeGreaterThan(10);
    expect(responders.filter((responder) => bundleInitFigure(shipped, responder) === shipped.lambda.bundleInit.default)).toEqual([]);
    expect(bundleInitFigure(model, 'a-responder-without-a-figure')).toBe(model.lambda.bundleInit.default);
  });
});

describe('seeded sampling', () => {
  it('gives the same draws for the same seed and others for another seed', () => {
    const draws = (seed: string) => {
      const random = seededRandom(seed);
      return Array.from({ length: 5 }, () => random());
    };
    expect(draws('a')).toEqual(draws('a'));
    expect(draws('a')).not.toEqual(draws('b'));
  });

  it('draws around the median with the 99th percentile where the figure puts it', () => {
    const random = seededRandom('distribution');
    const values = Array.from({ length: 20_000 }, () => sampleFigure({ p50Ms: 100, p99Ms: 400 }, random));
    expect(percentile(values, 0.5)).toBeGreaterThan(95);
    expect(percentile(values, 0.5)).toBeLessThan(105);
    expect(percentile(values, 0.99)).toBeGreaterThan(360);
    expect(percentile(values, 0.99)).toBeLessThan(440);
    expect(sampleFigure({ p50Ms: 7, p99Ms: 7 }, random)).toBe(7);
  });
});
