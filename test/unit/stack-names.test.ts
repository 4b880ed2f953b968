/** The stage's names from resources/stack.yml, the stage-name rules, and the refusal of placeholders. */
import {
  checkStageName,
  checkStageParams,
  main,
  nameProblems,
  placeholderParams,
  readStackFile,
  resolveNames,
  StackNameError,
  stackNames,
  stageLengthBound,
  stageParams,
} from "../../src/stack-names";

const LONGEST_REGION = "ap-southeast-2";
const ACCOUNT = "123456789012";

describe("stackNames", () => {
  it("puts the account and the region in every bucket name", () => {
    const names = stackNames({ stage: "dev", region: "eu-west-1", accountId: ACCOUNT });
    const buckets = Object.entries(names).filter(([key]) => key.endsWith("Bucket"));
    expect(buckets.length).toBeGreaterThanOrEqual(6);
    for (const [key, bucket] of buckets) {
      expect([key, bucket]).toEqual([
        key,
        expect.stringMatching(/^purchases-dev-123456789012-eu-west-1-[a-z-]+$/),
      ]);
    }
  });

  it("gives two regions of one account different bucket names", () => {
    const east = stackNames({ stage: "prod", region: "us-east-1", accountId: ACCOUNT });
    const west = stackNames({ stage: "prod", region: "us-west-2", accountId: ACCOUNT });
    expect(east.bronzeBucket).not.toBe(west.bronzeBucket);
    expect(east.purchasesTopic).toBe(west.purchasesTopic);
  });

  it.each([
    ["a plain stage", { stage: "dev", want: "purchases_dev_lake" }],
    ["a stage with hyphens", { stage: "feature-x", want: "purchases_feature_x_lake" }],
    ["a stage with several hyphens", { stage: "a-b-c", want: "purchases_a_b_c_lake" }],
  ])("names the Glue database with underscores: %s", (_name, { stage, want }) => {
    expect(stackNames({ stage, region: "us-east-1", accountId: ACCOUNT }).glueDatabase).toBe(want);
  });

  it("resolves every name of resources/stack.yml, with no variable left", () => {
    const names = stackNames({ stage: "local", region: "us-east-1", accountId: ACCOUNT });
    expect(Object.keys(names).sort()).toEqual(Object.keys(readStackFile().names).sort());
    for (const name of Object.values(names)) expect(name).not.toContain("${");
  });

  it("names an unknown variable in resources/stack.yml", () => {
    const unknown = ["$", "{opt:color}"].join("");
    const file = { names: { purchasesTopic: `purchases-${unknown}` }, settings: {} };
    expect(() =>
      resolveNames({ stage: "dev", region: "us-east-1", accountId: ACCOUNT }, file, "purchases"),
    ).toThrow(`resources/stack.yml: purchasesTopic uses unknown ${unknown}`);
  });
});

describe("checkStageName", () => {
  const { maxLength, boundBy } = stageLengthBound();

  it("bounds the stage by the longest derived name, a bucket with the longest region", () => {
    expect(boundBy).toBe("athenaResultsBucket");
    // purchases-<stage>-<12-digit account>-<14-character region>-athena-results has at most 63 characters.
    expect(maxLength).toBe(63 - "purchases--123456789012-ap-southeast-2-athena-results".length);
  });

  it.each([
    ["upper case", { stage: "Feature-x", want: "is not a valid stage name" }],
    ["an underscore", { stage: "feature_x", want: "is not a valid stage name" }],
    ["a leading digit", { stage: "1dev", want: "is not a valid stage name" }],
    ["a leading hyphen", { stage: "-dev", want: "is not a valid stage name" }],
    ["a trailing hyphen", { stage: "dev-", want: "is not a valid stage name" }],
    ["two hyphens in a row", { stage: "a--b", want: "is not a valid stage name" }],
    ["a dot", { stage: "a.b", want: "is not a valid stage name" }],
    ["the empty name", { stage: "", want: "is not a valid stage name" }],
    ["one character too many", { stage: "f".repeat(maxLength + 1), want: `at most ${maxLength} fit` }],
  ])("refuses %s, naming the stage", (_name, { stage, want }) => {
    expect(() => checkStageName(stage)).toThrow(StackNameError);
    expect(() => checkStageName(stage)).toThrow(`stage "${stage}"`);
    expect(() => checkStageName(stage)).toThrow(want);
  });

  it.each(["dev", "prod", "local", "feature-x", "f".repeat(maxLength), `feat-${"1".repeat(maxLength - 5)}`])(
    "accepts %p, and every name derived from it fits AWS's limits in the longest region",
    (stage) => {
      expect(() => checkStageName(stage)).not.toThrow();
      expect(nameProblems(resolveNames({ stage, region: LONGEST_REGION, accountId: ACCOUNT }))).toEqual([]);
    },
  );
});

