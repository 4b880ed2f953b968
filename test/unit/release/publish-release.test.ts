/** The release publication and the stack outputs it reads, against stubbed AWS clients. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { parse } from "yaml";
import { apiVersion, clientTarballName } from "../../../scripts/client-pack";
import { contractVersion, publishRelease, releaseFiles } from "../../../scripts/publish-release";
import {
  ReleaseError,
  requireOutput,
  stackName,
  stackOutputs,
  stageArgument,
} from "../../../scripts/release/stack-outputs";

const ROOT = join(__dirname, "..", "..", "..");

describe("stageArgument", () => {
  it.each([
    [["--stage", "dev"], "dev"],
    [["--stage=staging"], "staging"],
    [["--region", "eu-west-1", "--stage", "pr-42"], "pr-42"],
  ])("reads %j", (argv, want) => {
    expect(stageArgument(argv)).toBe(want);
  });

  it.each([[[]], [["--stage"]], [["--stage", "Prod"]], [["--stage", "../x"]]])("refuses %j", (argv) => {
    expect(() => stageArgument(argv)).toThrow(ReleaseError);
  });
});

describe("stackOutputs", () => {
  const cloudFormation = mockClient(CloudFormationClient);
  afterEach(() => cloudFormation.reset());

  it("reads the outputs of purchases-<stage>", async () => {
    cloudFormation.on(DescribeStacksCommand, { StackName: "purchases-dev" }).resolves({
      Stacks: [
        {
          StackName: "purchases-dev",
          CreationTime: new Date(),
          StackStatus: "UPDATE_COMPLETE",
          Outputs: [
            { OutputKey: "HttpApiUrl", OutputValue: "https://abc.execute-api.us-east-1.amazonaws.com" },
            { OutputKey: "ArtifactsBucketName", OutputValue: "purchases-dev-123-artifacts" },
          ],
        },
      ],
    });
    const outputs = await stackOutputs("dev", new CloudFormationClient({ region: "us-east-1" }));
    expect(stackName("dev")).toBe("purchases-dev");
    expect(requireOutput(outputs, "HttpApiUrl", "dev")).toBe(
      "https://abc.execute-api.us-east-1.amazonaws.com",
    );
    expect(() => requireOutput(outputs, "MwaaEnvironmentName", "dev")).toThrow(
      "the stack purchases-dev has no output MwaaEnvironmentName",
    );
  });

  it("says when the stage is not deployed", async () => {
    cloudFormation.on(DescribeStacksCommand).rejects(new Error("Stack with id purchases-qa does not exist"));
    await expect(stackOutputs("qa", new CloudFormationClient({ region: "us-east-1" }))).rejects.toThrow(
      "cannot read the stack purchases-qa: is the stage deployed?",
    );
  });
});

describe("the release", () => {
  const tarball = join(mkdtempSync(join(tmpdir(), "release-")), clientTarballName(apiVersion()));
  writeFileSync(tarball, "packed");

  it("puts each file under the version of its contract", () => {
    const openapi = parse(readFileSync(join(ROOT, "openapi.yaml"), "utf8"));
    const contract = parse(readFileSync(join(ROOT, "datacontract.yaml"), "utf8"));
    expect(apiVersion()).toBe(openapi.info.version);
    expect(contractVersion()).toBe(String(contract.version));
    const api = `published/api/${openapi.info.version}`;
    const data = `published/contract/${contract.version}`;
    expect(releaseFiles(tarball).map((f) => [f.key, f.contentType])).toEqual([
      [`${api}/openapi.yaml`, "application/yaml"],
      [`${api}/api.html`, "text/html; charset=utf-8"],
      [`${data}/datacontract.yaml`, "application/yaml"],
      [`${data}/contract.html`, "text/html; charset=utf-8"],
      [
        `published/client/${openapi.info.version}/purchases-client-${openapi.info.version}.tgz`,
        "application/gzip",
      ],
    ]);
  });

  it("is refused when the client was not packed", () => {
    expect(() => releaseFiles(join(tmpdir(), "no-such-client.tgz"))).toThrow("missing release files");
  });

  it("uploads every file to the bucket with its content type", async () => {
    const s3 = mockClient(S3Client);
    s3.on(PutObjectCommand).resolves({});
    const files = releaseFiles(tarball);
    const addresses = await publishRelease(
      "purchases-prod-1-artifacts",
      files,
      new S3Client({ region: "us-east-1" }),
    );
    expect(addresses).toEqual(files.map((f) => `s3://purchases-prod-1-artifacts/${f.key}`));
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => [p.Key, p.ContentType])).toEqual(files.map((f) => [f.key, f.contentType]));
    expect(Buffer.from(puts[4]?.Body as Buffer).toString()).toBe("packed");
    s3.restore();
  });
});
