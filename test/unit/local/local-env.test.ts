/** The local runtime's own environment: defaults where it has them, and a message naming what is wrong. */
import { ConfigurationError } from "../../../src/errors";
import { localEnv } from "../../../src/local/local-env";

const NAMES = ["PORT", "EMULATOR_PORT", "QUEUE_URL", "QUEUE_ARN", "AWS_REGION", "RETRY_AFTER_SECONDS"];
let saved: Record<string, string | undefined>;

beforeEach(() => {
  saved = Object.fromEntries(NAMES.map((name) => [name, process.env[name]]));
  for (const name of NAMES) delete process.env[name];
});

afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe("localEnv", () => {
  it.each([
    ["port", "PORT", "8080", 8080],
    ["port", "PORT", "0", 0],
    ["emulatorPort", "EMULATOR_PORT", "4570", 4570],
    [
      "queueUrl",
      "QUEUE_URL",
      " http://127.0.0.1:4566/123456789012/q ",
      "http://127.0.0.1:4566/123456789012/q",
    ],
    ["queueArn", "QUEUE_ARN", "arn:aws:sqs:us-east-1:123456789012:q", "arn:aws:sqs:us-east-1:123456789012:q"],
    ["region", "AWS_REGION", "us-east-1", "us-east-1"],
    ["retryAfterSeconds", "RETRY_AFTER_SECONDS", "5", 5],
  ] as const)("reads %s from %s", (setting, name, raw, want) => {
    process.env[name] = raw;
    expect(localEnv[setting]).toBe(want);
  });

  it.each([
    ["port", 3000],
    ["emulatorPort", 4566],
    ["retryAfterSeconds", 2],
  ] as const)("defaults %s to %p", (setting, want) => {
    expect(localEnv[setting]).toBe(want);
  });

  it.each([
    ["queueUrl", "QUEUE_URL", undefined],
    ["queueArn", "QUEUE_ARN", "  "],
    ["region", "AWS_REGION", undefined],
    ["port", "PORT", "http"],
    ["port", "PORT", "70000"],
    ["emulatorPort", "EMULATOR_PORT", "-1"],
    ["retryAfterSeconds", "RETRY_AFTER_SECONDS", "0"],
    ["retryAfterSeconds", "RETRY_AFTER_SECONDS", "1.5"],
  ] as const)("refuses %s when %s is %p, naming the variable", (setting, name, raw) => {
    if (raw !== undefined) process.env[name] = raw;
    let error: unknown;
    try {
      void localEnv[setting];
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).variable).toBe(name);
    expect((error as ConfigurationError).message).toContain(name);
  });
});
