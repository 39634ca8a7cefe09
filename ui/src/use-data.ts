import { useEffect, useState } from 'preact/hooks';
import { ApiError } from './api.js';

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
}

/** Describes a failed call so the page can say what to do next. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return `${error.message}${error.hint ? ` (${error.hint})` : ''}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Loads data for a page and loads it again whenever `version` changes (a live update):
 * the previous data stays on screen while the new load runs, so nothing flickers.
 */
export function useData<T>(load: () => Promise<T>, keys: unknown[], version: number): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ data: undefined, error: undefined });
  useEffect(() => {
    let current = true;
    load().then(
      (data) => current && setState({ data, error: undefined }),
      (error: unknown) => current && setState((previous) => ({ data: previous.data, error: describeError(error) })),
    );
    return () => {
      current = false;
    };
  }, [...keys, version]);
  return state;
}
