import { formatLsn, parseLsn, replicaName } from './replicas';

describe('WAL positions', () => {
  it('reads pg_lsn text as bytes and writes it back', () => {
    expect(parseLsn('0/0')).toBe(0n);
    expect(parseLsn('0/16B3748')).toBe(0x16b3748n);
    expect(parseLsn('16/B374D848')).toBe((0x16n << 32n) + 0xb374d848n);
    for (const t of ['0/1', '1/0', 'FFFFFFFF/FFFFFFFF', '16/B374D848']) expect(formatLsn(parseLsn(t) as bigint)).toBe(t);
  });

  it('orders positions across the 32-bit boundary', () => {
    expect((parseLsn('1/0') as bigint) > (parseLsn('0/FFFFFFFF') as bigint)).toBe(true);
  });

  it('refuses what is not a position', () => {
    for (const t of [null, undefined, '', '16', '16/', 'x/1', '1/2/3']) expect(parseLsn(t)).toBeNull();
  });

  it('names a replica without its password', () => {
    expect(replicaName('postgres://audit_app:secret@db-replica:6543/audit_trail')).toBe('db-replica:6543/audit_trail');
    expect(replicaName('postgres://u@h/db')).toBe('h:5432/db');
  });
});
