/**
 * The running system through the clients openapi-generator generates from openapi.yaml: Python
 * (`python`) and TypeScript (`typescript-fetch`, which needs no HTTP library: it calls the platform's
 * fetch). Each is generated into a temporary folder, then a driver in test/e2e/clients/ posts a purchase,
 * reads it back once stored, and provokes every refusal the local system can give; every answer,
 * errors included, must be read into the generated model its operation declares for that status.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const ROOT = join(__dirname, "..", "..");
const apiUrl = process.env.API_URL ?? "";

// Generating both clients (one JVM) and type-checking the TypeScript one take seconds; a busy machine more.
jest.setTimeout(240_000);

interface Answer {
  case: string;
  status: number | null;
  model: string | null;
  value?: Record<string, unknown> & { errors?: { field: string; location: string; reason: string }[] };
  headers: Record<string, string>;
  /** The fields a client refused before sending, when its generated code checks the spec's rules. */
  refused_by_client?: string[];
}

type Client = "python" | "typescript";
const answers = new Map<Client, Map<string, Answer>>();
const timings: string[] = [];
let outDir = "";

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await work();
  timings.push(`${label}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

function byCase(stdout: string): Map<string, Answer> {
  return new Map((JSON.parse(stdout) as Answer[]).map((answer) => [answer.case, answer]));
}

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), "purchases-clients-"));
  await timed("generate both clients", () =>
    run("bash", [join(ROOT, "scripts", "generate-clients.sh"), outDir], { cwd: ROOT }),
  );
  // The Python client mostly waits on the system; the type-check meanwhile uses the CPU.
  const [python] = await Promise.all([
    timed("python client against the system", () =>
      run(
        join(ROOT, ".tools", "venv-clients", "bin", "python"),
        [join(__dirname, "clients", "python_client.py"), apiUrl, join(outDir, "python")],
        { cwd: ROOT },
      ),
    ),
    timed("type-check the typescript client", () =>
      run(join(ROOT, "node_modules", ".bin", "tsc"), ["-p", join(outDir, "tsconfig.json")], { cwd: ROOT }),
    ),
  ]);
  answers.set("python", byCase(python.stdout));
  const typescript = await timed("typescript client against the system", () =>
    run(
      join(ROOT, "node_modules", ".bin", "tsx"),
      [
        "--tsconfig",
        join(outDir, "tsconfig.json"),
        join(__dirname, "clients", "typescript-client.ts"),
        apiUrl,
      ],
      { cwd: ROOT },
    ),
  );
  answers.set("typescript", byCase(typescript.stdout));
});

afterAll(() => {
  if (outDir) rmSync(outDir, { recursive: true, force: true });
  console.log(`generated clients:\n  ${timings.join("\n  ")}`);
});

const utcToday = () => new Date().toISOString().slice(0, 10);

interface Want {
  status: number;
  model: "Health" | "Purchase" | "Problem";
  /** The field a problem names. */
  field?: string;
}

const common: [string, Want][] = [
  ["health", { status: 200, model: "Health" }],
  ["create", { status: 202, model: "Purchase" }],
  ["replay", { status: 202, model: "Purchase" }],
  ["read", { status: 200, model: "Purchase" }],
  ["conflict", { status: 409, model: "Problem", field: "Idempotency-Key" }],
  ["date after tomorrow", { status: 422, model: "Problem", field: "purchase_date" }],
  ["malformed key", { status: 400, model: "Problem", field: "Idempotency-Key" }],
  ["unknown id", { status: 404, model: "Problem", field: "purchase_id" }],
  ["charset not utf-8", { status: 415, model: "Problem", field: "content-type" }],
  ["body over 16 KiB", { status: 413, model: "Problem", field: "body" }],
  ["unknown route", { status: 404, model: "Problem", field: "path" }],
  ["wrong method", { status: 405, model: "Problem", field: "path" }],
];

describe.each<Client>(["python", "typescript"])("the generated %s client", (client) => {
  const answer = (name: string): Answer => {
    const found = answers.get(client)?.get(name);
    if (!found) throw new Error(`the ${client} client recorded no answer for "${name}"`);
    return found;
  };

  it.each(common)("%s: read into the declared model", (name, want) => {
    const got = answer(name);
    expect([got.status, got.model]).toEqual([want.status, want.model]);
    if (want.model === "Problem") {
      expect(got.value?.status).toBe(want.status);
      expect(got.value?.errors?.map((error) => error.field)).toContain(want.field);
    }
  });

  it("reads back the purchase it posted, stored, with the same fields and the date as sent", () => {
    const created = answer("create").value ?? {};
    expect(answer("create").headers.location).toBe(`/purchases/${String(created.purchase_id)}`);
    expect(created.purchase_date).toBe(utcToday());
    expect(answer("replay").value).toEqual(created);
    expect(answer("read").value).toEqual({ ...created, status: "stored" });
  });

  it("gets the methods a path accepts with a 405", () => {
    expect(answer("wrong method").headers.allow).toBe("GET");
  });

  it("cannot send a date in year 0 nor a purchase_id that is no UUID, or has them refused naming the field", () => {
    for (const [name, field] of [
      ["date in year 0", "purchase_date"],
      ["malformed id", "purchase_id"],
    ] as const) {
      const got = answer(name);
      if (client === "python") {
        // The generated pydantic models and methods check the pattern and the UUID before sending.
        expect([got.status, got.refused_by_client]).toEqual([null, [field]]);
      } else {
        // typescript-fetch checks no schema rule: the API refuses it.
        expect(got.status).toBe(field === "purchase_date" ? 422 : 400);
        expect(got.value?.errors?.map((error) => error.field)).toContain(field);
      }
    }
  });
});
