// Every ADR follows docs/adr/template.md: a numbered title that matches its file name, a date and a
// status, then Context, Decision and Consequences in that order.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const dir = join(import.meta.dirname, "../../../docs/adr");
const adrs = readdirSync(dir).filter((f) => /^\d{4}-.+\.md$/.test(f));

describe("docs/adr", () => {
  it("has ADRs", () => expect(adrs.length).toBeGreaterThan(0));
  it.each(adrs)("%s follows the template", (file) => {
    const text = readFileSync(join(dir, file), "utf8");
    const lines = text.split("\n");
    expect(lines[0]).toMatch(new RegExp(`^# ${Number(file.slice(0, 4))}\\. \\S`));
    expect(lines[2]).toMatch(/^Date: \d{4}-\d{2}-\d{2} · Status: (proposed|accepted|superseded by \d+)$/);
    const sections = lines.filter((l) => l.startsWith("## ")).map((l) => l.slice(3));
    const required = sections.filter((s) => ["Context", "Decision", "Consequences"].includes(s));
    expect(required).toEqual(["Context", "Decision", "Consequences"]);
  });
});
