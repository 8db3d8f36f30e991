import { createToken, EmbeddedActionsParser, Lexer, type IToken, type TokenType } from 'chevrotain';
import type { FilterNode, Literal } from './filterAst.ts';
import { FilterError } from './filterError.ts';
import { didYouMean } from '../suggestions.ts';

/**
 * Elasticsearch refuses a query whose query objects nest deeper than this (every bool, nested and
 * leaf query counts one); past it, it answers with a vague 400.
 */
export const ELASTICSEARCH_MAX_QUERY_DEPTH = 30;

export const FILTER_LIMITS = {
  maxLength: 4_000,
  /** Levels of the compiled filter: Elasticsearch's limit less the bool the search body puts the filter in (see searchBody). */
  maxDepth: ELASTICSEARCH_MAX_QUERY_DEPTH - 1,
  maxConditions: 200,
  maxInValues: 1_000,
} as const;

/** What a filter nested past FILTER_LIMITS.maxDepth is told, by the parser or by compileFilter. */
export const TOO_DEEP = `the filter nests deeper than ${FILTER_LIMITS.maxDepth} levels, the most Elasticsearch takes (each NOT, !=, NOT EXISTS, parenthesised AND/OR and nested field is one)`;

const Path = createToken({ name: 'Path', pattern: /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/ });
const keyword = (name: string, word: string): TokenType =>
  createToken({ name, pattern: new RegExp(`${word}(?![A-Za-z0-9_.])`, 'i'), longer_alt: Path });
const And = keyword('And', 'AND');
const Or = keyword('Or', 'OR');
const Not = keyword('Not', 'NOT');
const In = keyword('In', 'IN');
const Contains = keyword('Contains', 'CONTAINS');
const Exists = keyword('Exists', 'EXISTS');
const True = keyword('True', 'true');
const False = keyword('False', 'false');
const StringLiteral = createToken({ name: 'StringLiteral', pattern: /"(?:[^"\\]|\\.)*"/ });
const NumberLiteral = createToken({ name: 'NumberLiteral', pattern: /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/ });
const Eq = createToken({ name: 'Eq', pattern: /==/ });
const Neq = createToken({ name: 'Neq', pattern: /!=/ });
const Lte = createToken({ name: 'Lte', pattern: /<=/ });
const Gte = createToken({ name: 'Gte', pattern: />=/ });
const Lt = createToken({ name: 'Lt', pattern: /</ });
const Gt = createToken({ name: 'Gt', pattern: />/ });
const LParen = createToken({ name: 'LParen', pattern: /\(/ });
const RParen = createToken({ name: 'RParen', pattern: /\)/ });
const LBracket = createToken({ name: 'LBracket', pattern: /\[/ });
const RBracket = createToken({ name: 'RBracket', pattern: /]/ });
const Comma = createToken({ name: 'Comma', pattern: /,/ });
const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /\s+/, group: Lexer.SKIPPED });

const allTokens = [
  WhiteSpace, StringLiteral, NumberLiteral, Eq, Neq, Lte, Gte, Lt, Gt, LParen, RParen, LBracket, RBracket, Comma,
  And, Or, Not, In, Contains, Exists, True, False, Path,
];
const filterLexer = new Lexer(allTokens, { positionTracking: 'onlyOffset', ensureOptimizations: false });

/** What people call each token in error messages. */
const SPOKEN: Record<string, string> = {
  Path: 'a field name', StringLiteral: 'a string', NumberLiteral: 'a number', Eq: '==', Neq: '!=', Lte: '<=', Gte: '>=',
  Lt: '<', Gt: '>', LParen: '(', RParen: ')', LBracket: '[', RBracket: ']', Comma: ',', And: 'AND', Or: 'OR', Not: 'NOT',
  In: 'IN', Contains: 'CONTAINS', Exists: 'EXISTS', True: 'true', False: 'false',
};

class FilterParser extends EmbeddedActionsParser {
  constructor() {
    super(allTokens, { maxLookahead: 3 });
    this.performSelfAnalysis();
  }

  readonly orExpression = this.RULE('orExpression', (): FilterNode => {
    let left = this.SUBRULE(this.andExpression);
    this.MANY(() => {
      const operator = this.CONSUME(Or);
      const right = this.SUBRULE2(this.andExpression);
      left = { kind: 'or', left, right, column: operator.startOffset + 1 };
    });
    return left;
  });

