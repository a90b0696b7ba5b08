import { describe, expect, it } from "vitest";
import { javaPatternToRegExp, translateJavaRegex } from "../../../src/emulator/java-regex.js";
import { loadServiceModel } from "../../../src/emulator/model.js";
import { binaryPaths } from "../../../src/localstack/binaries.js";

describe("javaPatternToRegExp", () => {
  it("matches the whole value, as Java's Matcher.matches() does", () => {
    const re = javaPatternToRegExp("[a-zA-Z0-9_.-]+");
    expect(re.test("my-app_1.0")).toBe(true);
    expect(re.test("my app")).toBe(false);
    expect(re.test("")).toBe(false);
  });

  it("translates Java POSIX and java.lang.Character classes", () => {
    expect(javaPatternToRegExp("\\p{Alpha}+").test("abcXYZ")).toBe(true);
    expect(javaPatternToRegExp("\\p{Alpha}+").test("abc1")).toBe(false);
    expect(javaPatternToRegExp("[\\p{Digit}x]+").test("12x")).toBe(true);
    expect(javaPatternToRegExp("\\p{javaLowerCase}+").test("äbc")).toBe(true);
    expect(javaPatternToRegExp("\\p{L}+").test("日本")).toBe(true);
    expect(javaPatternToRegExp("\\P{Alpha}+").test("123")).toBe(true);
  });

  it("handles anchors, identity escapes and possessive quantifiers", () => {
    expect(javaPatternToRegExp("\\A\\'a\\'\\z").test("'a'")).toBe(true);
    expect(javaPatternToRegExp("a\\-b").test("a-b")).toBe(true);
    expect(javaPatternToRegExp("a++b").test("aab")).toBe(true);
    expect(translateJavaRegex("[^-\\s<>&]*")).toBe("[^-\\s<>&]*");
  });

  it("compiles every pattern in the official kinesisanalyticsv2 model", () => {
    const model = loadServiceModel(binaryPaths().serviceModel);
    const patterns = Object.values(model.shapes).flatMap((s) => (s.pattern ? [s.pattern] : []));
    expect(patterns.length).toBeGreaterThan(10);
    for (const p of patterns) expect(() => javaPatternToRegExp(p), p).not.toThrow();
    expect(javaPatternToRegExp("[^\\u0000-\\u001F\\u007F]*").test("ok\u0001")).toBe(false);
    expect(javaPatternToRegExp("^(?=^\\$)(?=^\\S+$).*$").test("$.a")).toBe(true);
  });
});
