import { X509Certificate } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { createCA } from './ca';
import type { CertifiedKey } from './certified-key';
import { CsrRefusedError, NameTakenError } from './errors';
import { identityFromCert } from './identity';
import { renewNodeCertificate, requestedName, signJoinRequest, type JoinSignerDeps } from './join-signer';
import { makeCsr } from './test-helpers';
import { issueToken } from '../tokens/redeem';
import { JoinRateLimiter } from '../tokens/rate-limiter';
import { MemoryTokenStore } from '../tokens/token-store';
import { TokenSecretMismatchError, TokenUsageError, TokenUsedUpError, TooManyAttemptsError } from '../tokens/errors';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const PEER = 'ipv4:192.168.1.21:50412';
const nodeCsr = (name: string) => makeCsr([{ CN: [`system:node:${name}`] }, { O: ['orchard:nodes'] }]);

let ca: CertifiedKey;
let deps: JoinSignerDeps & { tokens: MemoryTokenStore };
let existing: Set<string>;
let clock: { t: number; now(): number };

beforeEach(async () => {
  ca ??= await createCA('orchard-ca', { now: NOW });
  existing = new Set(['pi-old']);
  clock = { t: NOW, now: () => clock.t };
  deps = {
    ca,
    tokens: new MemoryTokenStore(),
    limiter: new JoinRateLimiter({ clock, maxFailures: 3 }),
    nameTaken: async (_usage, name) => existing.has(name),
  };
});

