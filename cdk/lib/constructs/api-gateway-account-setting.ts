import { CustomResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { ManagedPolicy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { PipelineFunction } from './pipeline-function';

export interface ApiGatewayAccountSettingProps {
  /** Retention of the setting function's log group. */
  readonly logRetention: RetentionDays;
}

/**
 * API Gateway's CloudWatch Logs role for the account and Region (access logging needs one): a role
 * with AWS's `AmazonAPIGatewayPushToCloudWatchLogs`, and a custom resource that names it in the
 * account setting only when none is set (lambdas/account-setting). Role and setting are kept when
 * the stack is deleted: other APIs in the account may log through them. It replaces the role and
 * `AWS::ApiGateway::Account` every RestApi would make, which repoint the one setting at each
 * stack's own role (the last deploy wins) and leave a role behind per stack.
 */
export class ApiGatewayAccountSetting extends Construct {
  public readonly role: Role;
  public readonly setterFunction: NodejsFunction;
  public readonly setting: CustomResource;
  /** The role the account logs through after the deploy: ours, or the one that was already set. */
  public readonly effectiveRoleArn: string;

  constructor(scope: Construct, id: string, props: ApiGatewayAccountSettingProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.role = new Role(this, 'CloudWatchRole', {
      assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
      managedPolicies: [
        ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs'),
      ],
    });
    this.role.applyRemovalPolicy(RemovalPolicy.RETAIN);

    this.setterFunction = new PipelineFunction(this, 'Setter', {
      entry: 'lambdas/account-setting/handler.ts',
      serviceName: 'api-gateway-account',
      // A new role may take a minute to reach API Gateway (account-setting.ts waits for it).
      timeout: Duration.minutes(2),
      logRetention: props.logRetention,
    }).function;
    const accountArn = `arn:${stack.partition}:apigateway:${stack.region}::/account`;
    this.setterFunction.addToRolePolicy(
      new PolicyStatement({ actions: ['apigateway:GET', 'apigateway:PATCH'], resources: [accountArn] }),
    );
    this.role.grantPassRole(this.setterFunction.grantPrincipal);

    this.setting = new CustomResource(this, 'Setting', {
      serviceToken: this.setterFunction.functionArn,
      resourceType: 'Custom::ApiGatewayCloudWatchRole',
      properties: { RoleArn: this.role.roleArn },
      // No Delete request at all: the setting outlives the stack, as the role does.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.effectiveRoleArn = this.setting.getAttString('RoleArn');
  }
}
