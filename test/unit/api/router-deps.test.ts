/**
 * The platform-based helpers that the deployed router gets instead of lodash and qs
 * (src/api/router-deps), checked against lodash and qs themselves on the kinds of input the router
 * passes them. jest maps `lodash` and `qs` to these modules, so the real packages are reached by path.
 */
import * as helpers from "../../../src/api/router-deps/lodash";
import { parse } from "../../../src/api/router-deps/qs";

type Lodash = {
  chain: (value: unknown) => {
    orderBy: (...args: unknown[]) => ReturnType<Lodash["chain"]>;
    find: (...args: unknown[]) => ReturnType<Lodash["chain"]>;
    entries: () => ReturnType<Lodash["chain"]>;
    flatMap: (...args: unknown[]) => ReturnType<Lodash["chain"]>;
    value: () => unknown;
  };
  cloneDeep: <T>(value: T) => T;
  entries: (value: unknown) => unknown[];
  flatten: (value: unknown[]) => unknown[];
  mapKeys: (value: unknown, iteratee: (item: unknown, key: string) => string) => unknown;
  pick: (value: unknown, keys: string[]) => unknown;
};
// Paths that jest's moduleNameMapper (^lodash$, ^qs$) leaves alone.
const lodash = require("lodash/lodash.js") as Lodash;
const qs = require("qs/lib/index.js") as { parse: (text: string) => unknown };

/** A small deterministic generator, so that a failure names an input that can be replayed. */
function generator(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe("the router's lodash helpers", () => {
  const methods = ["get", "post", "put", "delete"] as const;

  it("orders operations by specificity and finds the method's as lodash's chain does (ties keep their order)", () => {
    for (let seed = 1; seed <= 200; seed += 1) {
      const random = generator(seed);
      const operations = Array.from({ length: 1 + Math.floor(random() * 8) }, (_, index) => ({
        index,
        method: methods[Math.floor(random() * methods.length)] ?? "get",
        // Few distinct lengths, so that ties are common.
        path: `/${"a".repeat(Math.floor(random() * 3))}/{id}`,
      }));
      const specificity = (op: { path: string }) => op.path.replace(/\{.*?\}/g, "").length;
      for (const method of methods) {
        const isMethod = (op: { method: string }) => op.method === method;
        const ours = helpers.chain(operations).orderBy(specificity, "desc").find(isMethod).value();
        const theirs = lodash.chain(operations).orderBy(specificity, "desc").find(isMethod).value();
        expect({ seed, method, found: ours }).toEqual({ seed, method, found: theirs });
      }
      const sorted = helpers.chain(operations).orderBy(specificity, "desc").value();
      expect(sorted).toEqual(lodash.chain(operations).orderBy(specificity, "desc").value());
    }
  });

  it("lists a document's operations as lodash's entries and flatMap do", () => {
    const paths = {
      "/purchases": { post: { operationId: "create" }, parameters: [{ name: "x" }] },
      "/purchases/{id}": { get: { operationId: "get" }, delete: { operationId: "delete" } },
      "/health": {},
    };
    const flatten = ([path, item]: [string, unknown]) =>
      Object.keys(item as object).map((method) => `${method} ${path}`);
    expect(helpers.chain(paths).entries().flatMap(flatten).value()).toEqual(
      lodash.chain(paths).entries().flatMap(flatten).value(),
    );
    expect(helpers.chain(undefined).entries().value()).toEqual(lodash.chain(undefined).entries().value());
  });

  it("picks, maps keys, flattens and clones as lodash does", () => {
    const item = { get: { a: 1 }, post: undefined, parameters: [1], summary: "s" };
    const keys = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
    expect(helpers.pick(item, keys)).toEqual(lodash.pick(item, keys));
    expect(Object.keys(helpers.pick(item, keys))).toEqual(Object.keys(lodash.pick(item, keys) as object));
    expect(helpers.pick(undefined, keys)).toEqual(lodash.pick(undefined, keys));

    const headers = { "Content-Type": "application/json", COOKIE: "a=1", "x-Key": "k" };
    const lower = (_: unknown, key: string) => key.toLowerCase();
    expect(helpers.mapKeys(headers, lower)).toEqual(lodash.mapKeys(headers, lower));
    expect(helpers.mapKeys(undefined, lower)).toEqual(lodash.mapKeys(undefined, lower));

    for (const cookie of [undefined, "a=1", ["a=1", "b=2"]]) {
      expect(helpers.flatten([cookie])).toEqual(lodash.flatten([cookie]));
    }

    const query = { a: "1", list: ["x", "y"], nested: { deep: ["z"] } };
    const ours = helpers.cloneDeep(query);
    expect(ours).toEqual(lodash.cloneDeep(query));
    ours.nested.deep.push("changed");
    expect(query.nested.deep).toEqual(["z"]);
  });
});

describe("the router's query-string parser", () => {
  it.each(["", "a=1", "a=1&b=two%20words", "a=1&a=2&a=3", "q=plus+sign", "empty=&flag"])(
    "parses %p as qs does",
    (text) => {
      expect({ ...parse(text) }).toEqual(qs.parse(text));
    },
  );
});
