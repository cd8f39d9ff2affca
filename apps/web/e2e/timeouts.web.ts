// Jest reads `testTimeout` only from the global config, so each project sets its own here.
// Browser tests start the API, the worker and Chromium.
jest.setTimeout(90_000);
