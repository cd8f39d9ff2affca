import { escapeLiteral as pgEscape } from 'pg';
import { beginTenantSql, escapeLiteral } from './database';

describe('escapeLiteral', () => {
  it('matches pg for quotes, backslashes and JSON', () => {
    const samples = ["plain", "it's", 'back\\slash', "both ' and \\", JSON.stringify({ a: "x'y", b: 'c\\"d', n: '\u0001\n' }), '', "''\\\\''"];
    for (const s of samples) expect(escapeLiteral(s)).toBe(pgEscape(s));
  });
});

describe('beginTenantSql', () => {
  it('refuses anything but a uuid', () => {
    expect(() => beginTenantSql("x'; DROP TABLE accounts; --")).toThrow();
    expect(beginTenantSql('01a204a3-4625-779d-ade2-86f08b3aa060')).toContain("'01a204a3-4625-779d-ade2-86f08b3aa060'");
  });

  it('opens the transaction the options ask for, and checks a snapshot id before writing it', () => {
    const id = '01a204a3-4625-779d-ade2-86f08b3aa060';
    expect(beginTenantSql(id)).toMatch(/^BEGIN; SELECT set_config/);
    expect(beginTenantSql(id, undefined, { isolation: 'repeatable read', readOnly: true })).toMatch(/^BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT/);
    expect(beginTenantSql(id, undefined, { snapshot: '00000003-0000001B-1', readOnly: true })).toMatch(
      /^BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '00000003-0000001B-1'; SELECT/,
    );
    expect(() => beginTenantSql(id, undefined, { snapshot: "x'; DROP TABLE accounts; --" })).toThrow(/snapshot/);
  });
});
