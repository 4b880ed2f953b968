/** Reading one environment variable: the value, the fallback, and errors that name the variable. */
import { integerEnv, requiredEnv } from "../../src/env";

const NAME = "ENV_TEST_VARIABLE";

afterEach(() => {
  delete process.env[NAME];
});

describe("requiredEnv", () => {
  it("returns the trimmed value", () => {
    process.env[NAME] = "  value ";
    expect(requiredEnv(NAME)).toBe("value");
  });

  it.each([undefined, "", "   "])("throws naming the variable when it is %p", (value) => {
    if (value !== undefined) process.env[NAME] = value;
    expect(() => requiredEnv(NAME)).toThrow(`environment variable ${NAME} is not set`);
  });
});

describe("integerEnv", () => {
  it.each([
    ["a value inside the range", { given: "42", fallback: 7, want: 42 }],
    ["the bounds themselves", { given: "1", fallback: 7, want: 1 }],
    ["the fallback when unset", { given: undefined, fallback: 7, want: 7 }],
    ["the fallback when blank", { given: " ", fallback: 7, want: 7 }],
  ])("returns %s", (_name, { given, fallback, want }) => {
    if (given !== undefined) process.env[NAME] = given;
    expect(integerEnv(NAME, fallback, 1, 100)).toBe(want);
  });

  it.each(["0", "101", "1.5", "ten"])(
    "refuses %p outside the range or not an integer, naming the variable",
    (given) => {
      process.env[NAME] = given;
      expect(() => integerEnv(NAME, 7, 1, 100)).toThrow(
        `${NAME} must be an integer from 1 to 100, got "${given}"`,
      );
    },
  );

  it("is required when it has no fallback", () => {
    expect(() => integerEnv(NAME, undefined, 1, 100)).toThrow(`environment variable ${NAME} is not set`);
  });
});
