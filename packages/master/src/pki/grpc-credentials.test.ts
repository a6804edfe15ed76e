import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCA } from './ca';
import type { CertifiedKey } from './certified-key';
import { issueClientCert } from './client-cert';
import { issueServingCert } from './serving-cert';
import { channelCredentials, peerIdentity, serverCredentials, StaticCertificateProvider } from './grpc-credentials';
import { signCsr, joinGrant } from './csr-signing';
import { makeCsr } from './test-helpers';
import { privateKeyToPem } from './key-pair';
import { toServiceError } from '@orchard/api';

/** A one-method service with raw byte messages: enough to exercise TLS and identities. */
const WhoAmI = {
  whoAmI: {
    path: '/test.WhoAmI/WhoAmI',
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => b,
  },
} satisfies grpc.ServiceDefinition;
const WhoAmIClient = grpc.makeGenericClientConstructor(WhoAmI, 'WhoAmI');

let ca: CertifiedKey;
let server: grpc.Server;
let port: number;
let provider: StaticCertificateProvider;

beforeAll(async () => {
  ca = await createCA('orchard-ca');
  provider = new StaticCertificateProvider(ca.certPem, await issueServingCert(ca, { masterName: 'm1', names: ['localhost'], ips: ['127.0.0.1'] }));
  server = new grpc.Server();
  server.addService(WhoAmI, {
    whoAmI: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      try {
        cb(null, Buffer.from(JSON.stringify(peerIdentity(call))));
      } catch (err) {
        cb(toServiceError(err));
      }
    },
  });
  port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', serverCredentials(provider), (err, p) => (err ? reject(err) : resolve(p))),
  );
});
afterAll(() => {
  server?.forceShutdown();
});

function call(creds: grpc.ChannelCredentials): Promise<unknown> {
  const client = new WhoAmIClient(`127.0.0.1:${port}`, creds) as unknown as grpc.Client & {
    whoAmI(req: Buffer, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Buffer) => void): void;
  };
  return new Promise((resolve, reject) => {
    client.whoAmI(Buffer.alloc(0), { deadline: Date.now() + 5000 }, (err, res) => {
      client.close();
      if (err) reject(err);
      else resolve(JSON.parse(res!.toString()));
    });
  });
}

describe('mutual TLS with grpc-js', () => {
  it('identifies a node by the certificate signed from its CSR', async () => {
    const { csrPem, keys } = await makeCsr([{ CN: ['system:node:pi1'] }, { O: ['orchard:nodes'] }]);
    const certPem = await signCsr(ca, csrPem, joinGrant('node', 'pi1'));
    const node = { certPem, keyPem: await privateKeyToPem(keys.privateKey) };
    await expect(call(channelCredentials(ca.certPem, node))).resolves.toEqual({ role: 'node', commonName: 'system:node:pi1', nodeName: 'pi1' });
  });

  it('identifies an admin', async () => {
    const admin = await issueClientCert(ca, { role: 'admin', user: 'admin' });
    await expect(call(channelCredentials(ca.certPem, admin))).resolves.toEqual({ role: 'admin', commonName: 'admin' });
  });

  it('lets a client without a certificate complete TLS but answers UNAUTHENTICATED', async () => {
    await expect(call(channelCredentials(ca.certPem))).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
      details: 'no client certificate signed by the cluster CA was presented',
    });
  });

  it('answers UNAUTHENTICATED to a client certificate from another CA', async () => {
    // The handshake completes (certificates are optional at the TLS level), but grpc-js
    // exposes only certificates that verified against the CA, so no identity results.
    const other = await createCA('other-ca');
    const forged = await issueClientCert(other, { role: 'admin', user: 'admin' });
    await expect(call(channelCredentials(ca.certPem, forged))).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
      details: 'no client certificate signed by the cluster CA was presented',
    });
  });

  it('refuses a plaintext client', async () => {
    await expect(call(grpc.credentials.createInsecure())).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  });

  it('serves a renewed certificate to new connections after update()', async () => {
    const ca2 = await createCA('orchard-ca-2');
    provider.update(await issueServingCert(ca2, { masterName: 'm1', names: ['localhost'], ips: ['127.0.0.1'] }), ca2.certPem);
    const admin2 = await issueClientCert(ca2, { role: 'admin', user: 'admin2' });
    await expect(call(channelCredentials(ca2.certPem, admin2))).resolves.toEqual({ role: 'admin', commonName: 'admin2' });
  });
});
