import type { MasterMessage, StreamOutput } from '@orchard/api';

/** A way to send to one agent over its node stream. */
export type NodeSend = (m: MasterMessage) => void;

/**
 * What the node service tells the session relay: which agents have a live stream on this
 * master, their output, and when a stream ends. The node service calls it; nothing
 * else about sessions leaks into it.
 */
export interface NodeStreamHooks {
  /** The agent of `node` is connected here and reachable through send. */
  connected(node: string, send: NodeSend): void;
  /** Session output from the agent of `node`. */
  output(node: string, out: StreamOutput): void;
  /** That stream ended; only acts when it is still the node's current one. */
  disconnected(node: string, send: NodeSend): void;
}
