import type { Container } from '@orchard/api/agent';

/**
 * The port number a probe or hook names: a number, or the name of one of the
 * container's ports (IntOrString, stored as a string). Throws naming the field when
 * it is neither, so the probe fails with a message the user can act on.
 */
export function resolvePort(port: string, container: Container, field: string): number {
  const trimmed = port.trim();
  if (/^\d+$/.test(trimmed)) {
    const n = Number(trimmed);
    if (n >= 1 && n <= 65535) return n;
    throw new Error(`${field}: port ${trimmed} is out of range 1-65535`);
  }
  const named = container.ports.find((p) => p.name === trimmed);
  if (!named) throw new Error(`${field}: container ${container.name} has no port named "${trimmed}"`);
  return named.containerPort;
}
