/**
 * openapi.yaml and datacontract.yaml describe the same purchase from two sides: what a client sends and
 * the API reports, and what the topic, the table and the lake hold. Everything below is read from the two
 * files: every field of one is in the other (or declared as assigned by the API, by the consumer, or
 * known to the API only), required fields agree, and so does every constraint of each field.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { parse } from "yaml";

interface JsonSchema {
  $ref?: string;
  type?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  enum?: unknown[];
  readOnly?: boolean;
  "x-api-only"?: boolean;
  "x-decimal-places"?: number;
  required?: string[];
  properties?: Record<string, JsonSchema>;
  allOf?: JsonSchema[];
}
interface OpenApi {
  components: { schemas: Record<string, JsonSchema> };
}
interface ContractProperty {
  name: string;
  logicalType: string;
  physicalType?: string;
  required?: boolean;
  logicalTypeOptions?: Record<string, unknown>;
  customProperties?: { property: string; value: unknown }[];
  quality?: { metric?: string; arguments?: { validValues?: unknown[] } }[];
}
interface Contract {
  schema: { name: string; properties: ContractProperty[] }[];
}

/** The constraints compared on both sides, by their JSON Schema names. */
const CONSTRAINTS = [
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "minLength",
  "maxLength",
  "pattern",
  "format",
] as const;

/** A schema's properties and required names, through `$ref` and `allOf`. */
function flatten(
  schema: JsonSchema,
  openapi: OpenApi,
): { properties: Record<string, JsonSchema>; required: string[] } {
  if (schema.$ref) {
    const name = schema.$ref.replace("#/components/schemas/", "");
    return flatten(openapi.components.schemas[name] ?? {}, openapi);
  }
  const parts = (schema.allOf ?? []).map((part) => flatten(part, openapi));
  return {
    properties: Object.assign({}, ...parts.map((part) => part.properties), schema.properties),
    required: [...new Set([...parts.flatMap((part) => part.required), ...(schema.required ?? [])])],
  };
}

/** The contract's logical type of a JSON Schema type and format. */
function logicalTypeOf(schema: JsonSchema): string {
  if (schema.type === "string" && schema.format === "date") return "date";
  if (schema.type === "string" && schema.format === "date-time") return "timestamp";
  return String(schema.type);
}

const scaleOf = (physicalType: string | undefined) => {
  const scale = physicalType?.match(/^decimal\(\d+,\s*(\d+)\)$/)?.[1];
  return scale === undefined ? undefined : Number(scale);
};
const assignedBy = (property: ContractProperty) =>
  property.customProperties?.find((custom) => custom.property === "assignedBy")?.value;
const validValues = (property: ContractProperty) =>
  property.quality?.find((rule) => rule.metric === "invalidValues")?.arguments?.validValues;

/** A contract property's constraints in JSON Schema terms (formats the logical type implies left out). */
function contractConstraints(property: ContractProperty, boundsCompared = false): Record<string, unknown> {
  const options = property.logicalTypeOptions ?? {};
  const constraints: Record<string, unknown> = {};
  for (const name of CONSTRAINTS) {
    if (boundsCompared && (name === "minimum" || name === "maximum")) continue;
    if (options[name] !== undefined) constraints[name] = options[name];
  }
  if (scaleOf(property.physicalType) !== undefined) constraints.scale = scaleOf(property.physicalType);
  if (validValues(property) !== undefined) constraints.enum = validValues(property);
  return constraints;
}

function apiConstraints(schema: JsonSchema, boundsCompared = false): Record<string, unknown> {
  const constraints: Record<string, unknown> = {};
  for (const name of CONSTRAINTS) {
    if (boundsCompared && name === "pattern") continue;
    // date and date-time are the contract's logical types date and timestamp, compared as types.
    if (name === "format" && (schema.format === "date" || schema.format === "date-time")) continue;
    if (schema[name] !== undefined) constraints[name] = schema[name];
  }
  if (schema["x-decimal-places"] !== undefined) constraints.scale = schema["x-decimal-places"];
  if (schema.enum !== undefined) constraints.enum = schema.enum;
  return constraints;
}

