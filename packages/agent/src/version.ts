/** The agent's version, reported in the node's nodeInfo and Hello. */
export const AGENT_VERSION: string = (require('../package.json') as { version: string }).version;
