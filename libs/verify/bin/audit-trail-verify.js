#!/usr/bin/env node
// Launcher: the command is built from src/cli.ts (npm run build, or npm test / npm start).
process.exit(require('../dist/cli.js').main(process.argv.slice(2)));
