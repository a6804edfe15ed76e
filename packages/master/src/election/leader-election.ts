import { NotLeaderError, type Logger } from '@orchard/api';
import type { Campaign, Etcd3, Lease } from 'etcd3';
import { fromEtcdError } from '../store/errors';
import type { Fence } from '../store/fence';
import { LeaseProof } from './lease-proof';

/** The etcd3 election every master campaigns in. */
export const ELECTION_NAME = 'orchard-leader';

export interface LeaderElectionOptions {
  /** The value this master campaigns with: its name. */
  readonly name: string;
  /** Lease TTL of the leader key (seconds): the longest a dead leader blocks a new one. */
  readonly ttlSeconds: number;
  readonly log: Logger;
  /** Pause before campaigning again after a campaign failed. */
  readonly retryDelayMs?: number;
}

type Listener = () => void;

/**
 * How long before its proof runs out a leader steps down. Measured from a keep-alive's
 * send time, so a busy event loop that reads answers late (a bind burst) does not depose a
 * leader whose lease etcd renewed in time.
 */
const STEP_DOWN_MARGIN_MS = 300;

/**
 * Leader election through etcd's lease-based election. Exactly one master leads; it runs
 * the scheduler and controllers (onLeader) and stops them at once (onFollower) when it
 * can no longer prove it holds the lease: the last answered keep-alive proves the lease
 * until its send time + TTL (lease-proof.ts); a leader steps down STEP_DOWN_MARGIN_MS
 * before that, before etcd can expire the key and elect another.
 * Every leader write carries `fence()`, so a leader that has not noticed yet still
 * cannot write.
 */
export class LeaderElection {
  private campaign: Campaign | undefined;
  private currentFence: Fence | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly leaderListeners: Listener[] = [];
  private readonly followerListeners: Listener[] = [];

  constructor(
    private readonly etcd: Etcd3,
    private readonly opts: LeaderElectionOptions,
  ) {}

  /** Starts campaigning; returns at once (onLeader fires when elected). */
  start(): void {
    this.stopped = false;
    this.runCampaign();
  }

  /** True while this master holds the leader key. */
  isLeader(): boolean {
    return this.currentFence !== undefined;
  }

  /** The compare that fences leader-only writes. @throws NotLeaderError when not leading. */
  fence(): Fence {
    if (!this.currentFence) throw new NotLeaderError(`master ${this.opts.name} is not the leader`);
    return this.currentFence;
  }

  /** Called when this master becomes the leader. */
  onLeader(fn: Listener): void {
    this.leaderListeners.push(fn);
  }

  /** Called when this master stops leading (lease lost, resigned). */
  onFollower(fn: Listener): void {
    this.followerListeners.push(fn);
  }

  /** The name of the current leader, if any. */
  async leaderName(): Promise<string | undefined> {
    try {
      return await this.etcd.election(ELECTION_NAME, this.opts.ttlSeconds).leader();
    } catch (err) {
      throw fromEtcdError(err, 'read the leader');
    }
  }

  /** Stops leading (if leading) and resigns, so another master takes over without waiting for the TTL. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const c = this.campaign;
    this.stepDown('stopping');
    this.campaign = undefined;
    await c?.resign().catch((err: unknown) => this.opts.log.warn({ err: (err as Error).message }, 'resigning failed; the lease will expire'));
  }

  private runCampaign(): void {
    if (this.stopped) return;
    const { log, name, ttlSeconds } = this.opts;
    const campaign = this.etcd.election(ELECTION_NAME, ttlSeconds).campaign(name);
    this.campaign = campaign;
    // The election's lease is private to etcd3's Campaign; its keep-alive events are the
    // only way to know how fresh our claim is.
    const lease = (campaign as unknown as { lease: Lease }).lease;
    const proof = new LeaseProof(ttlSeconds * 1000);
    proof.started(Date.now());
    lease.on('keepaliveEstablished', () => proof.newStream());
    lease.on('keepaliveFired', () => proof.sent(Date.now()));
    lease.on('keepaliveSucceeded', () => proof.answered(Date.now()));
    campaign.on('error', (err) => {
      if (this.campaign !== campaign) return;
      log.warn({ err: err.message }, 'leader election campaign failed; campaigning again');
      this.stepDown('campaign failed');
      this.campaign = undefined;
      void campaign.resign().catch(() => undefined);
      this.retryTimer = setTimeout(() => this.runCampaign(), this.opts.retryDelayMs ?? 500);
    });
    campaign.on('elected', () => {
      if (this.campaign !== campaign) return;
      void this.becomeLeader(campaign, proof);
    });
  }

  private async becomeLeader(campaign: Campaign, proof: LeaseProof): Promise<void> {
    try {
      const key = await campaign.getCampaignKey();
      const kv = (await this.etcd.get(key).exec()).kvs[0];
      if (!kv || this.campaign !== campaign) throw new Error(`leader key ${key} vanished right after the election`);
      // The leader is the oldest key of the election. The fence compares only our own key,
      // so a spurious 'elected' (seen from the client library while another master's key
      // was still there, under heavy load) must not make this master lead: check here.
      // Create revisions only grow, so once ours is the oldest it stays so while it exists.
      const prefix = key.slice(0, key.lastIndexOf('/') + 1);
      const oldest = (await this.etcd.getAll().prefix(prefix).sort('Create', 'Ascend').limit(1).exec()).kvs[0];
      if (!oldest || oldest.key.toString() !== key) {
        throw new Error(`elected while ${oldest ? `${oldest.key.toString()} (${oldest.value.toString()})` : 'no key'} is the oldest of the election`);
      }
      if (this.campaign !== campaign) throw new Error('the campaign ended while it was being confirmed');
      this.currentFence = { key, createRevision: kv.create_revision };
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message }, 'could not confirm the leadership; campaigning again');
      campaign.emit('error', err);
      return;
    }
    this.opts.log.info({ master: this.opts.name, key: this.currentFence.key }, 'elected leader');
    this.watchdog = setInterval(() => {
      const now = Date.now();
      if (proof.remainingMs(now) < STEP_DOWN_MARGIN_MS) {
        this.opts.log.warn({ sinceRenewalMs: proof.sinceProofMs(now) }, 'leader lease not renewed in time; stepping down');
        campaign.emit('error', new Error('leader lease not renewed in time'));
      }
    }, 100);
    this.watchdog.unref();
    for (const fn of this.leaderListeners) this.safely(fn);
  }

  private stepDown(why: string): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
    if (!this.currentFence) return;
    this.currentFence = undefined;
    this.opts.log.info({ master: this.opts.name, why }, 'no longer the leader');
    for (const fn of this.followerListeners) this.safely(fn);
  }

  private safely(fn: Listener): void {
    try {
      fn();
    } catch (err) {
      this.opts.log.error({ err }, 'leader election listener failed');
    }
  }
}
