import type { Etcd3 } from 'etcd3';
import type { Logger } from '@orchard/api';
import { CA_ETCD_KEY, createCA, openCA, sealCA, type CertifiedKey } from '../pki';

/**
 * The cluster CA from etcd, created by whichever master starts first. Creation is a
 * create-if-absent transaction, so two masters starting at once end with one CA: the
 * loser discards its own and opens the winner's.
 */
export async function loadOrCreateCA(etcd: Etcd3, serverSecret: string, log: Logger): Promise<CertifiedKey> {
  const stored = await etcd.get(CA_ETCD_KEY).string();
  if (stored !== null) return openCA(stored, serverSecret);
  const ca = await createCA('orchard');
  const res = await etcd
    .if(CA_ETCD_KEY, 'Create', '==', 0)
    .then(etcd.put(CA_ETCD_KEY).value(JSON.stringify(sealCA(ca, serverSecret))))
    .commit();
  if (res.succeeded) {
    log.info({ key: CA_ETCD_KEY }, 'created the cluster CA');
    return ca;
  }
  const winner = await etcd.get(CA_ETCD_KEY).string();
  if (winner === null) throw new Error(`the cluster CA at ${CA_ETCD_KEY} vanished while this master created one`);
  return openCA(winner, serverSecret);
}
