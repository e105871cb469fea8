import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { FAILED_PREFIX, RESULTS_PREFIX } from '../../../lambdas/domain/keys';

export interface StorageProps {
  /** Days before result and failure objects expire; 0 keeps them. */
  readonly retentionDays: number;
}

/** The results bucket: private, encrypted, TLS only, kept when the stack is deleted. */
export class Storage extends Construct {
  public readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    if (!Number.isInteger(props.retentionDays) || props.retentionDays < 0) {
      throw new Error(
        `${id}: retentionDays must be a whole number of days, 0 for no expiry (got ${props.retentionDays})`,
      );
    }
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
