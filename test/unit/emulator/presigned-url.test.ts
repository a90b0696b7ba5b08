// CreateApplicationPresignedUrl as the API reference documents it: a dashboard URL for a running
// streaming application, twelve hours by default, ResourceInUse when nothing runs.
import { describe, expect, it } from "vitest";
import { DEFAULT_TIMINGS } from "../../../src/emulator/lifecycle.js";
import { createInput, setup } from "./service-world.js";

async function running() {
  const { clock, call } = setup();
  await call("CreateApplication", createInput("orders"));
  return { clock, call };
}

describe("CreateApplicationPresignedUrl", () => {
  it("refuses while the application is not RUNNING, then returns a twelve-hour dashboard URL", async () => {
    const { clock, call } = await running();
    const ask = (more: Record<string, unknown> = {}) =>
      call("CreateApplicationPresignedUrl", {
        ApplicationName: "orders",
        UrlType: "FLINK_DASHBOARD_URL",
        ...more,
      });
    await expect(ask()).rejects.toMatchObject({ type: "ResourceInUseException" });
    await call("StartApplication", { ApplicationName: "orders" });
    await clock.advance(DEFAULT_TIMINGS.startingMs);
    const { AuthorizedUrl } = await ask();
    const url = new URL(AuthorizedUrl!);
    expect(url.protocol).toBe("https:");
    expect(url.hostname).toContain("orders.flink-dashboard.us-east-1");
    const expires = Date.parse(new URLSearchParams(url.hash.split("?")[1]).get("expires")!);
    expect(expires - clock.now()).toBe(12 * 3600 * 1000);
    const short = new URL((await ask({ SessionExpirationDurationInSeconds: 1800 })).AuthorizedUrl!);
    expect(Date.parse(new URLSearchParams(short.hash.split("?")[1]).get("expires")!) - clock.now()).toBe(
      1800 * 1000,
    );
    await expect(ask({ UrlType: "ZEPPELIN_UI_URL" })).rejects.toMatchObject({
      type: "InvalidArgumentException",
    });
    await expect(
      call("CreateApplicationPresignedUrl", { ApplicationName: "nope", UrlType: "FLINK_DASHBOARD_URL" }),
    ).rejects.toMatchObject({ type: "ResourceNotFoundException" });
  });
});
