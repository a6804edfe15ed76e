/** A parsed WWW-Authenticate challenge: scheme ("bearer", "basic") and its parameters. */
export interface AuthChallenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

/**
 * Parses a WWW-Authenticate header with one challenge, as registries send it:
 * `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"`.
 * Undefined when the header is missing or not understood.
 */
export function parseChallenge(header: string | undefined): AuthChallenge | undefined {
  const m = /^\s*([A-Za-z]+)(?:\s+(.*))?$/.exec(header ?? '');
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/g;
  for (let p = re.exec(m[2] ?? ''); p; p = re.exec(m[2] ?? '')) {
    params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!;
  }
  return { scheme: m[1]!.toLowerCase(), params };
}
