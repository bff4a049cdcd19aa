#!/usr/bin/env node
'use strict';
// `prisma generate` needs no schema engine, but the CLI looks for one and would try to download it
// (no machine of this project can reach that host). Pointing it at any existing file skips the download.
const { spawnSync } = require('node:child_process');
const env = { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || process.execPath, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' };
const r = spawnSync(process.execPath, [require.resolve('prisma/build/index.js'), 'generate', '--schema', 'prisma/schema.prisma'], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
