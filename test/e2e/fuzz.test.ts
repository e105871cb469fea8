import { describe, expect, it } from 'vitest';
import { checkResponse, fuzzCases, postFuzzCase } from '../harness/fuzz-cases';
import { accept, deployment, pollUntil, readFailures, readResults, storedItemsOf } from './support';

const countStored = async () => (await readResults()).length + (await readFailures()).length;

// A small version of `npm run fuzz`, so CI keeps the tool and the contract honest.
describe('fuzzed requests', () => {
  it('answer 300 generated invalid requests with the documented 4xx and enqueue nothing', async () => {
    // Prepare
    const cases = fuzzCases(300, 20261123);
    const objectsBefore = await countStored();

    // Act: two in flight keeps the test under the usage plan's throttle.
    const problems: string[] = [];
    const statuses: number[] = [];
    for (let next = 0; next < cases.length; next += 2) {
      await Promise.all(
        cases.slice(next, next + 2).map(async (fuzzCase) => {
          const { status, text } = await postFuzzCase(deployment, fuzzCase, 30_000);
          statuses.push(status);
          const problem = checkResponse(fuzzCase, status, text);
          if (problem) problems.push(`${fuzzCase.category}: ${problem}`);
        }),
      );
    }
    const sentinel = await accept([987654321]);
    await pollUntil('the sentinel to be stored', async () =>
      (await storedItemsOf([sentinel.requestId])) === 1 ? true : undefined,
    );

    // Assert
    expect(problems).toEqual([]);
    expect(statuses.filter((status) => status >= 500)).toEqual([]);
    expect(await countStored()).toBe(objectsBefore + 1);
  });
});
