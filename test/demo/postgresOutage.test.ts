import { describe, expect, it } from 'vitest';
import { isDatabaseOutage, readThroughOutage } from '../../subgraphs/shared/postgresOutage.ts';

describe('a demo team riding out its database restarting', () => {
  it('tells a database away from a query that is wrong', () => {
    expect(isDatabaseOutage({ code: '57P03', message: 'the database system is shutting down' })).toBe(true);
    expect(isDatabaseOutage({ code: '57P01', message: 'terminating connection due to administrator command' })).toBe(true);
    expect(isDatabaseOutage({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:55432' })).toBe(true);
    expect(isDatabaseOutage(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseOutage({ code: '42P01', message: 'relation "movies" does not exist' })).toBe(false);
    expect(isDatabaseOutage({ code: '23505', message: 'duplicate key value violates unique constraint' })).toBe(false);
    expect(isDatabaseOutage('a string')).toBe(false);
  });

  it('reads again while the database is away, and gives up on any other error at once', async () => {
    let calls = 0;
    const value = await readThroughOutage(async () => {
      calls += 1;
      if (calls < 3) throw Object.assign(new Error('the database system is starting up'), { code: '57P03' });
      return 'rows';
    }, 5_000);
    expect(value).toBe('rows');
    expect(calls).toBe(3);

    let wrongCalls = 0;
    const wrong = readThroughOutage(async () => {
      wrongCalls += 1;
      throw Object.assign(new Error('syntax error'), { code: '42601' });
    }, 5_000);
    await expect(wrong).rejects.toThrow('syntax error');
    expect(wrongCalls).toBe(1);
  });

  it('lets the outage through once its patience is spent', async () => {
    const away = readThroughOutage(async () => {
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    }, 300);
    await expect(away).rejects.toThrow('ECONNREFUSED');
  });
});
