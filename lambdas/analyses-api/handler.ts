import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { readAnalyses, readWindowSettings } from '../domain/environment';
import { settleMsFor } from '../domain/windows';
import { type ApiEvent, errorAnswer, jsonResponse } from '../shared/http';
import { logger, metrics } from '../shared/observability';
import { dynamoDbWindows } from '../windows/dynamodb-windows';
import {
  AnalysisNotFoundError,
  analysesAnswer,
  InvalidRangeError,
  readWindows,
  WindowsUnavailableError,
} from './read-windows';

// Read once per cold start: a missing or bad setting fails the first invocation with its name.
const analyses = readAnalyses(process.env);
const settings = readWindowSettings(process.env);
const settleMs = settleMsFor(settings.analysisFunctionTimeoutSeconds);
const ddb = new DynamoDBClient({});
// Stryker disable next-line ObjectLiteral: rows' expiry is for writes; this function only reads
const retention = { settleMs, retentionDays: settings.windowRetentionDays };

/** `GET /analyses` and `GET /analyses/{name}/windows`: 200, or 400 INVALID_RANGE, 404 ANALYSIS_NOT_FOUND, 503. */
export const handler = async (event: ApiEvent, context: Context): Promise<APIGatewayProxyResult> => {
  logger.addContext(context);
  try {
    const name = event.pathParameters?.name;
    if (name === undefined) return jsonResponse(200, analysesAnswer(analyses));
    const answer = await readWindows(
      analyses,
      {
        name,
        from: event.queryStringParameters?.from,
        to: event.queryStringParameters?.to,
        now: new Date(),
      },
      (analysis) => dynamoDbWindows(ddb, { tableName: settings.windowsTableName, analysis, retention }),
      settleMs,
    );
    return jsonResponse(200, answer);
  } catch (error) {
    if (error instanceof WindowsUnavailableError) {
      logger.error('Windows not readable', { error });
      return errorAnswer(error);
    }
    if (error instanceof AnalysisNotFoundError || error instanceof InvalidRangeError) {
      // Not `message`: Powertools keeps that key for the line's own message, drops the attribute and warns.
      logger.info('Request rejected', { code: error.code, reason: error.message });
      return errorAnswer(error);
    }
    throw error;
  } finally {
    metrics.publishStoredMetrics();
  }
};
