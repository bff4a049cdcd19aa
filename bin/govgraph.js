#!/usr/bin/env node
'use strict';
// The CLI is compiled TypeScript (type-graphql needs decorator metadata that tsx/esbuild drop).
require('../dist/src/cli/main.js').main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`govgraph: ${err instanceof Error ? err.message : String(err)}\n`); process.exitCode = 1; },
);
