import { AnalysisNotFoundError, InvalidRangeError } from '../../lambdas/analyses-api/read-windows';
import { runTool, toolArgs } from '../ops/cli';
import { UsageError } from '../ops/cli-options';
import { loadDeployment } from '../ops/deployment';
import { analysisLines, getAnalyses, getWindows, rangeUsageError, windowLines } from '../ops/windows-client';

const USAGE = `usage: npm run windows -- [NAME] [--from ISO] [--to ISO] [--json] [--stack NAME]

An analysis's windows (GET /analyses/{name}/windows with the deployment's API key, or SigV4-signed
when it says auth iam): one line per window whose start is in [--from, --to), oldest first, with its
UTC times, count, the analysis's other aggregates, final or provisional, and its late items; then a
count. --to defaults to now, --from to
30 minutes before it (times like 2026-11-23T10:42:00Z). Without NAME, or with an unknown one, lists the
registered analyses (GET /analyses; an unknown NAME exits 1). --json prints the answer as it is.`;

runTool(async () => {
  const { values, positionals } = toolArgs(
    USAGE,
    {
      from: { type: 'string' },
      to: { type: 'string' },
      json: { type: 'boolean' },
      stack: { type: 'string' },
    },
    { positionals: true },
  );
  const [name, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`windows takes one analysis name (got ${positionals.length})`);
  const deployment = await loadDeployment({ stack: values.stack });
  const print = <T>(answer: T, lines: (answer: T) => string[]) => {
    for (const line of values.json ? [JSON.stringify(answer)] : lines(answer)) console.log(line);
  };
  if (name === undefined) {
    print(await getAnalyses(deployment), analysisLines);
    return 0;
  }
  const range = { from: values.from, to: values.to };
  try {
    print(await getWindows(deployment, name, range), windowLines);
    return 0;
  } catch (error) {
    if (error instanceof InvalidRangeError) throw rangeUsageError(error, range);
    if (error instanceof AnalysisNotFoundError) print(await getAnalyses(deployment), analysisLines);
    throw error;
  }
});
