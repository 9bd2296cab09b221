/**
 * A loader that builds its value once per process and shares it: every caller awaits the same
 * build. A build that fails is forgotten, so that the next call tries again instead of repeating
 * the failure (the IAM catalogue and the scenario API names are read from a package on first use).
 */
export function loadOnce<T>(build: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= build().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
}
