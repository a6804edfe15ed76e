import { randomBytes } from 'node:crypto';

/** A source of random bytes, injected so tests can make serial numbers reproducible. */
export type RandomSource = (size: number) => Uint8Array;

export const systemRandom: RandomSource = (size) => randomBytes(size);

/**
 * A positive 128-bit serial number in hex. RFC 5280 asks for at most 20 octets and a
 * positive integer; clearing the top bit keeps the DER integer positive without padding.
 */
export function serialNumber(random: RandomSource = systemRandom): string {
  const bytes = Buffer.from(random(16));
  if (bytes.length !== 16) throw new Error(`random source returned ${bytes.length} bytes, expected 16`);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('hex');
}
