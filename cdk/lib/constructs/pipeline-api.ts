import { Stack } from 'aws-cdk-lib';
import type { IApiKey } from 'aws-cdk-lib/aws-apigateway';
import type { Metric, MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { checkAtLeast } from '../../../lambdas/domain/checks';
import { ConfigError } from '../../../lambdas/domain/errors';
import { type ApiType, type Auth, checkAuth, SETTINGS } from '../../../lambdas/domain/settings';
import { checkApiAccess } from '../config';

export type RouteMethod = 'GET' | 'POST';

export interface Route {
  readonly method: RouteMethod;
  /** e.g. `/requests/{requestId}`. */
  readonly path: string;
}

export interface RouteOptions {
  /**
   * Query string parameters the route reads, every one optional (REST APIs declare them on the method).
   * @default - none
   */
  readonly queryParameters?: readonly string[];
}

/** What API Gateway measures of an API, alike for both types (REST by API name, HTTP by API id). */
export interface ApiMetrics {
  metricCount(props?: MetricOptions): Metric;
  metricClientError(props?: MetricOptions): Metric;
  metricServerError(props?: MetricOptions): Metric;
  metricLatency(props?: MetricOptions): Metric;
  metricIntegrationLatency(props?: MetricOptions): Metric;
}

export interface PipelineApiProps {
  /**
   * How producers prove who they are. `apiKey`: the usage plan's key in `x-api-key` (REST APIs only,
   * when `apiKeyRequired`); `iam`: every route requires a SigV4 signature (`AWS_IAM`), and the
   * construct's `producerPolicy` grants `execute-api:Invoke` on exactly its routes.
   */
  readonly auth: Auth;
  /**
   * With `auth: 'apiKey'`, whether every route requires the API key; false leaves the routes without
   * authorization. HTTP APIs have no keys, so there it must be false. Ignored with `auth: 'iam'`.
   */
  readonly apiKeyRequired: boolean;
  /** Steady requests per second of the stage (and of the usage plan). An integer from 1 to 10,000. */
  readonly throttleRateLimit: number;
  /** Burst of the stage (and of the usage plan). An integer from 1 to 5,000, and at least `throttleRateLimit`. */
  readonly throttleBurstLimit: number;
  /** Retention of the access log group. */
  readonly logRetention: RetentionDays;
  /**
   * The stage, the first segment of every route's path (`<base>/<stage>/items`). 1 to 128 letters,
   * digits, `-` and `_`.
   * @default 'prod'
   */
  readonly stageName?: string;
}

const STAGE_NAME = /^[A-Za-z0-9_-]{1,128}$/;
/** `/items`, `/requests/{requestId}`: literal segments and whole-segment path parameters. */
const ROUTE_PATH = /^(\/([A-Za-z0-9_.-]+|\{[A-Za-z0-9_]+\}))+$/;

/** A route's path as its execute-api ARN matches every request on it: each path parameter a `*`. */
const arnPathOf = (path: string): string => path.replace(/\{[^}]+\}/g, '*');

/** The names of a route path's parameters, e.g. `requestId` for `/requests/{requestId}`. */
export const pathParametersOf = (path: string): string[] =>
  [...path.matchAll(/\{([^}]+)\}/g)].map(([, name = '']) => name);

function checkProps(id: string, apiType: ApiType, props: PipelineApiProps): void {
  checkAuth(`${id}.auth`, props.auth);
  checkApiAccess(id, { apiType, auth: props.auth, apiKeyRequired: props.apiKeyRequired });
  SETTINGS.throttleRateLimit.check(`${id}.throttleRateLimit`, props.throttleRateLimit);
  SETTINGS.throttleBurstLimit.check(`${id}.throttleBurstLimit`, props.throttleBurstLimit);
  checkAtLeast(
    `${id}.throttleBurstLimit`,
    props.throttleBurstLimit,
    `${id}.throttleRateLimit`,
    props.throttleRateLimit,
  );
  if (props.stageName !== undefined && !STAGE_NAME.test(props.stageName)) {
    throw new ConfigError(
      `${id}.stageName must be 1 to 128 letters, digits, "-" and "_" (got "${props.stageName}")`,
    );
  }
}

