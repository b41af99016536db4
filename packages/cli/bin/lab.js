#!/usr/bin/env node
// Launcher of the `lab` command. npm links this file at install time, before anything is built, so it
// only checks that the build exists and then hands over to dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('lab: @lab/cli is not built (dist/main.js is missing). Run `npm run build` in the repository root, then try again.\n');
  process.exit(1);
}
const { runCli } = await import(entry.href);
process.exitCode = await runCli(process.argv.slice(2));
