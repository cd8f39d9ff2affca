import { schedules, SCHEDULERS } from './index';

describe('the recurring jobs', () => {
  const on = { RETENTION_CRON: '0 4 * * *', INTEGRITY_ENABLED: true, INTEGRITY_SEAL_MS: 5000, FORWARDING_ENABLED: true, FORWARDING_TICK_MS: 1000 };
  it('declares every scheduler once, each on a queue with a job', () => {
    const list = schedules(on);
    expect(list.map((s) => s.id).sort()).toEqual(Object.values(SCHEDULERS).sort());
    expect(list.find((s) => s.id === SCHEDULERS.retention)?.repeat).toEqual({ pattern: '0 4 * * *', tz: 'UTC' });
    expect(list.find((s) => s.id === SCHEDULERS.forwarding)?.repeat).toEqual({ every: 1000 });
  });
  it('removes what is switched off, and keeps the maintenance jobs regardless', () => {
    const off = schedules({ ...on, RETENTION_CRON: 'off', INTEGRITY_ENABLED: false, FORWARDING_ENABLED: false });
    expect(off.filter((s) => s.repeat === null).map((s) => s.id).sort()).toEqual([SCHEDULERS.forwarding, SCHEDULERS.integrity, SCHEDULERS.retention].sort());
    expect(off.filter((s) => s.repeat !== null).map((s) => s.id).sort()).toEqual([SCHEDULERS.exportSweep, SCHEDULERS.partitions].sort());
  });
});
