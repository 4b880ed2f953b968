/**
 * openapi.yaml and datacontract.yaml describe the same purchase from two sides: what a client sends and
 * what the topic, the table and the lake hold. This test keeps them from drifting apart.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

interface JsonSchema {
  type?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  "x-decimal-places"?: number;
  required?: string[];
  properties?: Record<string, JsonSchema>;
  allOf?: JsonSchema[];
}

interface ContractProperty {
  name: string;
  logicalType: string;
  physicalType?: string;
  required?: boolean;
  logicalTypeOptions?: Record<string, unknown>;
}

const root = join(__dirname, "..", "..");
const openapi = parse(readFileSync(join(root, "openapi.yaml"), "utf8"));
const contract = parse(readFileSync(join(root, "datacontract.yaml"), "utf8"));

const schemas = openapi.components.schemas as Record<string, JsonSchema>;
const apiFields = schemas.PurchaseFields?.properties ?? {};
const apiRequired = schemas.PurchaseRequest?.required ?? [];
const purchaseExtras = schemas.Purchase?.allOf?.[1]?.properties ?? {};
const contractObject = (contract.schema as { name: string; properties: ContractProperty[] }[]).find(
  (object) => object.name === "purchases",
);
const contractFields = new Map((contractObject?.properties ?? []).map((p) => [p.name, p]));

/** The contract's logical type for a JSON Schema type and format. */
function logicalTypeOf(schema: JsonSchema): string {
  if (schema.type === "string" && schema.format === "date") return "date";
  if (schema.type === "string" && schema.format === "date-time") return "timestamp";
  return String(schema.type);
}

const scaleOf = (physicalType: string | undefined) =>
  physicalType?.match(/^decimal\(\d+,\s*(\d+)\)$/)?.[1] ?? undefined;

describe("openapi.yaml and datacontract.yaml agree on the purchase", () => {
  it("the contract's purchases object exists", () => {
    expect(contractObject).toBeDefined();
  });

  it.each(Object.keys(apiFields))("request field %s is a required contract field", (name) => {
    expect(apiRequired).toContain(name);
    expect(contractFields.get(name)?.required).toBe(true);
  });

  it.each(Object.entries(apiFields))(
    "request field %s has the contract's type and bounds",
    (name, schema) => {
      const field = contractFields.get(name);
      expect(field).toBeDefined();
      expect(field?.logicalType).toBe(logicalTypeOf(schema));
      const options = field?.logicalTypeOptions ?? {};
      expect(options.minimum).toEqual(schema.minimum);
      expect(options.maximum).toEqual(schema.maximum);
      expect(options.exclusiveMinimum).toEqual(schema.exclusiveMinimum);
      const scale = scaleOf(field?.physicalType);
      expect(scale === undefined ? undefined : Number(scale)).toEqual(schema["x-decimal-places"]);
    },
  );

  it.each(Object.entries(purchaseExtras).filter(([name]) => name !== "status"))(
    "field %s that the API assigns is a required contract field of the same type",
    (name, schema) => {
      const field = contractFields.get(name);
      expect(field?.required).toBe(true);
      expect(field?.logicalType).toBe(logicalTypeOf(schema));
      if (schema.format === "uuid") expect(field?.logicalTypeOptions?.format).toBe("uuid");
    },
  );

  it("every required contract field is sent by the client or assigned by the API", () => {
    const known = new Set([...Object.keys(apiFields), ...Object.keys(purchaseExtras)]);
    const required = [...contractFields.values()]
      .filter((field) => field.required)
      .map((field) => field.name);
    expect(required.filter((name) => !known.has(name))).toEqual([]);
  });

  it("money is a decimal with scale 2 in every schema object of the contract", () => {
    const moneyFields = (contract.schema as { name: string; properties: ContractProperty[] }[]).flatMap(
      (object) =>
        object.properties
          .filter((p) => /^(?!share_).*(amount|spent|ticket)$/.test(p.name))
          .map((p) => [`${object.name}.${p.name}`, p.physicalType]),
    );
    expect(moneyFields.length).toBeGreaterThan(0);
    for (const [name, physicalType] of moneyFields) {
      expect([name, scaleOf(physicalType)]).toEqual([name, "2"]);
    }
  });
});
