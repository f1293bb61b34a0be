// The one error the git readers throw: a repository that cannot be read as asked.

/**
 * A repository, ref or object that cannot be read: a missing or corrupt object, a head that is not
 * in the object store, a path that is not a git directory. It carries no domain code on purpose:
 * the client and the service map it to their own `CoordError` (the service to
 * `upstream_unavailable`, the client to a config or usage message).
 */
export class GitReadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "GitReadError";
  }
}
