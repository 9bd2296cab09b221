// Types of lint/layers.js for the TypeScript test that proves its rules fire (test/lint/layers.test.ts).
import type { ESLint, Linter } from 'eslint';

export interface Layer {
  readonly name: string;
  readonly folders: readonly string[];
}
export declare const LAYERS: readonly Layer[];
export declare function layerZones(): { target: string[]; from: string[]; message: string }[];
export declare const firebreakPlugin: ESLint.Plugin;
export declare function layersConfig(options?: { files?: string[]; root?: string }): Linter.Config;
