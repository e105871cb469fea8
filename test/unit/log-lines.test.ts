import { describe, expect, it } from 'vitest';
import { readableLogLine } from '../../cdk/ops/log-lines';

const powertools = (fields: Record<string, unknown>): string =>
  JSON.stringify({
    level: 'INFO',
    timestamp: '2026-11-25T14:21:54.065Z',
    service: 'batch-writer',
    cold_start: false,
    function_arn: 'arn:aws:lambda:us-east-1:000000000000:function:F',
    function_memory_size: '256',
    function_name: 'F',
    function_request_id: 'r-1',
    sampling_rate: 0,
    xray_trace_id: '1-2-3',
    ...fields,
  });

describe('readableLogLine', () => {
  it.each([
    {
      name: 'a stored segment',
      line: powertools({
        message: 'Segment stored',
        items: [5, 7, 8],
        key: 'results/2026/11/25/14/21/6d.json',
      }),
      expected: 'INFO Segment stored items=[5,7,8] key=results/2026/11/25/14/21/6d.json',
    },
    {
      name: 'a failed record',
      line: powertools({
        level: 'WARN',
        message: 'Record failed',
        item: 13,
        reason: 'write_failed',
        receiveCount: 3,
        next: 'moves to the dead-letter queue (failure record under failed/)',
      }),
      expected:
        'WARN Record failed item=13 reason=write_failed receiveCount=3 next=moves to the dead-letter queue (failure record under failed/)',
    },
    {
      name: 'a metrics blob',
      line: JSON.stringify({
        _aws: {
          CloudWatchMetrics: [
            { Namespace: 'N', Metrics: [{ Name: 'ItemsStored' }, { Name: 'ItemsFailed' }] },
          ],
        },
        service: 'batch-writer',
        ItemsStored: 3,
        ItemsFailed: 0,
      }),
      expected: 'metrics ItemsStored=3 ItemsFailed=0',
    },
    {
      name: "the runtime's REPORT line",
      line: 'REPORT RequestId: r-1\tDuration: 15 ms',
      expected: 'REPORT RequestId: r-1\tDuration: 15 ms',
    },
    { name: 'JSON that is not a log line', line: '{"hello":1}', expected: '{"hello":1}' },
    { name: 'broken JSON', line: '{"level":', expected: '{"level":' },
    { name: 'a JSON array', line: '[1,2]', expected: '[1,2]' },
  ])('shows $name readably', ({ line, expected }) => {
    expect(readableLogLine(line)).toBe(expected);
  });
});
