/**
 * Upcasts: how this consumer reads a message of the data contract's previous major version. When a
 * major version of datacontract.yaml ships, the API and the consumer deploy one after the other, so
 * for a while the topic carries messages of both majors; the consumer turns each message of the
 * previous major into the current shape here, then validates and stores it like any other.
 *
 * The table holds at most one entry, keyed by the previous major: the upcast is written with the major
 * bump and removed by the next one (test/unit/consumer/upcasts.test.ts holds both rules). datacontract.yaml
 * is at its first major, so there is nothing to read from before it.
 */

/** Turns the body of a message of an older major into a body of the current major. */
export type Upcast = (body: Record<string, unknown>) => Record<string, unknown>;

export const upcasts: Readonly<Record<number, Upcast>> = {};
