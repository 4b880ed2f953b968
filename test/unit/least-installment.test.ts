/**
 * openapi.yaml and datacontract.yaml state one rule of a valid purchase: each installment is at least
 * the same amount. The API reads it from openapi.yaml; silver from the contract's quality rule on the
 * purchases object and the minimum of silver's installment_amount.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

interface ContractObject {
  name: string;
  properties: { name: string; logicalTypeOptions?: Record<string, unknown> }[];
  quality?: { type: string; query?: string; mustBe?: number }[];
}

const root = join(__dirname, "..", "..");
const openapi = parse(readFileSync(join(root, "openapi.yaml"), "utf8"));
const contract = parse(readFileSync(join(root, "datacontract.yaml"), "utf8"));
const objects = contract.schema as ContractObject[];
const least: unknown = openapi.components.schemas.PurchaseRequest["x-minimum-installment-amount"];

describe("the least amount of an installment", () => {
  it("is a positive amount in openapi.yaml", () => {
    expect(typeof least).toBe("number");
    expect(least).toBeGreaterThan(0);
  });

  it("is silver's installment_amount minimum", () => {
    const silver = objects.find((object) => object.name === "silver_purchases");
    const installment = silver?.properties.find((property) => property.name === "installment_amount");
    expect(installment?.logicalTypeOptions?.minimum).toBe(least);
  });

  it("is the purchases object's quality rule", () => {
    const purchases = objects.find((object) => object.name === "purchases");
    const queries = (purchases?.quality ?? []).filter((rule) => rule.type === "sql" && rule.mustBe === 0);
    expect(queries.map((rule) => rule.query)).toContain(
      `SELECT COUNT(*) FROM purchases WHERE total_amount < ${String(least)} * number_of_installments`,
    );
  });
});
