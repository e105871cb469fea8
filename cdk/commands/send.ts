import { createInterface } from 'node:readline/promises';
import { runTool, toolArgs } from '../ops/cli';
import { numberOption, UsageError } from '../ops/cli-options';
import { loadDeployment } from '../ops/deployment';
import { answerLines, bodyOf, postItems } from '../ops/pipeline-client';
import { sendAndWait } from '../ops/send-and-wait';

const USAGE = `usage: npm run send -- [items...] [--idempotency-key KEY] [--wait [--timeout SECONDS]] [--stack NAME]

  npm run send -- 1 2 3 4        POST [1,2,3,4] to the deployment in .local/outputs.json
  npm run send -- '[1,2]'        POST a JSON body as it is
  npm run send                   prompt: one request per line ("1 2 3" or "[1,2,3]"); an empty line or Ctrl-D ends
  --wait                         then wait until the request is stored or failed (the ledger's status),
                                 and print its objects; exit 1 if it failed or --timeout (120 s) passed
  --stack NAME                   a deployment in your AWS account (AWS_REGION) instead of the local one
Requests carry the deployment's API key, or a SigV4 signature when it says auth iam (credentials
from the SDK's default chain: AWS_PROFILE, AWS_ACCESS_KEY_ID, a role...).`;

runTool(async () => {
  const { values, positionals } = toolArgs(
    USAGE,
    {
      'idempotency-key': { type: 'string' },
      stack: { type: 'string' },
      wait: { type: 'boolean' },
      timeout: { type: 'string' },
    },
    { positionals: true },
  );
  if (values.wait && positionals.length === 0) throw new UsageError('--wait needs the items to send');
  const timeoutMs = numberOption(values.timeout, 'timeout', 120, 1, 3600) * 1000;
  const deployment = await loadDeployment({ stack: values.stack });
  const key = values['idempotency-key'];
  const send = async (body: string) => {
    const answer = await postItems(deployment, body, key ? { 'idempotency-key': key } : {});
    for (const line of answerLines(deployment, answer)) console.log(line);
    return answer.status;
  };
  if (values.wait) return sendAndWait(deployment, bodyOf(positionals), key, timeoutMs);
  if (positionals.length > 0) return (await send(bodyOf(positionals))) === 202 ? 0 : 1;

  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  console.log(`Sending to ${deployment.apiUrl}. One request per line; an empty line or Ctrl-D ends.`);
  prompt.setPrompt('items> ');
  prompt.prompt();
  for await (const line of prompt) {
    if (line.trim() === '') break;
    await send(bodyOf([line]));
    prompt.prompt();
  }
  prompt.close();
  return 0;
});
