/**
 * The one place the local runtime's own processes (api-process.ts, consumer-process.ts) read their
 * environment. The handlers' variables stay with src/config.ts; these are the ones Lambda itself would
 * hold locally: the port to serve on, the queue the event source polls, how soon a failed record returns.
 * A missing or malformed variable fails at start with a message that names it.
 */
import { integerEnv as integerIn, requiredEnv as required } from "../env";

export const localEnv = {
  /** The API's TCP port on 127.0.0.1; 0 (the default) lets the kernel pick a free one. */
  get port(): number {
    return integerIn("PORT", 0, 0, 65_535);
  },
  /** The purchases queue the consumer's event source polls. */
  get queueUrl(): string {
    return required("QUEUE_URL");
  },
  /** Its ARN, which Lambda puts in every record's eventSourceARN. */
  get queueArn(): string {
    return required("QUEUE_ARN");
  },
  /** The region the records name (awsRegion); the SDK reads the same variable. */
  get region(): string {
    return required("AWS_REGION");
  },
  /**
   * Visibility timeout of the local event source's receives, in seconds. 2 by default, as in
   * startSystem: a record that failed, or whose consumer died, comes back within seconds locally
   * rather than after the deployed queue's 180 s.
   */
  get retryAfterSeconds(): number {
    return integerIn("RETRY_AFTER_SECONDS", 2, 1, 43_200);
  },
  /** Where the functions' AWS calls are recorded (src/local/aws-call-log.ts); unset, they are not. */
  get awsCallLogDir(): string | undefined {
    return process.env.AWS_CALL_LOG_DIR?.trim() || undefined;
  },
};
