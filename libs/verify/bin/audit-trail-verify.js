#!/usr/bin/env node
// Launcher. In the repository the command is built from src/cli.ts by tsc
// (dist/cli.js); the published package carries one bundled file with no
// dependencies (dist/cli.cjs, made by scripts/pack-verify.mjs).
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const built = join(__dirname, '../dist/cli.js');
const cli = existsSync(built) ? require(built) : require('../dist/cli.cjs');
if (require.main === module) process.exit(cli.main(process.argv.slice(2)));
module.exports = cli;
