/**
 * `npm run client:pack`: the typed client of the Purchases API as an installable npm package,
 * `dist/client/purchases-client-<version>.tgz`. It holds generated/client.ts and the types of
 * generated/openapi/types.ts compiled to JavaScript (CommonJS) with their declarations, is versioned
 * with openapi.yaml's info.version, and depends on openapi-fetch at the version this repository pins.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { parse } from "yaml";
import { DomainError } from "../src/errors";

export const CLIENT_PACKAGE = "@purchases/client";
const ROOT = join(__dirname, "..");
const SOURCES = ["generated/client.ts", "generated/openapi/types.ts"];

export class ClientPackError extends DomainError {}

/** The file `npm pack` makes of the package (a scope's @ and / become the name's prefix). */
export function clientTarballName(version: string): string {
  return `${CLIENT_PACKAGE.replace(/^@/, "").replace("/", "-")}-${version}.tgz`;
}

/** openapi.yaml's info.version: the version of the API, and of its client package. */
export function apiVersion(root = ROOT): string {
  const version = (parse(readFileSync(join(root, "openapi.yaml"), "utf8")) as { info: { version: string } })
    .info.version;
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version)) {
    throw new ClientPackError(`openapi.yaml's info.version is not a semantic version: ${version}`);
  }
  return version;
}

/** The package's manifest: openapi-fetch at the exact version the repository's lockfile pins. */
export function clientManifest(version: string, root = ROOT): Record<string, unknown> {
  const project = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    license: string;
    engines: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  const openapiFetch = project.devDependencies["openapi-fetch"];
  if (!openapiFetch) throw new ClientPackError("package.json pins no openapi-fetch");
  return {
    name: CLIENT_PACKAGE,
    version,
    description: "Typed client of the Purchases API (openapi.yaml), built on openapi-fetch",
    license: project.license,
    main: "dist/client.js",
    types: "dist/client.d.ts",
    files: ["dist"],
    sideEffects: false,
    engines: project.engines,
    dependencies: { "openapi-fetch": openapiFetch },
  };
}

function compile(outDir: string, root: string): void {
  const program = ts.createProgram(
    SOURCES.map((s) => join(root, s)),
    {
      rootDir: join(root, "generated"),
      outDir,
      declaration: true,
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      target: ts.ScriptTarget.ES2022,
      lib: ["lib.es2023.d.ts", "lib.dom.d.ts"],
      strict: true,
      esModuleInterop: true,
      skipLibCheck: true,
      removeComments: false,
    },
  );
  const result = program.emit();
  const problems = [...ts.getPreEmitDiagnostics(program), ...result.diagnostics];
  if (problems.length > 0 || result.emitSkipped) {
    const text = ts.formatDiagnostics(problems, {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => root,
      getNewLine: () => "\n",
    });
    throw new ClientPackError(`the client does not compile:\n${text}`);
  }
}

/** Builds the package in `<outDir>/package` and packs it into `outDir`; returns the tarball's path. */
export function packClient(outDir = join(ROOT, "dist/client"), root = ROOT): string {
  const version = apiVersion(root);
  const build = join(outDir, "package");
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(build, { recursive: true });
  compile(join(build, "dist"), root);
  writeFileSync(join(build, "package.json"), `${JSON.stringify(clientManifest(version, root), null, 2)}\n`);
  writeFileSync(
    join(build, "README.md"),
    [
      `# ${CLIENT_PACKAGE} ${version}`,
      "",
      "Typed client of the Purchases API, generated from its openapi.yaml.",
      "",
      "```ts",
      `import { createPurchasesClient } from "${CLIENT_PACKAGE}";`,
      "",
      'const client = createPurchasesClient("https://<api>", { headers: { authorization: "Bearer <token>" } });',
      'const { data, error, response } = await client.POST("/purchases", { body: purchase });',
      "```",
      "",
    ].join("\n"),
  );
  const [packed] = JSON.parse(
    execFileSync("npm", ["pack", "--json", "--pack-destination", outDir], { cwd: build, encoding: "utf8" }),
  ) as Array<{ filename: string }>;
  if (!packed) throw new ClientPackError("npm pack packed nothing");
  return join(outDir, packed.filename);
}

if (require.main === module) {
  try {
    const tarball = packClient();
    console.log(relative(process.cwd(), tarball));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
