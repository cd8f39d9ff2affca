import { formatSearch, parseSearch } from './search-query';

describe('the search box', () => {
  it('turns qualifiers and text into query parameters', () => {
    expect(parseSearch('action:api_key.* actor:alice@acme.com ip:203.0.113.0/24 -outcome:success invoice "failed twice"')).toEqual({
      params: { action: ['api_key.*'], actor_email: 'alice@acme.com', ip: '203.0.113.0/24', outcome_not: 'success', q: 'invoice failed twice' },
      errors: [],
    });
    expect(parseSearch('actor:u_42 target:project:p_7 category:members category:api_keys').params).toEqual({
      actor_id: 'u_42',
      target_type: 'project',
      target_id: 'p_7',
      category: ['members', 'api_keys'],
    });
    expect(parseSearch('actor:"Alice Smith"').params).toEqual({ actor_id: 'Alice Smith' });
    expect(parseSearch('   ').params).toEqual({});
    expect(parseSearch('source:platform key:0190c0de-0000-7000-8000-000000000000').params).toEqual({ source: 'platform', api_key_id: '0190c0de-0000-7000-8000-000000000000' });
  });

  it('says which words it could not use', () => {
    expect(parseSearch('color:blue -action:x.y')).toEqual({ params: { q: 'color:blue' }, errors: ['-action: only -outcome: can be excluded'] });
    expect(parseSearch('https://example.com/path').params).toEqual({ q: 'https://example.com/path' });
  });

  it('writes parameters back as the same search', () => {
    const text = 'action:api_key.* action:member.invited actor:alice@acme.com ip:10.0.0.0/8 target:project:p_7 -outcome:success source:api key:k1 hello world';
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(parseSearch(text).params)) for (const x of Array.isArray(v) ? v : [v]) params.append(k, x);
    expect(formatSearch(params)).toBe(text);
  });
});
