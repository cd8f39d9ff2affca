import { inlineParams } from './exports.repository';

describe('the export read', () => {
  it('inlines COPY parameters as literals, and refuses what it cannot write safely', () => {
    expect(inlineParams('a = $1 AND b = ANY($2::text[]) AND c < $3', ["it's", ['x', 'y\\z'], 5])).toBe("a = 'it''s' AND b = ANY(ARRAY['x',  E'y\\\\z']::text[]) AND c < 5");
    expect(() => inlineParams('a = $1', [{}])).toThrow(/cannot inline/);
    expect(() => inlineParams('a = $1', [Number.NaN])).toThrow(/cannot inline/);
  });
});