const DAY_MS = 86_400_000;
const dayBefore = (date: string) => new Date(Date.parse(date) - DAY_MS).toISOString().slice(0, 10);

/**
 * A date's bounds: the contract states them as minimum and maximum, openapi.yaml as a pattern on the
 * year (which generated clients understand), so they are compared by what each accepts: the API's schema
 * takes the contract's minimum and refuses the day before it.
 */
function dateBoundDisagreements(name: string, apiSchema: JsonSchema, property: ContractProperty): string[] {
  const minimum = property.logicalTypeOptions?.minimum as string | undefined;
  const { format, pattern } = apiSchema;
  if (minimum === undefined)
    return pattern ? [`${name}: a pattern in openapi.yaml bounds a date the contract does not`] : [];
  const ajv = new Ajv2020({ strict: false });
  addFormats(ajv);
  const accepts = ajv.compile({ type: "string", format, pattern });
  if (!accepts(minimum))
    return [`${name}: openapi.yaml refuses ${minimum}, datacontract.yaml's earliest date`];
  const before = dayBefore(minimum);
  if (accepts(before))
    return [`${name}: openapi.yaml accepts ${before}, before datacontract.yaml's earliest date`];
  return [];
}

/** Every way the two contracts disagree on the purchase, one sentence each naming the field and the side. */
function disagreements(openapi: OpenApi, contract: Contract): string[] {
  const found: string[] = [];
  const schemas = openapi.components.schemas;
  const request = flatten(schemas.PurchaseRequest ?? {}, openapi);
  const purchase = flatten(schemas.Purchase ?? {}, openapi);
  const objects = new Map(contract.schema.map((object) => [object.name, object.properties]));
  const stored = new Map((objects.get("purchases") ?? []).map((property) => [property.name, property]));
  const silver = new Map(
    (objects.get("silver_purchases") ?? []).map((property) => [property.name, property]),
  );

  for (const [name, property] of stored) {
    const by = assignedBy(property);
    const apiSchema = purchase.properties[name];
    if (by === "consumer") {
      if (apiSchema)
        found.push(`${name}: assigned by the consumer in datacontract.yaml, but in openapi.yaml's Purchase`);
      continue;
    }
    if (by === "api") {
      if (!apiSchema)
        found.push(
          `${name}: assigned by the API in datacontract.yaml, but missing from openapi.yaml's Purchase`,
        );
      else if (request.properties[name])
        found.push(`${name}: assigned by the API, but a field of openapi.yaml's PurchaseRequest`);
      else if (!apiSchema.readOnly)
        found.push(`${name}: assigned by the API, but not readOnly in openapi.yaml`);
    } else if (!request.properties[name]) {
      found.push(
        `${name}: in datacontract.yaml's purchases, but missing from openapi.yaml's PurchaseRequest`,
      );
      continue;
    }
    if (!apiSchema) continue;
    const required = by === "api" ? purchase.required : request.required;
    if (required.includes(name) !== (property.required === true)) {
      found.push(
        `${name}: ${property.required ? "required" : "optional"} in datacontract.yaml, ${required.includes(name) ? "required" : "optional"} in openapi.yaml`,
      );
    }
    if (logicalTypeOf(apiSchema) !== property.logicalType) {
      found.push(
        `${name}: ${property.logicalType} in datacontract.yaml, ${logicalTypeOf(apiSchema)} in openapi.yaml`,
      );
    }
    const isDate = property.logicalType === "date";
    if (isDate) found.push(...dateBoundDisagreements(name, apiSchema, property));
    const api = apiConstraints(apiSchema, isDate);
    const data = contractConstraints(property, isDate);
    for (const constraint of new Set([...Object.keys(api), ...Object.keys(data)])) {
      if (JSON.stringify(api[constraint]) !== JSON.stringify(data[constraint])) {
        found.push(
          `${name}: ${constraint} is ${JSON.stringify(data[constraint])} in datacontract.yaml, ${JSON.stringify(api[constraint])} in openapi.yaml`,
        );
      }
    }
  }
  for (const [name, schema] of Object.entries(purchase.properties)) {
    if (!stored.has(name) && !schema["x-api-only"]) {
      found.push(
        `${name}: in openapi.yaml's Purchase, but missing from datacontract.yaml's purchases (or mark it x-api-only)`,
      );
    }
  }
  // Silver holds every field of the stored purchase, with the same type; a constraint it states is the same.
  for (const [name, property] of stored) {
    const row = silver.get(name);
    if (!row) {
      found.push(`${name}: in datacontract.yaml's purchases, but missing from its silver_purchases`);
      continue;
    }
    if (row.logicalType !== property.logicalType) {
      found.push(`${name}: ${property.logicalType} in purchases, ${row.logicalType} in silver_purchases`);
    }
    const data = contractConstraints(property);
    for (const [constraint, value] of Object.entries(contractConstraints(row))) {
      if (JSON.stringify(value) !== JSON.stringify(data[constraint])) {
        found.push(
          `${name}: ${constraint} is ${JSON.stringify(data[constraint])} in purchases, ${JSON.stringify(value)} in silver_purchases`,
        );
      }
    }
  }
  return found;
}

