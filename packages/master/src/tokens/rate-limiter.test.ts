import { describe, expect, it } from 'vitest';
import { JoinRateLimiter } from './rate-limiter';
import { TooManyAttemptsError } from './errors';
import { admitJoin, peerAddress } from './join-guard';
import { issueToken } from './redeem';
import { MemoryTokenStore } from './token-store';
import { TokenSecretMismatchError } from './errors';

function fakeClock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('JoinRateLimiter', () => {
  it('blocks an address after 5 failures within a minute and names the wait', () => {
    const clock = fakeClock();
    const limiter = new JoinRateLimiter({ clock });
    for (let i = 0; i < 5; i++) {
      limiter.check('192.168.1.50');
      limiter.recordFailure('192.168.1.50');
      clock.advance(1000);
    }
    // Failures at t0..t0+4 s; now t0+5 s: the first ages out at t0+60 s → 55 s to wait.
    expect(() => limiter.check('192.168.1.50')).toThrow(new TooManyAttemptsError('192.168.1.50', 55));
    expect(() => limiter.check('192.168.1.50')).toThrow('too many failed join attempts from 192.168.1.50; retry after 55 s');
    expect(() => limiter.check('192.168.1.51')).not.toThrow();
    clock.advance(54_999);
    expect(() => limiter.check('192.168.1.50')).toThrow('retry after 1 s');
    clock.advance(1);
    expect(() => limiter.check('192.168.1.50')).not.toThrow();
  });

  it('forgets an address after a successful join', () => {
    const clock = fakeClock();
    const limiter = new JoinRateLimiter({ clock, maxFailures: 2 });
    limiter.recordFailure('a');
    limiter.recordSuccess('a');
    limiter.recordFailure('a');
    expect(() => limiter.check('a')).not.toThrow();
  });

  it('keeps memory bounded by evicting the least recently failing address', () => {
    const clock = fakeClock();
    const limiter = new JoinRateLimiter({ clock, maxFailures: 1, maxAddresses: 2 });
    limiter.recordFailure('a');
    limiter.recordFailure('b');
    limiter.recordFailure('c');
    expect(() => limiter.check('a')).not.toThrow();
    expect(() => limiter.check('b')).toThrow(TooManyAttemptsError);
    expect(() => limiter.check('c')).toThrow(TooManyAttemptsError);
  });
});

describe('admitJoin', () => {
  it('counts wrong tokens per address, then refuses even a right token until the wait is over', async () => {
    const clock = fakeClock();
    const store = new MemoryTokenStore();
    const limiter = new JoinRateLimiter({ clock, maxFailures: 3 });
    const { token, record } = await issueToken(store, { now: clock.now() });
    const wrong = `${record.id}.${'0'.repeat(16)}`;
    const attempt = (t: string) => admitJoin(store, limiter, { peer: 'ipv4:192.168.1.50:40000', token: t, usage: 'node', now: clock.now() });
    for (let i = 0; i < 3; i++) await expect(attempt(wrong)).rejects.toBeInstanceOf(TokenSecretMismatchError);
    await expect(attempt(token)).rejects.toThrow('too many failed join attempts from 192.168.1.50; retry after 60 s');
    clock.advance(60_000);
    await expect(attempt(token)).resolves.toEqual(record);
  });
});

describe('peerAddress', () => {
  it.each([
    ['ipv4:192.168.1.50:40000', '192.168.1.50'],
    ['192.168.1.50:40000', '192.168.1.50'],
    ['ipv6:[::1]:40000', '::1'],
    ['[fe80::1]:5', 'fe80::1'],
    ['unix:/run/sock', 'unix:/run/sock'],
  ])('%s → %s', (peer, address) => {
    expect(peerAddress(peer)).toBe(address);
  });
});