  private readonly andExpression = this.RULE('andExpression', (): FilterNode => {
    let left = this.SUBRULE(this.notExpression);
    this.MANY(() => {
      const operator = this.CONSUME(And);
      const right = this.SUBRULE2(this.notExpression);
      left = { kind: 'and', left, right, column: operator.startOffset + 1 };
    });
    return left;
  });

  private readonly notExpression = this.RULE('notExpression', (): FilterNode =>
    this.OR([
      {
        ALT: () => {
          const not = this.CONSUME(Not);
          return { kind: 'not', operand: this.SUBRULE(this.notExpression), column: not.startOffset + 1 };
        },
      },
      { ALT: () => this.SUBRULE(this.primary) },
    ]),
  );

  private readonly primary = this.RULE('primary', (): FilterNode =>
    this.OR([
      {
        ALT: () => {
          const open = this.CONSUME(LParen);
          const inner = this.SUBRULE(this.orExpression);
          this.CONSUME(RParen);
          return { kind: 'group', inner, column: open.startOffset + 1 };
        },
      },
      { ALT: () => this.SUBRULE(this.condition) },
    ]),
  );

  private readonly condition = this.RULE('condition', (): FilterNode => {
    const path = this.CONSUME(Path);
    const at = { path: path.image, column: path.startOffset + 1, length: path.image.length };
    return this.OR([
      {
        ALT: () => {
          const op = this.OR2([
            { ALT: () => this.CONSUME(Eq) }, { ALT: () => this.CONSUME(Neq) }, { ALT: () => this.CONSUME(Lte) },
            { ALT: () => this.CONSUME(Gte) }, { ALT: () => this.CONSUME(Lt) }, { ALT: () => this.CONSUME(Gt) },
          ]);
          const value = this.SUBRULE(this.literal);
          return { kind: 'compare', op: op.image as '==', value, ...at };
        },
      },
      {
        ALT: () => {
          this.CONSUME(In);
          this.CONSUME(LBracket);
          const values: Literal[] = [];
          this.MANY_SEP({ SEP: Comma, DEF: () => values.push(this.SUBRULE2(this.literal)) });
          this.CONSUME(RBracket);
          return { kind: 'in', values, ...at };
        },
      },
      {
        ALT: () => {
          this.CONSUME(Contains);
          return { kind: 'contains', value: this.SUBRULE3(this.literal), ...at };
        },
      },
      { ALT: () => (this.CONSUME(Exists), { kind: 'exists', negated: false, ...at }) },
      { ALT: () => (this.CONSUME2(Not), this.CONSUME2(Exists), { kind: 'exists', negated: true, ...at }) },
    ]);
  });

  private readonly literal = this.RULE('literal', (): Literal =>
    this.OR([
      {
        ALT: () => {
          const token = this.CONSUME(StringLiteral);
          // ACTION: runs only when parsing, not while Chevrotain records the grammar.
          return this.ACTION(() => ({ type: 'string' as const, value: unquote(token), column: token.startOffset + 1, length: token.image.length }));
        },
      },
      {
        ALT: () => {
          const token = this.CONSUME(NumberLiteral);
          return this.ACTION(() => ({ type: 'number' as const, value: representableNumber(token), column: token.startOffset + 1, length: token.image.length }));
        },
      },
      { ALT: () => ({ type: 'boolean', value: true, column: this.CONSUME(True).startOffset + 1, length: 4 }) },
      { ALT: () => ({ type: 'boolean', value: false, column: this.CONSUME(False).startOffset + 1, length: 5 }) },
    ]),
  );
}

const parser = new FilterParser();

/** Parses a filter; every problem is a FilterError with the column it is at. */
export function parseFilter(text: string): FilterNode {
  if (text.length > FILTER_LIMITS.maxLength) {
    throw new FilterError(`the filter is ${text.length} characters long; at most ${FILTER_LIMITS.maxLength} are allowed`, FILTER_LIMITS.maxLength + 1);
  }
  const lexed = filterLexer.tokenize(text);
  const lexError = lexed.errors[0];
  if (lexError) {
    const snippet = text.slice(lexError.offset, lexError.offset + 10);
    throw new FilterError(
      snippet.startsWith('"') ? `unterminated string at column ${lexError.offset + 1}` : `unexpected "${snippet.split(/\s/)[0]}" at column ${lexError.offset + 1}`,
      lexError.offset + 1,
    );
  }
  if (lexed.tokens.length === 0) throw new FilterError('the filter is empty', 1);
  checkNesting(lexed.tokens);
  parser.input = lexed.tokens;
  const tree = parser.orExpression();
  const parseError = parser.errors[0];
  if (parseError) throw toFilterError(parseError.token, parseError.name, parser.errors[0]?.message ?? '', text);
  let conditions = 0;
  const count = (node: FilterNode): void => {
    if (node.kind === 'and' || node.kind === 'or') (count(node.left), count(node.right));
    else if (node.kind === 'not') count(node.operand);
    else if (node.kind === 'group') count(node.inner);
    else if (++conditions > FILTER_LIMITS.maxConditions) {
      throw new FilterError(`the filter has more than ${FILTER_LIMITS.maxConditions} conditions`, node.column);
    }
    if (node.kind === 'in' && node.values.length > FILTER_LIMITS.maxInValues) {
      throw new FilterError(`IN takes at most ${FILTER_LIMITS.maxInValues} values`, node.column, node.length);
    }
  };
  count(tree);
  return tree;
}