const root = join(__dirname, "..", "..");
const read = () => ({
  openapi: parse(readFileSync(join(root, "openapi.yaml"), "utf8")) as OpenApi,
  contract: parse(readFileSync(join(root, "datacontract.yaml"), "utf8")) as Contract,
});

const fieldsOf = (openapi: OpenApi) => openapi.components.schemas.PurchaseFields?.properties ?? {};
const propertiesOf = (contract: Contract, object: string) =>
  contract.schema.find((candidate) => candidate.name === object)?.properties ?? [];
const property = (contract: Contract, object: string, name: string) => {
  const found = propertiesOf(contract, object).find((candidate) => candidate.name === name);
  if (!found) throw new Error(`${object}.${name} is not in datacontract.yaml`);
  return found;
};
const coupon = (): ContractProperty => ({
  name: "coupon_code",
  logicalType: "string",
  physicalType: "string",
  required: false,
  logicalTypeOptions: { maxLength: 32 },
});

describe("openapi.yaml and datacontract.yaml agree on the purchase", () => {
  it("in every field, requirement and constraint", () => {
    const { openapi, contract } = read();
    expect(disagreements(openapi, contract)).toEqual([]);
  });

  it("in money: a decimal with scale 2 in every schema object of the contract", () => {
    const moneyFields = read().contract.schema.flatMap((object) =>
      object.properties
        .filter((p) => /^(?!share_).*(amount|spent|ticket)$/.test(p.name))
        .map((p) => [`${object.name}.${p.name}`, scaleOf(p.physicalType)]),
    );
    expect(moneyFields.length).toBeGreaterThan(0);
    for (const [name, scale] of moneyFields) expect([name, scale]).toEqual([name, 2]);
  });
});

