/** The id of a revision's rollout (its first 12 characters): a revision is rolled out once. */
export function rolloutIdOf(revision: string): string {
  return revision.slice(0, 12);
}
