/**
 * A container spec the agent cannot turn into a Docker container (an unsupported env
 * source, a malformed quantity, a mount of an undefined volume). Reported as the
 * container's waiting reason CreateContainerConfigError; retrying cannot fix it until
 * the spec changes.
 */
export class ContainerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContainerConfigError';
  }
}