describe("nameProblems", () => {
  const valid = resolveNames({ stage: "dev", region: "us-east-1", accountId: ACCOUNT });

  it.each([
    ["a bucket name over 63 characters", { key: "bronzeBucket", name: "b".repeat(64), want: "at most 63" }],
    [
      "a bucket name with upper case",
      { key: "goldBucket", name: "Purchases-gold", want: "not a valid S3 bucket" },
    ],
    [
      "a bucket name with an underscore",
      { key: "goldBucket", name: "purchases_gold", want: "not a valid S3" },
    ],
    ["a queue name over 80 characters", { key: "purchasesDlq", name: "q".repeat(81), want: "at most 80" }],
    [
      "a Glue database with a hyphen",
      { key: "glueDatabase", name: "purchases_a-b_lake", want: "Glue database" },
    ],
    ["an MWAA name over 80 characters", { key: "mwaaEnvironment", name: "m".repeat(81), want: "at most 80" }],
    ["an EMR name over 64 characters", { key: "emrApplication", name: "e".repeat(65), want: "at most 64" }],
  ])("finds %s", (_name, { key, name, want }) => {
    const problems = nameProblems({ ...valid, [key]: name });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(key);
    expect(problems[0]).toContain(want);
  });

  it("finds nothing wrong with the names of dev", () => {
    expect(nameProblems(valid)).toEqual([]);
  });
});

describe("checkStageParams", () => {
  const real = { jwtIssuer: "https://login.purchases.internal/", alarmEmail: "alerts@purchases.internal" };

  it.each([
    ["staging", { stage: "staging", params: {} }],
    ["prod", { stage: "prod", params: {} }],
    ["a stage marked production", { stage: "eu", params: { production: true } }],
    ["a stage marked production on the command line", { stage: "eu", params: { production: "true" } }],
  ])("refuses %s while a parameter holds a placeholder, naming it", (_name, { stage, params }) => {
    const given = { ...real, ...params, jwtIssuer: "https://auth.example.com/" };
    expect(() => checkStageParams(stage, given)).toThrow(StackNameError);
    expect(() => checkStageParams(stage, given)).toThrow(`stage "${stage}"`);
    expect(() => checkStageParams(stage, given)).toThrow("jwtIssuer (https://auth.example.com/)");
    expect(() => checkStageParams(stage, { ...given, jwtIssuer: real.jwtIssuer })).not.toThrow();
  });

  it.each(["dev", "local", "feature-x"])("lets %p keep the shipped examples", (stage) => {
    expect(() =>
      checkStageParams(stage, { ...real, jwtIssuer: "https://auth.example.com/dev/" }),
    ).not.toThrow();
  });

  it.each([
    ["an example.com URL", { value: "https://auth.example.com/", placeholder: true }],
    ["an example.org address", { value: "ops@example.org", placeholder: true }],
    ["a sub-domain of example.net", { value: "https://idp.example.net/x", placeholder: true }],
    ["an .example domain", { value: "https://idp.purchases.example/", placeholder: true }],
    ["CHANGE_ME", { value: "CHANGE_ME", placeholder: true }],
    ["a real domain that ends in example", { value: "https://auth.myexample.com/", placeholder: false }],
    ["a real address", { value: "alerts@purchases.internal", placeholder: false }],
    ["a number", { value: 512, placeholder: false }],
  ])("tells a placeholder from a value: %s", (_name, { value, placeholder }) => {
    expect(placeholderParams({ value })).toEqual(placeholder ? [["value", value]] : []);
  });
});

describe("stageParams", () => {
  it("merges --param over the stage's params over the defaults, as serverless does", () => {
    const params = stageParams("prod", ["jwtIssuer=https://login.purchases.internal/"]);
    expect(params.jwtIssuer).toBe("https://login.purchases.internal/");
    expect(params.logRetentionDays).toBe(365); // prod's own
    expect(params.queueAgeAlarmSeconds).toBe(300); // the default
  });

  it("refuses a --param without a value, naming it", () => {
    expect(() => stageParams("dev", ["jwtIssuer"])).toThrow('--param "jwtIssuer": expected <name>=<value>');
  });

  it("finds the shipped placeholders of staging and prod in serverless.yml", () => {
    for (const stage of ["staging", "prod"]) {
      expect(placeholderParams(stageParams(stage)).map(([name]) => name)).toEqual(
        expect.arrayContaining(["alarmEmail", "jwtIssuer"]),
      );
    }
  });
});

describe("the command line", () => {
  let out: string[];
  let err: string[];
  beforeEach(() => {
    out = [];
    err = [];
    jest.spyOn(process.stdout, "write").mockImplementation((chunk) => out.push(String(chunk)) > 0);
    jest.spyOn(process.stderr, "write").mockImplementation((chunk) => err.push(String(chunk)) > 0);
  });
  afterEach(() => jest.restoreAllMocks());

  it("prints the names and the resolved settings as JSON", () => {
    expect(main(["--stage", "feature-x", "--region", "eu-west-1", "--account-id", ACCOUNT, "--json"])).toBe(
      0,
    );
    const printed = JSON.parse(out.join(""));
    expect(printed.names.glueDatabase).toBe("purchases_feature_x_lake");
    expect(printed.names.artifactsBucket).toBe("purchases-feature-x-123456789012-eu-west-1-artifacts");
    expect(printed.settings.mwaaRequirementsVersionParameter).toBe(
      "/purchases/feature-x/mwaa-requirements-version",
    );
  });

  it.each([
    ["a bad stage", { argv: ["--stage", "Prod"], want: 'stage "Prod" is not a valid stage name' }],
    ["prod's placeholders with --check", { argv: ["--stage", "prod", "--check"], want: "alarmEmail (" }],
  ])("refuses %s on stderr with exit code 1", (_name, { argv, want }) => {
    expect(main(argv)).toBe(1);
    expect(out).toEqual([]);
    expect(err.join("")).toContain(want);
  });
});
