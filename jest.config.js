/**
 * Jest runs the TypeScript tests by project: unit (no network), contracts (the breaking-change guard, with
 * oasdiff and datacontract-cli), integration (the emulator), e2e (the local system), faults (the local
 * system under injected faults).
 */
const base = {
  preset: "ts-jest",
  testEnvironment: "node",
  transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
  // What the deployed bundle gives openapi-backend's router (serverless.yml custom.esbuild.alias).
  moduleNameMapper: {
    "^lodash$": "<rootDir>/src/api/router-deps/lodash.ts",
    "^qs$": "<rootDir>/src/api/router-deps/qs.ts",
  },
};
module.exports = {
  projects: [
    {
      ...base,
      displayName: "unit",
      testMatch: ["<rootDir>/test/unit/**/*.test.ts"],
      // The handlers read their configuration when loaded: the environment is set before any test file.
      setupFiles: ["<rootDir>/test/support/unit-env.ts"],
    },
    {
      ...base,
      displayName: "contracts",
      testMatch: ["<rootDir>/test/contracts/**/*.test.ts"],
    },
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
    {
      ...base,
      displayName: "propagation",
      testMatch: ["<rootDir>/test/propagation/**/*.test.ts"],
      // A copy of the repository regenerated, the whole system, and one hour of the lake: minutes.
      testTimeout: 600_000,
    },
    {
      ...base,
      displayName: "faults",
      testMatch: ["<rootDir>/test/faults/**/*.test.ts"],
      // One run of the whole local system under faults: minutes, not seconds.
      testTimeout: 300_000,
    },
  ],
};
