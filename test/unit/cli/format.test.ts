// The plugin's pure parts: tokens AWS accepts in snapshot names, log stream ARNs, the status screen.
import { describe, expect, it } from "vitest";
import { newToken } from "../../../src/cli/actions.js";
import { parseLogStreamArn } from "../../../src/cli/aws-reads.js";
import { formatStatus, type StatusReport } from "../../../src/cli/status.js";

describe("kubectl-flinkapp pieces", () => {
  it("makes tokens that sort by time and fit AWS snapshot names", () => {
    const t = newToken(new Date("2026-11-29T12:34:56.789Z"));
    expect(t).toBe("20261129-123456Z");
    expect(t).toMatch(/^[a-zA-Z0-9_.-]+$/);
  });

  it("reads group and stream from a CloudWatch Logs stream ARN, and names a bad one", () => {
    expect(
      parseLogStreamArn(
        "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/kinesis-analytics/orders:log-stream:kinesis-analytics-log-stream",
      ),
    ).toEqual({
      region: "eu-west-1",
      group: "/aws/kinesis-analytics/orders",
      stream: "kinesis-analytics-log-stream",
    });
    expect(() => parseLogStreamArn("arn:aws:s3:::bucket")).toThrow(/LogStreamARN arn:aws:s3:::bucket/);
  });

  it("fits the status on one screen and cuts long messages", () => {
    const report: StatusReport = {
      name: "orders",
      namespace: "team-a",
      application: {
        name: "orders",
        region: "eu-west-1",
        status: "RUNNING",
        versionId: 7,
        desiredState: "Running",
      },
      parallelism: { desired: 4, configured: 4, current: 6 },
      ready: { status: "True", reason: "Succeeded", message: "x".repeat(500) },
      lastSnapshot: {
        name: "orders-g7-20261129T120000Z",
        createdAt: "2026-11-29T12:00:00Z",
        reason: "BeforeUpdate",
      },
      events: Array.from({ length: 8 }, (_, i) => ({
        type: "Normal",
        reason: "Updating",
        message: `event ${i}`,
        time: "2026-11-29T12:00:00Z",
      })),
    };
    const text = formatStatus(report, 100);
    const lines = text.split("\n");
    expect(lines.length).toBeLessThan(25);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(110);
    expect(text).toContain("6 running, 4 configured, 4 desired");
    expect(text).toContain("Last failure:   none");
  });
});
