// Jest reads `testTimeout` only from the global config, so each project sets its own here.
// API and worker tests drive real PostgreSQL, Redis and api/worker processes on a loaded 2-core machine.
jest.setTimeout(30_000);
