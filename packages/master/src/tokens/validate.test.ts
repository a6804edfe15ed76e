import { describe, expect, it } from 'vitest';
import { createToken, type TokenRecord } from './token-record';
import { validateToken } from './validate';
import {
  TokenError,
  TokenExpiredError,
  TokenFormatError,
  TokenNotFoundError,
  TokenSecretMismatchError,
  TokenUsageError,
  TokenUsedUpError,
} from './errors';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const HOUR = 3_600_000;
const random = () => {
  let n = 0;
  return (size: number) => Uint8Array.from({ length: size }, () => n++ % 36);
};
const { token, record } = createToken({ now: NOW, ttlMs: HOUR, uses: 2, random: random(), description: 'pi nodes' });
const id = record.id;
const wrongSecret = `${id}.${'z'.repeat(16)}`;

describe('createToken', () => {
  it('stores only the hash, with the requested usages, expiry and uses', () => {
    expect(token).toBe('abcdef.ghijklmnopqrstuv');
    expect(record).toEqual({
      id: 'abcdef',
      secretHash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      usages: ['node'],
      expires: NOW + HOUR,
      remainingUses: 2,
      description: 'pi nodes',
      createdAt: NOW,
    });
    expect(JSON.stringify(record)).not.toContain(token.split('.')[1]);
  });

  it.each([
    ['zero uses', { uses: 0 }, 'token usages must be a positive whole number, got 0'],
    ['a negative ttl', { ttlMs: -1 }, 'token ttl must be positive, got -1'],
    ['an unknown usage', { usages: ['admin'] as never }, 'token usages must be "node" and/or "master"'],
  ])('refuses %s', (_name, opts, message) => {
    expect(() => createToken({ now: NOW, ...opts })).toThrow(message);
  });

  it('defaults to a 24 h node token with unlimited uses; ttl null never expires', () => {
    expect(createToken({ now: NOW }).record).toMatchObject({ usages: ['node'], expires: NOW + 24 * HOUR, remainingUses: null });
    expect(createToken({ now: NOW, ttlMs: null }).record.expires).toBeNull();
  });
});

describe('validateToken', () => {
  const cases: Array<[string, string, TokenRecord | undefined, number, 'node' | 'master', new (...a: never[]) => TokenError, string]> = [
    ['a malformed token', 'nope', record, NOW, 'node', TokenFormatError, 'token must look like'],
    ['a deleted token', token, undefined, NOW, 'node', TokenNotFoundError, `token ${id} is unknown or was deleted (expired tokens are removed); create a new one with: orchard token create`],
    ['a wrong secret', wrongSecret, record, NOW, 'node', TokenSecretMismatchError, `token ${id}: the secret part is wrong; copy the whole ID.SECRET value printed by orchard token create`],
    ['a wrong secret on an expired token (the secret is checked first)', wrongSecret, record, NOW + 2 * HOUR, 'node', TokenSecretMismatchError, 'the secret part is wrong'],
    ['an expired token', token, record, NOW + HOUR, 'node', TokenExpiredError, `token ${id} has expired (at 2026-03-01T13:00:00.000Z); create a new one with: orchard token create`],
    ['a used-up token', token, { ...record, remainingUses: 0 }, NOW, 'node', TokenUsedUpError, `token ${id} has been used up (no uses left); create a new one with: orchard token create --usages N`],
    ['a node token used to join a master', token, record, NOW, 'master', TokenUsageError, `token ${id} may join nodes, not masters; create a master token with: orchard token create --master`],
    ['a master token used to join a node', token, { ...record, usages: ['master'] }, NOW, 'node', TokenUsageError, `token ${id} may join masters, not nodes; create a node token with: orchard token create`],
  ];
  it.each(cases)('refuses %s', (_name, presented, rec, now, usage, type, message) => {
    const err = (() => {
      try {
        validateToken(presented, rec, now, usage);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(type);
    expect(err!.message).toContain(message);
    expect(err!.message).not.toContain(token.split('.')[1]);
  });

  it.each([
    ['a fresh token', record, NOW],
    ['one millisecond before expiry', record, NOW + HOUR - 1],
    ['a token that never expires', { ...record, expires: null }, NOW + 1000 * HOUR],
    ['a token with unlimited uses', { ...record, remainingUses: null }, NOW],
  ])('accepts %s', (_name, rec, now) => {
    expect(validateToken(token, rec, now, 'node')).toBe(rec);
  });
});
