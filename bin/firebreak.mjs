#!/usr/bin/env node
// `firebreak` command: runs the TypeScript CLI through tsx so a clone needs no build step.
// The polyfill is imported after register(): before it, Node cannot load a .ts file.
import { register } from 'tsx/esm/api';

register();
await import('../lib/polyfills.ts');
await import('./firebreak.ts');
