import { BadRequestError, KINDS, resolveKind, type KindInfo } from '@orchard/api';

/** A kind and the names the user typed: `pods web db` or `pod/web pod/db`. */
export interface ResourceArgs {
  kind: KindInfo;
  names: string[];
}

/**
 * Resolves `KIND [NAME...]` or `KIND/NAME...` like kubectl.
 * @throws UnknownKindError (`the server doesn't have a resource type "foo"`) or a usage error.
 */
export function parseResourceArgs(args: readonly string[], verb: string): ResourceArgs {
  if (args.length === 0) {
    const known = KINDS.map((k) => (k.shortNames.length ? `${k.plural} (${k.shortNames.join(', ')})` : k.plural)).join(', ');
    throw new BadRequestError(`you must specify the type of resource to ${verb}: one of ${known}`);
  }
  if (args[0]!.includes('/')) {
    let kind: KindInfo | undefined;
    const names: string[] = [];
    for (const a of args) {
      const slash = a.indexOf('/');
      if (slash < 0) throw new BadRequestError(`there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'orchard ${verb} pod/web')`);
      const k = resolveKind(a.slice(0, slash));
      if (kind && k !== kind) throw new BadRequestError(`all resources must be of one kind, got ${kind.plural} and ${k.plural}`);
      kind = k;
      const name = a.slice(slash + 1);
      if (!name) throw new BadRequestError(`resource name may not be empty in "${a}"`);
      names.push(name);
    }
    return { kind: kind!, names };
  }
  const kind = resolveKind(args[0]!);
  return { kind, names: args.slice(1) };
}
