// Bounded concurrency for fan-out over containers and networks, so a capture of a large host does
// not open hundreds of connections to the daemon at once.

/**
 * Runs `fn` over `items` with at most `limit` calls in flight; results keep the input order.
 * On the first failure no new calls start, and the promise rejects with that error once the
 * calls already running have settled (so nothing keeps working after the caller moves on).
 */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T, i: number) => Promise<R>): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`mapLimit: limit must be a positive integer, got ${limit}`);
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  let firstError: unknown;

  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (err) {
        if (!failed) {
          failed = true;
          firstError = err;
        }
      }
    }
  };

  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed) throw firstError;
  return results;
}
