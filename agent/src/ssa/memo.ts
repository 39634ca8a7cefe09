/**
 * What netfleet last saw of each object right after applying or verifying it: the
 * rendered hash and the live resourceVersion. When both still match, nobody wrote the
 * object and the desired state did not change, so the dry run can be skipped: a no-op
 * resync costs one list per kind, not one request per object.
 */
export class AppliedMemo {
  readonly #seen = new Map<string, { hash: string; resourceVersion: string }>();

  remember(id: string, hash: string, resourceVersion: string | undefined): void {
    if (resourceVersion) this.#seen.set(id, { hash, resourceVersion });
    else this.#seen.delete(id);
  }

  /** True when the object is known in sync at this hash and resourceVersion. */
  inSync(id: string, hash: string, resourceVersion: string | undefined): boolean {
    const seen = this.#seen.get(id);
    return seen !== undefined && seen.hash === hash && seen.resourceVersion === resourceVersion;
  }

  forget(id: string): void {
    this.#seen.delete(id);
  }
}
