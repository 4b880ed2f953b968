import { AMOUNT_DECIMAL_PLACES, amountToDecimalString, decimalPlaces } from "../../../src/purchases/money";

describe("decimalPlaces counts the places of the JSON text", () => {
  it.each([
    ["299.9", 1],
    ["299.90", 1],
    ["299.900000", 1],
    ["100", 0],
    ["0", 0],
    ["0.00", 0],
    ["0.01", 2],
    ["10.001", 3],
    ["0.0100000000000000001", 19],
    ["1.5e-1", 2],
    ["1.5e-3", 4],
    ["2.999e2", 1],
    ["100e-2", 0],
    ["12E+1", 0],
    ["-3.25", 2],
  ])("%s has %i", (literal, places) => {
    expect(decimalPlaces(literal)).toBe(places);
  });

  it("refuses text that is not a JSON number", () => {
    expect(() => decimalPlaces("1.2.3")).toThrow("is not a JSON number");
  });
});

describe("amountToDecimalString", () => {
  it.each([
    [299.9, "299.9"],
    [0.01, "0.01"],
    [0.3, "0.3"],
    [19.99, "19.99"],
    [1000000, "1000000"],
    [123456.78, "123456.78"],
  ])("%d is written as %s", (amount, text) => {
    expect(amountToDecimalString(amount)).toBe(text);
  });

  it("gives back the exact cents of every amount with at most two places", () => {
    // Every cent value from 0.01 to 1,000.00: the text is the decimal the client meant, never float noise.
    for (let cents = 1; cents <= 100_000; cents += 1) {
      const text = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`.replace(/\.?0+$/, "");
      expect(amountToDecimalString(Number(text))).toBe(text === "" ? "0" : text);
    }
    expect(AMOUNT_DECIMAL_PLACES).toBe(2);
  });

  it.each([[0.1 + 0.2], [1.005], [1e21], [-1], [Number.NaN]])(
    "refuses %d rather than rounding it",
    (amount) => {
      expect(() => amountToDecimalString(amount)).toThrow();
    },
  );
});
