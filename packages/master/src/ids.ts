import { randomUUID } from 'node:crypto';

/** Where object uids come from: random in production, predictable in tests. */
export interface IdSource {
  uuid(): string;
}

export const randomIds: IdSource = { uuid: () => randomUUID() };
