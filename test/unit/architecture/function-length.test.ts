// The controller stays readable a screen at a time (issue 9): no function, method or arrow function
// in src/controller is longer than 60 lines. Measured on the syntax tree, so comments inside count.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../../..");
const limit = 60;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

function longFunctions(file: string, max: number): string[] {
  const text = readFileSync(file, "utf8");
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      if (end - start + 1 > max) {
        const name = node.name?.getText(sf) ?? "(anonymous)";
        found.push(`${relative(root, file)}:${start + 1} ${name} is ${end - start + 1} lines`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

describe("src/controller", () => {
  it(`has no function longer than ${limit} lines`, () => {
    const long = sources(join(root, "src/controller")).flatMap((f) => longFunctions(f, limit));
    expect(long).toEqual([]);
  });
});
