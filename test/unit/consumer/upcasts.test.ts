/**
 * Two majors of the data contract in flight: a message of the previous major is read through its upcast,
 * and the table of upcasts holds only the previous major (an upcast is retired by the next major).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { contractVersion } from "../../../generated/validators/contract";
import { CONTRACT_MAJOR, type IncomingMessage } from "../../../src/consumer/ingest";
import { upcasts } from "../../../src/consumer/upcasts";
import { validPurchase } from "../../support/events";

const current: Record<string, unknown> = {
  ...validPurchase(),
  purchase_id: "8d0f3a4e-6c8b-4c36-9d5e-3f1c2b7a9e10",
  received_at: "2024-11-05T13:45:12.345Z",
};

const incoming = (body: unknown, version: string): IncomingMessage => ({
  id: "m-1",
  body: JSON.stringify(body),
  attributes: { schema_version: version },
});

describe("upcasts", () => {
  it("holds an upcast for the previous major only", () => {
    for (const major of Object.keys(upcasts).map(Number)) expect(major).toBe(CONTRACT_MAJOR - 1);
  });

  it("holds an upcast for the released major when datacontract.yaml moved to a new major", () => {
    const released = parse(
      readFileSync(join(__dirname, "../../../contracts/released/datacontract.yaml"), "utf8"),
    );
    const releasedMajor = Number(String(released.version).split(".")[0]);
    // Messages of the released major are in flight while the new major deploys.
    const unreadable = releasedMajor < CONTRACT_MAJOR && upcasts[releasedMajor] === undefined;
    expect({ releasedMajor, unreadable }).toEqual({ releasedMajor, unreadable: false });
  });

  it("reads a message of the previous major through its upcast, then checks it like any other", () => {
    // A previous major that named the amount `amount` and sent it in cents.
    const upcast = jest.fn(({ amount, ...rest }: Record<string, unknown>) => ({
      ...rest,
      total_amount: Number(amount) / 100,
    }));
    jest.isolateModules(() => {
      jest.doMock("../../../src/consumer/upcasts", () => ({ upcasts: { [CONTRACT_MAJOR - 1]: upcast } }));
      const { checkContract } =
        require("../../../src/consumer/ingest") as typeof import("../../../src/consumer/ingest");
      const { total_amount: _amount, ...rest } = current;
      const older = `${CONTRACT_MAJOR - 1}.3.1`;

      expect(checkContract(incoming({ ...rest, amount: 29990 }, older))).toEqual({
        ok: true,
        message: current,
      });
      expect(checkContract(incoming({ ...rest, amount: -5 }, older))).toEqual({
        ok: false,
        reason: "total_amount: must be greater than 0",
      });
      // The current major is read as it is, never upcast.
      expect(checkContract(incoming(current, contractVersion))).toEqual({ ok: true, message: current });
      expect(upcast).toHaveBeenCalledTimes(2);
    });
  });
});
