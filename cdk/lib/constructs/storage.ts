import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { FAILED_PREFIX, RESULTS_PREFIX } from '../../../lambdas/domain/keys';
import { SETTINGS } from '../../../lambdas/domain/settings';

export interface StorageProps {
  /**
   * Days before objects under `results/` and `failed/` expire; 0 keeps them forever.
   * An integer from 0 to 36,500 (`SETTINGS.retentionDays`).
   */
  readonly retentionDays: number;
}

/** The results bucket: private, encrypted, TLS only, kept when the stack is deleted. */
export class Storage extends Construct {
  public readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    SETTINGS.retentionDays.check(`${id}.retentionDays`, props.retentionDays);
    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Stored items are the product: deleting the stack must not delete them.
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules:
        props.retentionDays > 0
          ? [RESULTS_PREFIX, FAILED_PREFIX].map((prefix) => ({
              id: `expire-${prefix.replace('/', '')}`,
              prefix,
              expiration: Duration.days(props.retentionDays),
            }))
          : [],
    });
  }
}