/**
 * The pipeline's front door, whatever API Gateway's type: one stage with a throttle and access logs,
 * the producers' authentication, and routes to functions that the route constructs (ingest, status,
 * analyses) add with `addRoute` without knowing the type. With `auth: 'iam'` it also holds the
 * managed policy a producer's role needs, which grows with every route added.
 * `RestPipelineApi` and `HttpPipelineApi` are the two types.
 */
export abstract class PipelineApi extends Construct {
  public readonly apiType: ApiType;
  public readonly auth: Auth;
  public readonly stageName: string;
  /** The stage's access log group, kept when the stack is deleted. */
  public readonly accessLogs: LogGroup;
  /**
   * With `auth: 'iam'`: `execute-api:Invoke` on exactly the routes added (method, path and stage), for
   * the producers' roles; undefined with `auth: 'apiKey'`.
   */
  public readonly producerPolicy?: ManagedPolicy;
  /** The API's id (REST API id or HTTP API id). */
  public abstract readonly apiId: string;
  /** The API's own metrics in `AWS/ApiGateway`, for the alarms and the dashboard. */
  public abstract readonly metrics: ApiMetrics;
  /** The usage plan's API key: with `auth: 'apiKey'` on a REST API; undefined otherwise. */
  public abstract readonly apiKey: IApiKey | undefined;

  private readonly producerStatement?: PolicyStatement;
  private readonly added: Route[] = [];

  protected constructor(scope: Construct, id: string, apiType: ApiType, props: PipelineApiProps) {
    super(scope, id);
    checkProps(id, apiType, props);
    this.apiType = apiType;
    this.auth = props.auth;
    this.stageName = props.stageName ?? 'prod';
    this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention });
    // An API without routes deploys nothing callable (and its producer policy would grant nothing).
    this.node.addValidation({
      validate: () => (this.added.length === 0 ? [`${id} has no routes: add them with addRoute`] : []),
    });
    if (props.auth === 'iam') {
      this.producerStatement = new PolicyStatement({ actions: ['execute-api:Invoke'] });
      this.producerPolicy = new ManagedPolicy(this, 'ProducerPolicy', {
        description: `Lets a producer call ${Stack.of(this).stackName}'s API (stage ${this.stageName}): every route, signed with SigV4`,
        statements: [this.producerStatement],
      });
    }
  }

  /**
   * Routes `method path` to `handler` (a Lambda proxy integration), behind the API's authentication;
   * with `auth: 'iam'`, the producer policy grants it. `path` starts with `/`; a `{name}` segment is a
   * path parameter.
   */
  public addRoute(method: RouteMethod, path: string, handler: IFunction, options: RouteOptions = {}): void {
    if (!ROUTE_PATH.test(path)) {
      throw new ConfigError(
        `${this.node.id} route path must be /-separated segments, each a name or a {parameter} (got "${path}")`,
      );
    }
    if (this.added.some((route) => route.method === method && route.path === path)) {
      throw new ConfigError(`${this.node.id} already has the route ${method} ${path}`);
    }
    this.added.push({ method, path });
    this.bindRoute(method, path, handler, options);
    this.producerStatement?.addResources(this.routeArn({ method, path }));
  }

  /** The execute-api ARN IAM matches every request on `route` with, on the stage: a `*` for each path parameter. */
  public routeArn({ method, path }: Route): string {
    return this.arnForExecuteApi(method, arnPathOf(path));
  }

  /** The routes added, in order. */
  public get routes(): readonly Route[] {
    return [...this.added];
  }

  /** The absolute URL of `path` on the stage, e.g. `https://<id>.execute-api.<region>.amazonaws.com/prod/items`. */
  public abstract urlForPath(path: string): string;

  /** Adds the route to the API itself. */
  protected abstract bindRoute(
    method: RouteMethod,
    path: string,
    handler: IFunction,
    options: RouteOptions,
  ): void;

  /** The execute-api ARN of `method` on `path` of the stage, as IAM policies name a route. */
  protected abstract arnForExecuteApi(method: RouteMethod, path: string): string;
}
