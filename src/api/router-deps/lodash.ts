/**
 * The lodash functions that openapi-backend's router calls (`_.chain` and five helpers), written over the
 * platform's own (Array.flat, Object.entries, structuredClone) so that the function does not load all of
 * lodash (its cold-start figure: bench/README.md). serverless.yml's esbuild `alias` gives the deployed
 * router this module instead, and jest's moduleNameMapper gives it to the tests, so the router's tests run
 * against it; its own test checks each function against lodash on the router's inputs.
 */

type Key = string | number;

/** `_.chain(value)` for the calls the router chains: orderBy, find, entries, flatMap, then value. */
class Chain<T> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  /** A stable sort by one key, as `_.orderBy(items, iteratee, order)`. */
  orderBy<I>(this: Chain<I[]>, by: (item: I) => Key, order: "asc" | "desc" = "asc"): Chain<I[]> {
    const sign = order === "desc" ? -1 : 1;
    const keyed = this.#value.map((item, index) => ({ item, index, key: by(item) }));
    keyed.sort((a, b) => (a.key < b.key ? -sign : a.key > b.key ? sign : a.index - b.index));
    return new Chain(keyed.map((entry) => entry.item));
  }

  find<I>(this: Chain<I[]>, predicate: (item: I) => boolean): Chain<I | undefined> {
    return new Chain(this.#value.find(predicate));
  }

  entries(this: Chain<object | null | undefined>): Chain<[string, unknown][]> {
    return new Chain(entries(this.#value));
  }

  flatMap<I, R>(this: Chain<I[]>, iteratee: (item: I) => R | R[]): Chain<R[]> {
    return new Chain(this.#value.flatMap(iteratee));
  }

  value(): T {
    return this.#value;
  }
}

export function chain<T>(value: T): Chain<T> {
  return new Chain(value);
}

export function cloneDeep<T>(value: T): T {
  return structuredClone(value);
}

export function entries(value: object | null | undefined): [string, unknown][] {
  return value == null ? [] : Object.entries(value);
}

export function flatten<T>(values: (T | T[])[]): T[] {
  return values.flat(1) as T[];
}

export function mapKeys<V>(
  value: Record<string, V> | null | undefined,
  iteratee: (item: V, key: string) => string,
): Record<string, V> {
  return Object.fromEntries(entries(value).map(([key, item]) => [iteratee(item as V, key), item as V]));
}

export function pick<V>(
  value: Record<string, V> | null | undefined,
  keys: readonly string[],
): Record<string, V> {
  const picked: Record<string, V> = {};
  if (value == null) return picked;
  for (const key of keys) if (key in value) picked[key] = value[key] as V;
  return picked;
}
