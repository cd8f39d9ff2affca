import { inViewerSlice, viewerOriginAllowed, viewerTokenRequestSchema } from './viewer';

const entry = { workspace_id: 'w1', action: 'project.renamed', actor_id: 'u_1', target_type: 'project', target_id: 'p_1' };

describe('viewer slices', () => {
  it('hold an entry only when every field the slice names matches, in the slice’s own log', () => {
    expect(inViewerSlice(entry, { workspaceId: 'w1', slice: {} })).toBe(true);
    expect(inViewerSlice(entry, { workspaceId: null, slice: {} })).toBe(false);
    expect(inViewerSlice(entry, { workspaceId: 'w1', slice: { target_type: 'project', target_id: 'p_1', actor_id: 'u_1' } })).toBe(true);
    expect(inViewerSlice(entry, { workspaceId: 'w1', slice: { target_type: 'project', target_id: 'p_2' } })).toBe(false);
    expect(inViewerSlice(entry, { workspaceId: 'w1', slice: { actor_id: 'u_2' } })).toBe(false);
    expect(inViewerSlice(entry, { workspaceId: 'w1', slice: { actions: ['project.*'] } })).toBe(true);
    expect(inViewerSlice(entry, { workspaceId: 'w1', slice: { actions: ['project.deleted', 'doc.*'] } })).toBe(false);
    // A null field never matches a slice that names one.
    expect(inViewerSlice({ ...entry, target_id: null }, { workspaceId: 'w1', slice: { target_id: 'p_1' } })).toBe(false);
  });

  it('let browsers read only from listed origins (and the API’s own); a server sends no Origin', () => {
    expect(viewerOriginAllowed({ origins: ['https://app.example.com'] }, 'https://app.example.com', [])).toBe(true);
    expect(viewerOriginAllowed({ origins: ['https://app.example.com'] }, 'https://evil.example.com', [])).toBe(false);
    expect(viewerOriginAllowed({ origins: [] }, 'https://audit.example.com', ['https://audit.example.com'])).toBe(true);
    expect(viewerOriginAllowed({ origins: [] }, undefined, [])).toBe(true);
  });

  it('take origins as bare origins, and cap the lifetime at an hour', () => {
    const ok = viewerTokenRequestSchema.parse({ viewer: { id: 'c' }, origins: ['https://app.example.com', 'http://127.0.0.1:5173'] });
    expect(ok).toMatchObject({ scope: 'account', ttl_seconds: 900, filter: {}, origins: ['https://app.example.com', 'http://127.0.0.1:5173'] });
    expect(viewerTokenRequestSchema.parse({ viewer: { id: 'c' }, origins: ['https://app.example.com/'] }).origins).toEqual(['https://app.example.com']);
    for (const origin of ['https://app.example.com/x', 'ftp://x.example.com', 'app.example.com', 'https://user@app.example.com']) {
      expect(viewerTokenRequestSchema.safeParse({ viewer: { id: 'c' }, origins: [origin] }).success).toBe(false);
    }
    expect(viewerTokenRequestSchema.safeParse({ viewer: { id: 'c' }, ttl_seconds: 3601 }).success).toBe(false);
  });
});
