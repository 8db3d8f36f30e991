import { InvalidArgumentError } from 'commander';

/** A whole number ≥ 0 (ids, seconds, a port) as an option's value. */
export function count(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new InvalidArgumentError('expected a whole number');
  return value;
}
