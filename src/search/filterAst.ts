/** A filter expression as parsed; `column` is 1-based within the filter text. */
export type FilterNode =
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode; column: number }
  | { kind: 'not'; operand: FilterNode; column: number }
  | { kind: 'group'; inner: FilterNode; column: number }
  | { kind: 'compare'; path: string; op: '==' | '!=' | '<' | '<=' | '>' | '>='; value: Literal; column: number; length: number }
  | { kind: 'in'; path: string; values: Literal[]; column: number; length: number }
  | { kind: 'contains'; path: string; value: Literal; column: number; length: number }
  | { kind: 'exists'; path: string; negated: boolean; column: number; length: number };

export interface Literal {
  type: 'string' | 'number' | 'boolean';
  value: string | number | boolean;
  column: number;
  /** Characters it takes in the filter text (quotes included). */
  length: number;
}
