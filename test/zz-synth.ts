import { writeFileSync } from 'node:fs';
import { buildFirebreakApp, SKIP_BUNDLING_CONTEXT } from '../lib/stack/app';
const ctx = JSON.parse(process.argv[2] ?? '{}');
const { app, stack, memberRole } = await buildFirebreakApp({ context: { ...SKIP_BUNDLING_CONTEXT, ...ctx }, nag: false, cfnValidation: false, outdir: '/tmp/a/out' });
const asm = app.synth();
writeFileSync('/tmp/a/firebreak.json', JSON.stringify(asm.getStackArtifact(stack.artifactId).template, null, 1));
if (memberRole) writeFileSync('/tmp/a/member.json', JSON.stringify(asm.getStackArtifact(memberRole.artifactId).template, null, 1));
