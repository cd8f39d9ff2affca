// Jest reads `testTimeout` only from the global config, so each project sets its own here.
// Browser tests start the API, the worker and Chromium.
jest.setTimeout(90_000);

// Every test ends with a screenshot of each page it left open (see browser.ts).
afterEach(async () => {
  const { screenshotOpenPages } = await import('./browser');
  await screenshotOpenPages();
});
