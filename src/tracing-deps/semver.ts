/**
 * `semver.gte` for the X-Ray SDK under the tracer (serverless.yml custom.esbuild.alias), the one
 * function of semver the functions' bundles call: cls-hooked compares Node's version with 8.0.0 when it
 * loads, and the X-Ray SDK checks the version of an AWS SDK v2 it is given (these functions give it
 * none). Why not semver itself: bench/README.md, "Build choices".
 */
const RELEASE = /^v?(\d+)\.(\d+)\.(\d+)$/;

function release(version: string): [number, number, number] {
  const match = RELEASE.exec(version.trim());
  if (!match) throw new TypeError(`Invalid Version: ${version} (only MAJOR.MINOR.PATCH is compared)`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

/** Whether `version` is `other` or a later release. */
export function gte(version: string, other: string): boolean {
  const [a, b] = [release(version), release(other)];
  for (let part = 0; part < 3; part += 1) {
    const difference = (a[part] ?? 0) - (b[part] ?? 0);
    if (difference !== 0) return difference > 0;
  }
  return true;
}
