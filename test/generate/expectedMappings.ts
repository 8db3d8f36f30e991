/** The mapping a String gets with default options: folded text, exact and case-insensitive keyword forms. */
export const STRING = {
  type: 'text',
  analyzer: 'fedsearch_folded',
  fields: {
    keyword: { type: 'keyword', ignore_above: 256 },
    lowercase: { type: 'keyword', normalizer: 'fedsearch_lowercase', ignore_above: 256 },
  },
};
