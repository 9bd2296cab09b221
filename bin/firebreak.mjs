#!/usr/bin/env node
// `firebreak` command: runs the TypeScript CLI through tsx so a clone needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('./firebreak.ts');
