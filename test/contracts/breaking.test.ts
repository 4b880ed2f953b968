/**
 * The breaking-change guard on a table of changes to both contracts. Each case edits a temporary copy of
 * the real openapi.yaml or datacontract.yaml; the guard must pass it, or fail it naming the field and
 * then pass it once the major version is bumped. oasdiff runs once per comparison; datacontract-cli's
 * library starts once for every data contract comparison of the table.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { insertChangelogSection, renderChangelogSection } from "../../scripts/contracts/changelog-page";
import {
  type ContractFile,
  ContractToolError,
  checkContracts,
  type DataContractDiff,
  dataContractBreakingChanges,
  diffDataContracts,
  openapiBreakingChanges,
  releaseContracts,
  renderMarkdown,
  renderText,
  type Verdict,
  verdict,
} from "../../scripts/contracts/compare";

// datacontract-cli's library takes seconds to start, and compares every case of the table in that one start.
jest.setTimeout(120_000);

// biome-ignore lint/suspicious/noExplicitAny: the cases edit parsed YAML of two different shapes.
type Doc = any;
interface Case {
  /** Applied to both the baseline and the candidate first (a contract without an enum gets one). */
  given?: (doc: Doc) => void;
  /** The change under test, applied to the candidate only. */
  change: (doc: Doc) => void;
  /** The field a failure must name; undefined when the change must pass. */
  breaks?: string;
}

const root = join(__dirname, "..", "..");
const read = (file: ContractFile): Doc => parse(readFileSync(join(root, file), "utf8"));

const api = {
  field: (doc: Doc, name: string) => doc.components.schemas.PurchaseFields.properties[name],
  response: (doc: Doc) => doc.components.schemas.Purchase.allOf[1],
};
const data = {
  field: (doc: Doc, object: string, name: string) =>
    doc.schema.find((o: Doc) => o.name === object).properties.find((p: Doc) => p.name === name),
  object: (doc: Doc, object: string) => doc.schema.find((o: Doc) => o.name === object),
};
const months = (n: number) => Array.from({ length: n }, (_, i) => ({ value: i + 1 }));

const openapiCases: [string, Case][] = [
  [
    "optional field added",
    { change: (d) => (d.components.schemas.PurchaseFields.properties.coupon_code = { type: "string" }) },
  ],
  [
    "field removed",
    {
      change: (d) => {
        delete api.response(d).properties.received_at;
        api.response(d).required = ["purchase_id", "status"];
      },
      breaks: "received_at",
    },
  ],
  [
    "bound narrowed",
    {
      change: (d) => (api.field(d, "number_of_installments").maximum = 12),
      breaks: "number_of_installments",
    },
  ],
  [
    "type changed",
    {
      change: (d) => {
        Object.assign(api.field(d, "buyer_id"), { type: "string", minimum: undefined, maximum: undefined });
      },
      breaks: "buyer_id",
    },
  ],
  [
    "optional made required",
    // oasdiff compares header names case-insensitively, and names them in lower case.
    { change: (d) => (d.components.parameters.IdempotencyKey.required = true), breaks: "idempotency-key" },
  ],
  [
    "pattern changed (an oasdiff warning)",
    {
      change: (d) => (d.components.parameters.IdempotencyKey.schema.pattern = "^[A-Za-z0-9-]+$"),
      breaks: "idempotency-key",
    },
  ],
  ["description changed", { change: (d) => (api.field(d, "buyer_id").description = "Who bought.") }],
  [
    "enum value removed",
    {
      given: (d) => (api.field(d, "number_of_installments").enum = [1, 3, 6, 12, 24]),
      change: (d) => (api.field(d, "number_of_installments").enum = [1, 3, 6, 12]),
      breaks: "number_of_installments",
    },
  ],
];

