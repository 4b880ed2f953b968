/**
 * The one place the local runtime reads its environment and writes its defaults. The handlers' variables
 * stay with src/config.ts; these are the ones Lambda itself would hold locally: the ports to serve on,
 * the queue the event source polls, how soon a failed record returns.
 * A missing or malformed variable fails at start with a message that names it.
 */
import { integerEnv as integerIn, requiredEnv as required } from "../env";

export const LOCAL_DEFAULTS = {
  /** The API's TCP port on 127.0.0.1 (README: `npm start` serves on :3000); 0 lets the kernel pick. */
  apiPort: 3000,
  /** The emulator's TCP port, the endpoint the AWS CLI and `npm run lake` use by default. */
  emulatorPort: 4566,
  /**
   * Visibility timeout of the local event source's receives, in seconds: a record that failed, or whose
   * consumer died, comes back within seconds locally rather than after the deployed queue's 180 s.
   */
  retryAfterSeconds: 2,
} as const;

export const localEnv = {
  /** The API's TCP port (PORT). */
  get port(): number {
    return integerIn("PORT", LOCAL_DEFAULTS.apiPort, 0, 65_535);
  },
  /** The emulator's TCP port (EMULATOR_PORT). */
  get emulatorPort(): number {
    return integerIn("EMULATOR_PORT", LOCAL_DEFAULTS.emulatorPort, 0, 65_535);
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
  /** Visibility timeout of the consumer's receives, in seconds (RETRY_AFTER_SECONDS). */
  get retryAfterSeconds(): number {
    return integerIn("RETRY_AFTER_SECONDS", LOCAL_DEFAULTS.retryAfterSeconds, 1, 43_200);
  },
  /** Where the functions' AWS calls are recorded (src/local/aws-call-log.ts); unset, they are not. */
  get awsCallLogDir(): string | undefined {
    return process.env.AWS_CALL_LOG_DIR?.trim() || undefined;
  },
};
