import { describe, expect, it } from "vitest";
import { ENDPOINT_PLACEHOLDER, localProperties, userEvents } from "../../../src/localstack/pipeline.js";

describe("the local pipeline", () => {
  it("adds the local endpoint and credentials beside the production properties, without changing them", () => {
    const production = { InputStream0: { "stream.name": "user-events", "aws.region": "us-east-1" } };
    const merged = localProperties(
      production,
      {
        InputStream0: { "aws.endpoint": ENDPOINT_PLACEHOLDER },
        EngagementMetrics: { "window.size": "PT10S" },
      },
      "http://127.0.0.1:5000",
    );
    expect(merged).toEqual({
      InputStream0: {
        "stream.name": "user-events",
        "aws.region": "us-east-1",
        "aws.endpoint": "http://127.0.0.1:5000",
      },
      EngagementMetrics: { "window.size": "PT10S" },
    });
    expect(production.InputStream0).not.toHaveProperty("aws.endpoint");
  });

  it("generates the seed's user events", () => {
    const events = userEvents(10, 3, 42, () => 0.5);
    expect(events).toHaveLength(10);
    expect(events[0]).toEqual({ userId: "user-2", eventType: "scroll", timestamp: 42 });
  });
});
