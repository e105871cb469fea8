import { segmentByExclusion } from '../../lambdas/domain/segment';
import { seededRandom } from '../harness/load-run';
import { medianOf, type Progress, RUN_MS, WARMUP_MS } from './measure';

/** The exclusion rule alone: items per second of segmentByExclusion. */

export interface SegmentingResult {
  readonly name: string;
  readonly batchSize: number;
  /** Median over runs. */
  readonly itemsPerSecond: number;
  readonly nanosPerBatch: number;
  /** Average segments per batch: also keeps the results alive, so nothing is optimized away. */
  readonly segmentsPerBatch: number;
  readonly runsItemsPerSecond: number[];
}

/** Distinct batches cycled through, so branch prediction cannot learn a single input. */
const POOL_SIZE = 1024;

/**
 * Items/s of `segmentByExclusion` over batches of 5 and of 10 items drawn uniformly from 0..9
 * (seeded, so every run sees the same batches), pair (1, 2), segment size = batch size as in the
 * batch function.
 */
export async function benchSegmenting(runs = 5, onProgress?: Progress): Promise<SegmentingResult[]> {
  const random = seededRandom(1);
  const cases = [5, 10].map((batchSize) => ({
    batchSize,
    pool: Array.from({ length: POOL_SIZE }, () =>
      Array.from({ length: batchSize }, () => Math.floor(random() * 10)),
    ),
    rules: { exclusionPairs: [[1, 2]] as const, maxSize: batchSize },
    runs: [] as number[],
    segments: 0,
    batches: 0,
  }));
  const identity = (item: number): number => item;
  const pass = (segmenting: (typeof cases)[number]): void => {
    for (const batch of segmenting.pool) {
      segmenting.segments += segmentByExclusion(batch, identity, segmenting.rules).segments.length;
    }
    segmenting.batches += POOL_SIZE;
  };

  for (const segmenting of cases) {
    const end = performance.now() + WARMUP_MS;
    while (performance.now() < end) pass(segmenting);
  }
  for (let run = 1; run <= runs; run += 1) {
    for (const segmenting of cases) {
      // The clock is read once per pass of the pool, not per call.
      let passes = 0;
      const start = performance.now();
      let now = start;
      while (now - start < RUN_MS) {
        pass(segmenting);
        passes += 1;
        now = performance.now();
      }
      segmenting.runs.push((passes * POOL_SIZE * segmenting.batchSize * 1000) / (now - start));
    }
    onProgress?.(`segmenting: run ${run}/${runs}`);
    // Lets progress output and other callbacks through between runs of this synchronous loop.
    await new Promise((resolve) => setImmediate(resolve));
  }

  return cases.map(({ batchSize, runs: rates, segments, batches }) => {
    const rate = medianOf(rates);
    return {
      name: `segmentByExclusion, ${batchSize} items/batch`,
      batchSize,
      itemsPerSecond: rate,
      nanosPerBatch: (1e9 * batchSize) / rate,
      segmentsPerBatch: segments / batches,
      runsItemsPerSecond: rates,
    };
  });
}
