// Imported first by exports.e2e-spec.ts: the export processor reads its lock
// duration when its module loads, and every worker sharing a queue must agree
// on it (one worker's stalled-check key holds back the others' checks).
process.env.EXPORT_LOCK_MS = '2000';
