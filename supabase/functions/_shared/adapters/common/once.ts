/**
 * A value loaded once per adapter and shared by every caller (a DRE resolver built from the ERP's categories,
 * the connection's keys): loaded on first use, kept while it holds, loaded again after a failure so that one
 * bad moment (a transient error, keys saved later) does not stick for the adapter's life.
 */
export function onceUntilFailure<T>(load: () => Promise<T>): () => Promise<T> {
  let current: Promise<T> | null = null;
  return () => {
    if (current === null) {
      const p = load();
      current = p;
      p.catch(() => {
        if (current === p) current = null;
      });
    }
    return current;
  };
}