const dataCases: [string, Case][] = [
  [
    "optional field added",
    {
      change: (d) =>
        data.object(d, "purchases").properties.push({
          name: "coupon_code",
          logicalType: "string",
          physicalType: "string",
          required: false,
        }),
    },
  ],
  [
    "description changed",
    { change: (d) => (data.field(d, "purchases", "buyer_id").description = "Who bought.") },
  ],
  [
    "field removed",
    {
      change: (d) => {
        const silver = data.object(d, "silver_purchases");
        silver.properties = silver.properties.filter((p: Doc) => p.name !== "ingest_hour");
      },
      breaks: "silver_purchases.ingest_hour",
    },
  ],
  [
    "bound narrowed",
    {
      change: (d) => (data.field(d, "purchases", "number_of_installments").logicalTypeOptions.maximum = 12),
      breaks: "purchases.number_of_installments",
    },
  ],
  [
    "bound widened",
    {
      change: (d) => (data.field(d, "purchases", "number_of_installments").logicalTypeOptions.maximum = 36),
      breaks: "purchases.number_of_installments",
    },
  ],
  [
    "type changed",
    {
      change: (d) => {
        const field = data.field(d, "purchases", "buyer_id");
        Object.assign(field, { logicalType: "string", physicalType: "string" });
        delete field.logicalTypeOptions;
      },
      breaks: "purchases.buyer_id",
    },
  ],
  [
    "optional made required",
    {
      change: (d) => (data.field(d, "purchases", "stored_at").required = true),
      breaks: "purchases.stored_at",
    },
  ],
  [
    "required made optional",
    {
      change: (d) => (data.field(d, "purchases", "buyer_id").required = false),
      breaks: "purchases.buyer_id",
    },
  ],
  [
    "pattern changed",
    {
      change: (d) => (data.field(d, "purchases", "ingest_hour").logicalTypeOptions.pattern = "^[0-9]{10}$"),
      breaks: "purchases.ingest_hour",
    },
  ],
  [
    "required field added",
    {
      change: (d) =>
        data.object(d, "gold_buyer_summary").properties.push({
          name: "segment",
          logicalType: "string",
          physicalType: "string",
          required: true,
        }),
      breaks: "gold_buyer_summary.segment",
    },
  ],
  [
    "enum value removed",
    {
      given: (d) => (data.field(d, "silver_purchases", "purchase_month").enum = months(12)),
      change: (d) => (data.field(d, "silver_purchases", "purchase_month").enum = months(11)),
      breaks: "silver_purchases.purchase_month",
    },
  ],
];

const versionOf = (file: ContractFile, doc: Doc): string =>
  file === "openapi.yaml" ? doc.info.version : doc.version;
/** The version after `version` at this position (0 major, 1 minor), e.g. 1.4.2 to 2.0.0 or 1.5.0. */
const next = (version: string, position: 0 | 1) =>
  version
    .split(".")
    .map((part, i) => (i < position ? part : i === position ? String(Number(part) + 1) : "0"))
    .join(".");
const bumpMajor = (file: ContractFile, doc: Doc) => {
  if (file === "openapi.yaml") doc.info.version = next(doc.info.version, 0);
  else doc.version = next(doc.version, 0);
};

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "contracts-guard-"));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** Writes the baseline and the candidate of a case, the candidate with its major bumped when asked. */
function writeCase(file: ContractFile, name: string, c: Case, bumped: boolean): [string, string] {
  const dir = join(work, file, `${name.replaceAll(" ", "-")}${bumped ? "-bumped" : ""}`);
  mkdirSync(dir, { recursive: true });
  const baseline = read(file);
  c.given?.(baseline);
  const candidate = structuredClone(baseline);
  c.change(candidate);
  if (bumped) bumpMajor(file, candidate);
  const paths: [string, string] = [join(dir, `released-${file}`), join(dir, file)];
  writeFileSync(paths[0], stringify(baseline));
  writeFileSync(paths[1], stringify(candidate));
  return paths;
}

function expectVerdict(v: Verdict, c: Case, bumped: boolean): void {
  if (c.breaks === undefined) {
    expect(v.breaking).toEqual([]);
    expect(v.passed).toBe(true);
    return;
  }
  expect(v.breaking.map((b) => b.field)).toContain(c.breaks);
  expect(v.majorBumped).toBe(bumped);
  expect(v.passed).toBe(bumped);
  const text = renderText([v]);
  expect(text).toContain(bumped ? "ok  " : "FAIL");
  expect(text).toContain(`${c.breaks}: `);
  expect(renderMarkdown([v])).toContain(`| \`${c.breaks}\` |`);
}

describe("openapi.yaml against its released baseline (oasdiff)", () => {
  describe.each([false, true])("major bumped: %s", (bumped) => {
    it.each(openapiCases)("%s", async (_name, c) => {
      const [released, candidate] = writeCase("openapi.yaml", _name, c, bumped);
      const v = verdict(
        "openapi.yaml",
        released,
        candidate,
        await openapiBreakingChanges(released, candidate),
      );
      expectVerdict(v, c, bumped);
    });
  });
});

