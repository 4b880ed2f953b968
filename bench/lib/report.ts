/** Figures and the context they were measured in: machine, runtime, versions, load. */
import { readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";

export const ROOT = join(__dirname, "..", "..");

export function median(values: number[]): number {
  return percentile(values, 50);
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

function version(pkg: string): string {
  try {
    return (
      JSON.parse(readFileSync(join(ROOT, "node_modules", pkg, "package.json"), "utf8")) as { version: string }
    ).version;
  } catch {
    return "?";
  }
}

export function machineReport(): string {
  const cpu = cpus();
  return [
    `machine   ${cpu[0]?.model ?? "unknown CPU"} x${cpu.length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, load ${loadavg()
      .map((value) => value.toFixed(2))
      .join(" ")}`,
    `runtime   node ${process.version} (${process.platform}/${process.arch}); Lambda runs nodejs22.x on arm64`,
    `versions  esbuild ${version("esbuild")}, @aws-sdk/client-sns ${version("@aws-sdk/client-sns")}, ` +
      `@aws-sdk/client-dynamodb ${version("@aws-sdk/client-dynamodb")}, powertools ${version("@aws-lambda-powertools/idempotency")}, ` +
      `openapi-backend ${version("openapi-backend")}`,
  ].join("\n");
}

export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? "").length)));
  return cells
    .map((row, index) => {
      const line = row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ");
      return index === 0 ? `${line}\n${widths.map((width) => "-".repeat(width)).join("  ")}` : line;
    })
    .join("\n");
}

export const ratio = (value: number, baseline: number) => `${(value / baseline).toFixed(2)}x`;
