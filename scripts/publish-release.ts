/**
 * `npm run publish:release -- --stage <stage>`: what a deployed version offers the people who build on
 * it, under versioned paths of the stage's artifacts bucket (run `npm run client:pack` first):
 *   published/api/<info.version of openapi.yaml>/      openapi.yaml, api.html (the API reference)
 *   published/contract/<version of datacontract.yaml>/ datacontract.yaml, contract.html
 *   published/client/<info.version>/                   purchases-client-<info.version>.tgz (npm install it)
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { parse } from "yaml";
import { apiVersion, clientTarballName } from "./client-pack";
import { ReleaseError, requireOutput, stackOutputs, stageArgument } from "./release/stack-outputs";

const ROOT = join(__dirname, "..");
export const PUBLISHED_PREFIX = "published";

export interface ReleaseFile {
  source: string;
  key: string;
  contentType: string;
}

export function contractVersion(root = ROOT): string {
  return String(
    (parse(readFileSync(join(root, "datacontract.yaml"), "utf8")) as { version: unknown }).version,
  );
}

/** Each file of the release and where it goes in the bucket. */
export function releaseFiles(clientTarball: string, root = ROOT): ReleaseFile[] {
  const api = `${PUBLISHED_PREFIX}/api/${apiVersion(root)}`;
  const contract = `${PUBLISHED_PREFIX}/contract/${contractVersion(root)}`;
  const files = [
    { source: join(root, "openapi.yaml"), key: `${api}/openapi.yaml`, contentType: "application/yaml" },
    {
      source: join(root, "generated/html/api.html"),
      key: `${api}/api.html`,
      contentType: "text/html; charset=utf-8",
    },
    {
      source: join(root, "datacontract.yaml"),
      key: `${contract}/datacontract.yaml`,
      contentType: "application/yaml",
    },
    {
      source: join(root, "generated/html/contract.html"),
      key: `${contract}/contract.html`,
      contentType: "text/html; charset=utf-8",
    },
    {
      source: clientTarball,
      key: `${PUBLISHED_PREFIX}/client/${apiVersion(root)}/${basename(clientTarball)}`,
      contentType: "application/gzip",
    },
  ];
  const missing = files.filter((f) => !existsSync(f.source)).map((f) => f.source);
  if (missing.length > 0) throw new ReleaseError(`missing release files: ${missing.join(", ")}`);
  return files;
}

/** Uploads the files; returns their s3:// addresses. */
export async function publishRelease(bucket: string, files: ReleaseFile[], s3: S3Client): Promise<string[]> {
  const published = [];
  for (const file of files) {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: file.key,
        Body: readFileSync(file.source),
        ContentType: file.contentType,
      }),
    );
    published.push(`s3://${bucket}/${file.key}`);
  }
  return published;
}

async function main(): Promise<void> {
  const stage = stageArgument(process.argv.slice(2));
  const tarball = join(ROOT, "dist/client", clientTarballName(apiVersion()));
  const files = releaseFiles(tarball);
  const bucket = requireOutput(await stackOutputs(stage), "ArtifactsBucketName", stage);
  for (const address of await publishRelease(bucket, files, new S3Client({}))) console.log(address);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`publishing failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