describe('signJoinRequest', () => {
  it('signs a node CSR with a node token and uses the token up by one', async () => {
    const { token, record } = await issueToken(deps.tokens, { now: NOW, uses: 2 });
    const { csrPem } = await nodeCsr('pi1');
    const result = await signJoinRequest(deps, { peer: PEER, token, csrPem, usage: 'node', now: NOW });
    expect(result.name).toBe('pi1');
    expect(result.caPem).toBe(ca.certPem);
    expect(new X509Certificate(result.certPem).verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(identityFromCert(result.certPem)).toEqual({ role: 'node', commonName: 'system:node:pi1', nodeName: 'pi1' });
    expect((await deps.tokens.get(record.id))!.record.remainingUses).toBe(1);
  });

  it('signs a master CSR with a master token, with the given SANs', async () => {
    const { token } = await issueToken(deps.tokens, { now: NOW, usages: ['master'] });
    const { csrPem } = await makeCsr([{ CN: ['system:master:m2'] }, { O: ['orchard:masters'] }]);
    const result = await signJoinRequest(deps, { peer: PEER, token, csrPem, usage: 'master', now: NOW, ips: ['192.168.1.12'] });
    expect(new X509Certificate(result.certPem).checkIP('192.168.1.12')).toBe('192.168.1.12');
  });

  it('refuses to take over an existing node name, without using the token', async () => {
    const { token, record } = await issueToken(deps.tokens, { now: NOW, uses: 1 });
    const { csrPem } = await nodeCsr('pi-old');
    const err = await signJoinRequest(deps, { peer: PEER, token, csrPem, usage: 'node', now: NOW }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NameTakenError);
    expect((err as Error).message).toBe(
      'node "pi-old" already exists; to replace it, delete it first (orchard delete node pi-old) or join with another --node-name',
    );
    expect((await deps.tokens.get(record.id))!.record.remainingUses).toBe(1);
  });

  it('refuses a CSR for the admin organization, without using the token', async () => {
    const { token, record } = await issueToken(deps.tokens, { now: NOW, uses: 1 });
    const { csrPem } = await makeCsr([{ CN: ['system:node:pi1'] }, { O: ['orchard:admins'] }]);
    await expect(signJoinRequest(deps, { peer: PEER, token, csrPem, usage: 'node', now: NOW })).rejects.toBeInstanceOf(CsrRefusedError);
    expect((await deps.tokens.get(record.id))!.record.remainingUses).toBe(1);
  });

  it('refuses a node token for a master join', async () => {
    const { token } = await issueToken(deps.tokens, { now: NOW });
    const { csrPem } = await makeCsr([{ CN: ['system:master:m2'] }, { O: ['orchard:masters'] }]);
    await expect(signJoinRequest(deps, { peer: PEER, token, csrPem, usage: 'master', now: NOW })).rejects.toBeInstanceOf(TokenUsageError);
  });

  it('rate-limits an address after repeated wrong tokens, before looking at the token', async () => {
    const { token, record } = await issueToken(deps.tokens, { now: NOW });
    const { csrPem } = await nodeCsr('pi1');
    const wrong = `${record.id}.${'0'.repeat(16)}`;
    for (let i = 0; i < 3; i++) {
      await expect(signJoinRequest(deps, { peer: PEER, token: wrong, csrPem, usage: 'node', now: NOW })).rejects.toBeInstanceOf(TokenSecretMismatchError);
    }
    const err = await signJoinRequest(deps, { peer: PEER, token, csrPem, usage: 'node', now: NOW }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TooManyAttemptsError);
    expect((err as Error).message).toBe('too many failed join attempts from 192.168.1.21; retry after 60 s');
    // Another address is not affected.
    await expect(signJoinRequest(deps, { peer: 'ipv4:192.168.1.22:1', token, csrPem, usage: 'node', now: NOW })).resolves.toMatchObject({ name: 'pi1' });
  });

  it('refuses a used-up token', async () => {
    const { token } = await issueToken(deps.tokens, { now: NOW, uses: 1 });
    await signJoinRequest(deps, { peer: PEER, token, csrPem: (await nodeCsr('pi1')).csrPem, usage: 'node', now: NOW });
    await expect(
      signJoinRequest(deps, { peer: PEER, token, csrPem: (await nodeCsr('pi2')).csrPem, usage: 'node', now: NOW }),
    ).rejects.toBeInstanceOf(TokenUsedUpError);
  });
});

describe('requestedName', () => {
  it.each([
    ['a node CSR', [{ CN: ['system:node:pi1'] }, { O: ['orchard:nodes'] }], 'node', 'pi1'],
    ['a master CSR', [{ CN: ['system:master:m1'] }, { O: ['orchard:masters'] }], 'master', 'm1'],
  ] as const)('reads %s', async (_name, subject, usage, expected) => {
    expect(requestedName((await makeCsr(subject as never)).csrPem, usage)).toBe(expected);
  });

  it('refuses an invalid node name as a refused CSR', async () => {
    const { csrPem } = await makeCsr([{ CN: ['system:node:Pi_1'] }, { O: ['orchard:nodes'] }]);
    expect(() => requestedName(csrPem, 'node')).toThrow(CsrRefusedError);
    expect(() => requestedName(csrPem, 'node')).toThrow('certificate signing request: invalid node name "Pi_1"');
  });

  it('refuses a CSR without the prefix of the usage', async () => {
    const { csrPem } = await makeCsr([{ CN: ['admin'] }, { O: ['orchard:admins'] }]);
    expect(() => requestedName(csrPem, 'node')).toThrow('must ask for "system:node:<name>", asks for "admin"');
  });
});

describe('renewNodeCertificate', () => {
  it('renews a node for its own name only', async () => {
    const caller = { role: 'node' as const, commonName: 'system:node:pi1', nodeName: 'pi1' };
    const own = await nodeCsr('pi1');
    expect(identityFromCert(await renewNodeCertificate(ca, caller, own.csrPem, { now: NOW }))).toMatchObject({ nodeName: 'pi1' });
    const other = await nodeCsr('pi2');
    await expect(renewNodeCertificate(ca, caller, other.csrPem, { now: NOW })).rejects.toThrow('may only ask for "system:node:pi1 in orchard:nodes"');
  });

  it('refuses callers that are not nodes', async () => {
    const { csrPem } = await nodeCsr('pi1');
    await expect(renewNodeCertificate(ca, { role: 'viewer', commonName: 'grafana' }, csrPem)).rejects.toThrow(
      'only nodes renew certificates this way; the caller is viewer "grafana"',
    );
  });
});
