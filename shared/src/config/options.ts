/** Limits the loader enforces on a repository, so a hostile commit cannot exhaust the reader. */
export interface LoadOptions {
  /**
   * Largest YAML file read, in bytes; larger files are refused by their listed size.
   * @defaultValue 4 MiB
   */
  maxFileBytes: number;
  /**
   * Largest number of alias expansions in one YAML document (the `yaml` package's
   * `maxAliasCount`); stops "billion laughs" documents.
   * @defaultValue 100
   */
  maxAliasCount: number;
  /**
   * Longest chain of symlinks followed before the link is called broken.
   * @defaultValue 8
   */
  maxSymlinkDepth: number;
}

/** The one place load defaults are set. */
export function defaultLoadOptions(overrides: Partial<LoadOptions> = {}): LoadOptions {
  return {
    maxFileBytes: overrides.maxFileBytes ?? 4 * 1024 * 1024,
    maxAliasCount: overrides.maxAliasCount ?? 100,
    maxSymlinkDepth: overrides.maxSymlinkDepth ?? 8,
  };
}
