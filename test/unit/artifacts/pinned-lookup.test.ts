import type { LookupAddress } from "node:dns";
import { describe, expect, it } from "vitest";
import { pinnedLookup } from "../../../src/artifacts/http-source.js";

// The connection must go to what was vetted, whatever the resolver would answer at connect time.
describe("pinnedLookup", () => {
  const vetted: LookupAddress[] = [
    { address: "93.184.216.34", family: 4 },
    { address: "2606:2800:220:1:248:1893:25c8:1946", family: 6 },
  ];
  const lookup = pinnedLookup(vetted);

  function ask(options: object): Promise<unknown[]> {
    return new Promise((resolve) => {
      lookup("rebind.example", options as never, ((...args: unknown[]) => resolve(args)) as never);
    });
  }

  it("answers happy-eyeballs (all: true) with exactly the vetted addresses", async () => {
    expect(await ask({ all: true })).toEqual([null, vetted]);
  });
  it("answers a single lookup with a vetted address of the requested family", async () => {
    expect(await ask({ family: 6 })).toEqual([null, vetted[1]!.address, 6]);
    expect(await ask({})).toEqual([null, vetted[0]!.address, 4]);
  });
  it("never answers with an address outside the vetted set", async () => {
    const [, list] = (await ask({ all: true })) as [null, LookupAddress[]];
    expect(list.map((a) => a.address)).not.toContain("169.254.169.254");
  });
});
