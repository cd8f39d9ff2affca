import { diffChanges } from './diff';

describe('the diff view', () => {
  it('compares field by field, walking nested objects', () => {
    expect(diffChanges({ host: 'old.org', port: 25, tls: true, address: { city: 'Oslo', zip: '0150' } }, { host: 'new.org', tls: true, user: 'a', address: { city: 'Bergen', zip: '0150' } })).toEqual([
      { path: 'address.city', status: 'changed', before: 'Oslo', after: 'Bergen' },
      { path: 'address.zip', status: 'unchanged', before: '0150', after: '0150' },
      { path: 'host', status: 'changed', before: 'old.org', after: 'new.org' },
      { path: 'port', status: 'removed', before: '25' },
      { path: 'tls', status: 'unchanged', before: 'true', after: 'true' },
      { path: 'user', status: 'added', after: 'a' },
    ]);
    expect(diffChanges(null, { a: [1, 2] })).toEqual([{ path: 'a', status: 'added', after: '[1,2]' }]);
  });
});
