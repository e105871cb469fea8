/**
 * Runs `work` on every item, in order of the items, with at most `concurrency` calls in flight; the
 * load, fuzz and bucket-reading pools share it. Rejects with the first failure.
 */
export async function forEachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/** `items.map(work)` with at most `concurrency` calls in flight; the results in the items' order. */
export async function mapConcurrently<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  await forEachConcurrently(items, concurrency, async (item, index) => {
    results[index] = await work(item, index);
  });
  return results;
}
