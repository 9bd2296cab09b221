/**
 * The zod of every module a responder Lambda bundles: `zod/mini`, whose functions tree-shake to the
 * checks a schema uses (about 20 KB in a bundle), where classic zod's chainable methods keep about
 * 90 KB of zod in every bundle that imports it. Import it as `import * as z from '../contracts/zod-mini'`
 * (never `import { z }`, which keeps all of it).
 *
 * Classic zod loads its English messages by itself; mini does not, and without them every issue
 * would read "Invalid input". Configuring them here keeps the responders' error messages word for
 * word what they were with classic zod. Build-time code (the playbook validator, the stack, the game
 * day) keeps classic `zod` and may embed these schemas: both are zod core schemas.
 * docs/architecture.md, "Lean Lambda bundles", says which modules use which.
 */
import { config } from 'zod/mini';
import { en } from 'zod/locales';

config(en());

export * from 'zod/mini';