// The check itself, on copies of the two files changed one way each.
describe.each<[string, { change: (openapi: OpenApi, contract: Contract) => void; want: string[] }]>([
  [
    "an optional field added to both contracts and silver",
    {
      change: (openapi, contract) => {
        fieldsOf(openapi).coupon_code = { type: "string", maxLength: 32 };
        propertiesOf(contract, "purchases").push(coupon());
        propertiesOf(contract, "silver_purchases").push(coupon());
      },
      want: [],
    },
  ],
  [
    "a field added to openapi.yaml only",
    {
      change: (openapi) => {
        fieldsOf(openapi).coupon_code = { type: "string", maxLength: 32 };
      },
      want: [
        "coupon_code: in openapi.yaml's Purchase, but missing from datacontract.yaml's purchases (or mark it x-api-only)",
      ],
    },
  ],
  [
    "a field added to datacontract.yaml only",
    {
      change: (_openapi, contract) => {
        propertiesOf(contract, "purchases").push(coupon());
        propertiesOf(contract, "silver_purchases").push(coupon());
      },
      want: [
        "coupon_code: in datacontract.yaml's purchases, but missing from openapi.yaml's PurchaseRequest",
      ],
    },
  ],
  [
    "a field that does not reach silver",
    {
      change: (openapi, contract) => {
        fieldsOf(openapi).coupon_code = { type: "string", maxLength: 32 };
        propertiesOf(contract, "purchases").push(coupon());
      },
      want: ["coupon_code: in datacontract.yaml's purchases, but missing from its silver_purchases"],
    },
  ],
  [
    "a field required on one side only",
    {
      change: (_openapi, contract) => {
        property(contract, "purchases", "buyer_id").required = false;
      },
      want: ["buyer_id: optional in datacontract.yaml, required in openapi.yaml"],
    },
  ],
  [
    "a bound on one side only",
    {
      change: (openapi) => {
        (fieldsOf(openapi).number_of_installments ?? {}).maximum = 12;
      },
      want: ["number_of_installments: maximum is 24 in datacontract.yaml, 12 in openapi.yaml"],
    },
  ],
  [
    "another maxLength, pattern or set of values",
    {
      change: (openapi, contract) => {
        fieldsOf(openapi).coupon_code = {
          type: "string",
          maxLength: 32,
          pattern: "^[A-Z]+$",
          enum: ["A", "B"],
        };
        for (const object of ["purchases", "silver_purchases"]) {
          propertiesOf(contract, object).push({
            ...coupon(),
            logicalTypeOptions: { maxLength: 16, pattern: "^[A-Z0-9]+$" },
            quality: [{ metric: "invalidValues", arguments: { validValues: ["A"] } }],
          });
        }
      },
      want: [
        "coupon_code: maxLength is 16 in datacontract.yaml, 32 in openapi.yaml",
        'coupon_code: pattern is "^[A-Z0-9]+$" in datacontract.yaml, "^[A-Z]+$" in openapi.yaml',
        'coupon_code: enum is ["A"] in datacontract.yaml, ["A","B"] in openapi.yaml',
      ],
    },
  ],
  [
    "another scale or type",
    {
      change: (openapi, contract) => {
        property(contract, "purchases", "total_amount").physicalType = "decimal(12,3)";
        (fieldsOf(openapi).product_id ?? {}).type = "string";
      },
      want: [
        "product_id: integer in datacontract.yaml, string in openapi.yaml",
        "total_amount: scale is 3 in datacontract.yaml, 2 in openapi.yaml",
        "total_amount: scale is 3 in purchases, 2 in silver_purchases",
      ],
    },
  ],
  [
    "another earliest date",
    {
      change: (_openapi, contract) => {
        const options = property(contract, "purchases", "purchase_date").logicalTypeOptions ?? {};
        options.minimum = "1990-01-01";
      },
      want: [
        "purchase_date: openapi.yaml refuses 1990-01-01, datacontract.yaml's earliest date",
        'purchase_date: minimum is "1990-01-01" in purchases, "2000-01-01" in silver_purchases',
      ],
    },
  ],
  [
    "an earlier date accepted by the API",
    {
      change: (openapi) => {
        const date = fieldsOf(openapi).purchase_date ?? {};
        date.pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$";
      },
      want: ["purchase_date: openapi.yaml accepts 1999-12-31, before datacontract.yaml's earliest date"],
    },
  ],
  [
    "a field the API assigns that it does not report",
    {
      change: (openapi) => {
        const extras = openapi.components.schemas.Purchase?.allOf?.[1]?.properties ?? {};
        delete extras.received_at;
      },
      want: [
        "received_at: assigned by the API in datacontract.yaml, but missing from openapi.yaml's Purchase",
      ],
    },
  ],
])("a disagreement test given %s", (_name, { change, want }) => {
  it(want.length === 0 ? "finds none" : "names the field and the side", () => {
    const { openapi, contract } = read();
    change(openapi, contract);
    expect(disagreements(openapi, contract).sort()).toEqual([...want].sort());
  });
});
