/**
 * X-Ray tracing of the SDK clients (src/tracing.ts): left alone where tracing cannot be on, wrapped
 * before their first call where it can; and the semver.gte the functions' bundles give the X-Ray SDK
 * (src/tracing-deps/semver.ts), checked against semver itself.
 */
import { ListTopicsCommand, SNSClient } from "@aws-sdk/client-sns";
import { gte } from "../../src/tracing-deps/semver";

const semver = require("semver") as { gte: (version: string, other: string) => boolean };

const XRAY_MIDDLEWARE = "XRaySDKInstrumentation";

const savedEnv = { ...process.env };
afterEach(() => {
  process.env = { ...savedEnv };
});

/** src/tracing.ts loaded afresh in the given environment, which stays until the test ends. */
function loadTracing(env: Record<string, string | undefined>): typeof import("../../src/tracing") {
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  let tracing: typeof import("../../src/tracing") | undefined;
  jest.isolateModules(() => {
    tracing = require("../../src/tracing");
  });
  if (!tracing) throw new Error("src/tracing.ts did not load");
  return tracing;
}

/** A client whose calls end before the network, recording its middleware when they run. */
function offlineClient(): { client: SNSClient; stacksSeen: string[][] } {
  const client = new SNSClient({
    region: "us-east-1",
    credentials: { accessKeyId: "a", secretAccessKey: "b" },
  });
  const stacksSeen: string[][] = [];
  client.middlewareStack.add(
    () => async () => {
      stacksSeen.push(client.middlewareStack.identify());
      return { output: { $metadata: {} }, response: {} };
    },
    { step: "initialize", name: "offline", priority: "high" },
  );
  return { client, stacksSeen };
}

describe("tracing of the SDK clients", () => {
  it.each([
    ["outside Lambda", { AWS_EXECUTION_ENV: undefined, POWERTOOLS_TRACE_ENABLED: undefined }],
    [
      "in Lambda with tracing turned off",
      { AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x", POWERTOOLS_TRACE_ENABLED: "false" },
    ],
  ])("leaves the client as it is %s", async (_name, env) => {
    const { traced } = loadTracing(env);
    const { client, stacksSeen } = offlineClient();
    expect(traced(client)).toBe(client);
    expect(client.send).toBe(SNSClient.prototype.send);
    await client.send(new ListTopicsCommand({}));
    expect(stacksSeen[0]).not.toEqual(expect.arrayContaining([expect.stringContaining(XRAY_MIDDLEWARE)]));
  });

  it("in Lambda, records the client's calls from the first one", async () => {
    const { traced } = loadTracing({
      AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
      POWERTOOLS_TRACE_ENABLED: undefined,
    });
    const { client, stacksSeen } = offlineClient();
    traced(client);
    // Sent at once, before the tracer has had a chance to load.
    await client.send(new ListTopicsCommand({}));
    await client.send(new ListTopicsCommand({}));
    for (const stack of stacksSeen) {
      expect(stack.filter((name) => name.includes(XRAY_MIDDLEWARE))).toHaveLength(1);
    }
    expect(stacksSeen).toHaveLength(2);
  });
});

describe("semver.gte for the X-Ray SDK", () => {
  it.each([
    ["22.11.0", "8.0.0"],
    ["8.0.0", "8.0.0"],
    ["7.10.1", "8.0.0"],
    ["v20.19.2", "8.0.0"],
    ["2.1000.0", "2.2.0"],
    ["2.2.0", "2.10.0"],
    ["1.0.10", "1.0.9"],
    ["1.0.9", "1.0.10"],
    ["10.0.0", "9.99.99"],
  ])("%s >= %s as semver says", (version, other) => {
    expect(gte(version, other)).toBe(semver.gte(version, other));
  });

  it.each(["1.0.0-rc.1", "1.0", "latest"])("refuses %s rather than guess", (version) => {
    expect(() => gte(version, "1.0.0")).toThrow(TypeError);
  });
});