/**
 * How deep the parser would recurse, before it does: one level per open parenthesis and per NOT
 * still waiting for its operand. A NOT's level ends with its operand — a condition, or a
 * parenthesised group — so `NOT a EXISTS AND NOT b EXISTS AND …` stays shallow however long it is.
 */
function checkNesting(tokens: IToken[]): void {
  const notsBeforeGroup: number[] = [];
  let pendingNots = 0;
  for (const token of tokens) {
    if (token.tokenType === Not) pendingNots++;
    else if (token.tokenType === LParen) {
      notsBeforeGroup.push(pendingNots);
      pendingNots = 0;
    } else if (token.tokenType === RParen) {
      notsBeforeGroup.pop();
      pendingNots = 0;
    } else if (token.tokenType === Path) pendingNots = 0;
    const depth = notsBeforeGroup.length + notsBeforeGroup.reduce((sum, nots) => sum + nots, 0) + pendingNots;
    if (depth > FILTER_LIMITS.maxDepth) throw new FilterError(TOO_DEEP, token.startOffset + 1, token.image.length);
  }
}

function toFilterError(token: IToken, kind: string, message: string, text: string): FilterError {
  const atEnd = token.tokenType.name === 'EOF' || Number.isNaN(token.startOffset);
  const column = atEnd ? text.length + 1 : token.startOffset + 1;
  const found = atEnd ? 'the end of the filter' : `"${token.image}"`;
  // Chevrotain names the token types it expected before "but found"; say them as people write them.
  const expected = message.split('but found')[0] ?? '';
  const names = [...new Set((expected.match(/[A-Za-z]+/g) ?? []).map((word) => SPOKEN[word]).filter(Boolean))];
  const wanted = kind === 'NotAllInputParsedException' ? 'AND, OR or the end of the filter' : names.slice(0, 6).join(', ') || 'something else';
  // `genres == comedy`: a bare word where a value goes is almost always a string left unquoted.
  const quoted = !atEnd && token.tokenType.name === 'Path' && names.includes(SPOKEN.StringLiteral as string) ? JSON.stringify(token.image) : undefined;
  return new FilterError(
    `expected ${wanted} at column ${column}, found ${found}${didYouMean(quoted === undefined ? [] : [quoted])}`,
    column,
    atEnd ? 1 : token.image.length,
    quoted,
  );
}

/** A string literal's text; a bad escape or a raw line break is the user's mistake, at its column. */
function unquote(token: IToken): string {
  try {
    return JSON.parse(token.image.replace(/\\(?!["\\/bfnrtu])/g, '\\\\')) as string;
  } catch {
    throw new FilterError(
      `the string at column ${token.startOffset + 1} is not valid: a \\u escape needs four hex digits, and a line break must be written \\n`,
      token.startOffset + 1,
      token.image.length,
    );
  }
}

/**
 * A number literal's value. One a double cannot hold is refused, not changed: too large (1e999
 * would become Infinity, then null in JSON) or too small (1e-99999 would become 0, so
 * `rating > 1e-99999` would quietly mean `rating > 0`).
 */
function representableNumber(token: IToken): number {
  const value = Number(token.image);
  const at = (problem: string): FilterError =>
    new FilterError(`the number ${token.image} at column ${token.startOffset + 1} is ${problem}`, token.startOffset + 1, token.image.length);
  if (!Number.isFinite(value)) throw at('too large');
  const mantissa = token.image.split(/[eE]/)[0] ?? '';
  if (value === 0 && /[1-9]/.test(mantissa)) throw at('too small to tell from 0');
  return value;
}
