import { InvalidArgumentError } from 'commander';
import { durationSeconds } from '../src/duration.ts';

/** A `<duration>` option's value (30s, 15m, 2h, 1d) in seconds, or commander's usage error. */
export function durationArgument(text: string): number {
  const value = durationSeconds(text);
  if (value === null) throw new InvalidArgumentError('expected a duration such as 30s, 15m, 2h or 1d');
  return value;
}
