import type {
  CreateEventSourceMappingRequest,
  CreateFunctionRequest,
  EventSourceMappingConfiguration,
  FunctionConfiguration,
} from '@aws-sdk/client-lambda';

/**
 * What the end-to-end benchmark copies from the deployed stack, so that every variant runs on a queue,
 * a mapping and a function configured like the stack's own (pure: read from the API's answers).
 */

/**
 * Queue attributes CreateQueue accepts and that change how the queue behaves. The queue policy stays
 * behind: it names the stack queue's ARN, and it is access control, not behaviour.
 */
const BEHAVIOUR_ATTRIBUTES = [
  'FifoQueue',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
  'VisibilityTimeout',
  'MessageRetentionPeriod',
  'MaximumMessageSize',
  'DelaySeconds',
  'ReceiveMessageWaitTimeSeconds',
  'RedrivePolicy',
  'SqsManagedSseEnabled',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
] as const;

/** The stack queue's attributes (GetQueueAttributes All) as CreateQueue attributes for a fresh queue. */
export function queueAttributesToCopy(attributes: Readonly<Record<string, string>>): Record<string, string> {
  if (attributes.FifoQueue !== 'true') throw new Error('The stack queue is not a FIFO queue');
  return Object.fromEntries(
    BEHAVIOUR_ATTRIBUTES.flatMap((name) =>
      attributes[name] === undefined ? [] : [[name, attributes[name]]],
    ),
  );
}

export type MappingSettings = Pick<
  CreateEventSourceMappingRequest,
  'BatchSize' | 'MaximumBatchingWindowInSeconds' | 'FunctionResponseTypes' | 'ScalingConfig'
>;

/** The settings of the batch function's mapping that a mapping of another queue or function repeats. */
export function mappingSettingsOf(mapping: EventSourceMappingConfiguration): MappingSettings {
  return {
    BatchSize: mapping.BatchSize,
    MaximumBatchingWindowInSeconds: mapping.MaximumBatchingWindowInSeconds,
    FunctionResponseTypes: mapping.FunctionResponseTypes,
    ...(mapping.ScalingConfig ? { ScalingConfig: mapping.ScalingConfig } : {}),
  };
}

/**
 * A reference consumer created beside the batch function with its runtime, memory, timeout,
 * architecture, role and environment (BUCKET_NAME and NODE_OPTIONS among it); only the code differs.
 */
export function referenceFunctionRequest(
  batchFunction: FunctionConfiguration,
  functionName: string,
  zipFile: Uint8Array,
): CreateFunctionRequest {
  return {
    FunctionName: functionName,
    Runtime: batchFunction.Runtime,
    Role: batchFunction.Role,
    Handler: 'index.handler',
    MemorySize: batchFunction.MemorySize,
    Timeout: batchFunction.Timeout,
    Architectures: batchFunction.Architectures,
    Environment: { Variables: { ...batchFunction.Environment?.Variables } },
    Code: { ZipFile: zipFile },
  };
}