describe("datacontract.yaml against its released baseline (datacontract-cli)", () => {
  const rows = [false, true].flatMap((bumped) =>
    dataCases.map(([name, c]) => ({ name, c, bumped, paths: writeCaseLater(name, c, bumped) })),
  );
  function writeCaseLater(name: string, c: Case, bumped: boolean) {
    return () => writeCase("datacontract.yaml", name, c, bumped);
  }
  const diffs = new Map<string, { paths: [string, string]; diff: DataContractDiff }>();
  beforeAll(async () => {
    const written = rows.map((r) => r.paths());
    const results = await diffDataContracts(written);
    expect(results).toHaveLength(rows.length);
    rows.forEach((r, i) => {
      const diff = results[i];
      const paths = written[i];
      if (diff && paths) diffs.set(`${r.name}:${r.bumped}`, { paths, diff });
    });
  });

  describe.each([false, true])("major bumped: %s", (bumped) => {
    it.each(dataCases)("%s", (name, c) => {
      const result = diffs.get(`${name}:${bumped}`);
      if (!result) throw new Error(`no comparison for ${name}`);
      const v = verdict("datacontract.yaml", ...result.paths, dataContractBreakingChanges(result.diff));
      expectVerdict(v, c, bumped);
    });
  });

  it("lists each change of the changelog on the contract page, breaking ones marked", () => {
    const result = diffs.get("enum value removed:false");
    if (!result) throw new Error("no comparison for the enum case");
    const section = renderChangelogSection({
      version: "1.0.0",
      releasedVersion: "1.0.0",
      changelog: result.diff.changelog,
      breaking: dataContractBreakingChanges(result.diff),
    });
    expect(section).toContain("Version 1.0.0 against the released version 1.0.0");
    // The row of the removed value (path, change, released, now, impact), and the row of its element.
    expect(section).toMatch(
      /purchase_month\.enum\.12\.value<\/td>\s*<td[^>]*>removed<\/td>\s*<td[^>]*>12<\/td>\s*<td[^>]*><\/td>\s*<td[^>]*>breaking<\/td>/,
    );
    expect(section).toMatch(/purchase_month\.enum\.12<\/td>(\s*<td[^>]*>[^<]*<\/td>){3}\s*<td[^>]*><\/td>/);
    const page = insertChangelogSection('<body>\n  <section id="terms-of-use">x</section>', section);
    expect(page.indexOf('<section id="changelog">')).toBeLessThan(
      page.indexOf('<section id="terms-of-use">'),
    );
  });
});

describe("the whole check and the release of a folder", () => {
  const contracts = (dir: string, edit?: (file: ContractFile, doc: Doc) => void) => {
    mkdirSync(dir, { recursive: true });
    for (const file of ["openapi.yaml", "datacontract.yaml"] as const) {
      const doc = read(file);
      edit?.(file, doc);
      writeFileSync(join(dir, file), stringify(doc));
    }
  };

  it("fails both contracts when both break, and passes the unchanged ones", async () => {
    const released = join(work, "whole", "released");
    const broken = join(work, "whole", "broken");
    contracts(released);
    contracts(broken, (file, doc) => {
      if (file === "openapi.yaml") api.field(doc, "number_of_installments").maximum = 12;
      else data.field(doc, "purchases", "number_of_installments").logicalTypeOptions.maximum = 12;
    });
    const { verdicts } = await checkContracts(broken, released);
    expect(verdicts.map((v) => [v.file, v.passed])).toEqual([
      ["openapi.yaml", false],
      ["datacontract.yaml", false],
    ]);
    const unchanged = await checkContracts(released, released);
    expect(unchanged.verdicts.every((v) => v.passed && v.breaking.length === 0)).toBe(true);
    expect(unchanged.changelog).toEqual([]);
  });

  it("releases a new version, and refuses a changed contract that keeps the released version", () => {
    const released = join(work, "release", "released");
    const current = join(work, "release", "current");
    contracts(current);
    expect(releaseContracts(current, released).map((r) => r.changed)).toEqual([true, true]);
    expect(releaseContracts(current, released).map((r) => r.changed)).toEqual([false, false]);

    contracts(current, (file, doc) => {
      if (file === "datacontract.yaml") doc.description.usage = "Changed without a new version.";
    });
    expect(() => releaseContracts(current, released)).toThrow(ContractToolError);
    expect(readFileSync(join(released, "datacontract.yaml"), "utf8")).not.toContain("Changed without");

    const minor = next(versionOf("datacontract.yaml", read("datacontract.yaml")), 1);
    contracts(current, (file, doc) => {
      if (file === "datacontract.yaml") {
        doc.description.usage = "Changed with a new version.";
        doc.version = minor;
      }
    });
    expect(releaseContracts(current, released).map((r) => [r.file, r.version, r.changed])).toEqual([
      ["openapi.yaml", versionOf("openapi.yaml", read("openapi.yaml")), false],
      ["datacontract.yaml", minor, true],
    ]);
  });
});
