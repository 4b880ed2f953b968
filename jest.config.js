/** Jest runs the TypeScript tests by project: unit (no network), integration (the emulator), e2e (the local system). */
const base = {
  preset: "ts-jest",
  testEnvironment: "node",
  transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
};
module.exports = {
  projects: [
    { ...base, displayName: "unit", testMatch: ["<rootDir>/test/unit/**/*.test.ts"] },
    {
      ...base,
      displayName: "integration",
      testMatch: ["<rootDir>/test/integration/**/*.test.ts"],
      globalSetup: "<rootDir>/test/support/emulator-setup.ts",
      globalTeardown: "<rootDir>/test/support/emulator-teardown.ts",
    },
    {
      ...base,
      displayName: "e2e",
      testMatch: ["<rootDir>/test/e2e/**/*.test.ts"],
      globalSetup: "<rootDir>/test/support/system-setup.ts",
      globalTeardown: "<rootDir>/test/support/system-teardown.ts",
    },
  ],
};
