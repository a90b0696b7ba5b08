/**
 * Translates the Java regular expressions in AWS models (Coral validates with java.util.regex) into
 * JavaScript RegExps with the `u` flag. Java's `Matcher.matches()` semantics apply: the whole value must
 * match, so the result is anchored.
 *
 * Handled differences: Java's POSIX and java.lang.Character property classes (`\p{Alpha}`, `\p{javaLowerCase}`),
 * `\A` `\Z` `\z` anchors, `\h`, possessive quantifiers (`*+`, `++`, `?+`, `}+` — approximated as greedy), and
 * identity escapes of punctuation, which Java allows anywhere but the `u` flag rejects outside a class.
 */
const JAVA_PROPERTIES: Record<string, string> = {
  Lower: "\\p{Ll}",
  Upper: "\\p{Lu}",
  ASCII: "\\x00-\\x7F",
  Alpha: "a-zA-Z",
  Digit: "0-9",
  Alnum: "a-zA-Z0-9",
  Punct: "!-\\/:-@\\[-`{-~",
  Graph: "!-~",
  Print: " -~",
  Blank: " \\t",
  Cntrl: "\\x00-\\x1F\\x7F",
  XDigit: "0-9a-fA-F",
  Space: " \\t\\n\\x0B\\f\\r",
  javaLowerCase: "\\p{Ll}",
  javaUpperCase: "\\p{Lu}",
  javaWhitespace: "\\s",
  javaMirrored: "\\p{Bidi_M}",
  IsAlphabetic: "\\p{Alphabetic}",
  IsLetter: "\\p{L}",
  IsDigit: "\\p{Nd}",
  IsWhite_Space: "\\p{White_Space}",
};

// Characters that may be escaped in a `u`-flag RegExp outside a character class.
const SYNTAX = new Set("^$\\.*+?()[]{}|/".split(""));

function translateProperty(name: string, negated: boolean, inClass: boolean): string {
  const posix = JAVA_PROPERTIES[name];
  if (posix !== undefined) {
    if (posix.startsWith("\\p{") || posix === "\\s") {
      return negated ? posix.replace("\\p", "\\P").replace("\\s", "\\S") : posix;
    }
    if (inClass) {
      if (negated) throw new Error(`\\P{${name}} inside a character class is not supported`);
      return posix;
    }
    return negated ? `[^${posix}]` : `[${posix}]`;
  }
  // Java accepts `Is`/`In` prefixes and bare general categories; JS knows scripts as Script=…
  let js = name;
  if (/^Is[A-Z]/.test(name)) js = `Script=${name.slice(2)}`;
  if (/^In[A-Z]/.test(name)) throw new Error(`Java block property \\p{${name}} has no JavaScript equivalent`);
  return `\\${negated ? "P" : "p"}{${js}}`;
}

export function translateJavaRegex(pattern: string): string {
  let out = "";
  let inClass = false;
  // Whether the last token was a quantifier, so that a following `+` or `?` modifies it.
  let afterQuantifier = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "\\") {
      afterQuantifier = false;
      const n = pattern[i + 1];
      if (n === undefined) throw new Error("pattern ends with a backslash");
      if (n === "p" || n === "P") {
        const m = /^\{([A-Za-z_=]+)\}/.exec(pattern.slice(i + 2));
        if (!m) throw new Error(`unsupported property escape at ${i} in ${pattern}`);
        out += translateProperty(m[1]!, n === "P", inClass);
        i += 1 + m[0].length;
        continue;
      }
      if (!inClass && n === "A") out += "^";
      else if (!inClass && (n === "Z" || n === "z")) out += "$";
      else if (n === "h") out += inClass ? " \\t\\xA0" : "[ \\t\\xA0]";
      else if (/[0-9A-Za-z]/.test(n)) out += `\\${n}`;
      else if (inClass ? n === "]" || n === "\\" || n === "^" || n === "-" || n === "[" : SYNTAX.has(n))
        out += `\\${n}`;
      // Java's identity escape of other punctuation (`\'`, `\-` outside a class, `\ `): a literal.
      else out += `\\u{${n.codePointAt(0)!.toString(16)}}`;
      i += 1;
      continue;
    }
    if (inClass) {
      if (c === "[") throw new Error(`nested character classes are not supported: ${pattern}`);
      if (c === "&" && pattern[i + 1] === "&")
        throw new Error(`class intersection is not supported: ${pattern}`);
      if (c === "]") inClass = false;
      out += c;
      afterQuantifier = false;
      continue;
    }
    if (c === "[") {
      afterQuantifier = false;
      inClass = true;
      out += c;
      // A `]` right after `[` or `[^` is a literal in Java.
      if (pattern[i + 1] === "^") {
        out += "^";
        i++;
      }
      if (pattern[i + 1] === "]") {
        out += "\\]";
        i++;
      }
      continue;
    }
    if (c === "*" || c === "+" || c === "?") {
      if (afterQuantifier) {
        // `+` after a quantifier makes it possessive (no JS equivalent; greedy accepts the same whole-value
        // matches for these patterns); `?` makes it lazy, which JS shares.
        if (c === "?") out += c;
        afterQuantifier = false;
        continue;
      }
      out += c;
      afterQuantifier = true;
      continue;
    }
    const bounded = c === "{" ? /^\{\d+(,\d*)?\}/.exec(pattern.slice(i)) : null;
    if (bounded) {
      out += bounded[0];
      i += bounded[0].length - 1;
      afterQuantifier = true;
      continue;
    }
    afterQuantifier = false;
    out += c;
  }
  if (inClass) throw new Error(`unterminated character class in ${pattern}`);
  return out;
}

const cache = new Map<string, RegExp>();

/** A RegExp that tests whether a whole value matches the Java pattern. */
export function javaPatternToRegExp(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (!re) {
    re = new RegExp(`^(?:${translateJavaRegex(pattern)})$`, "u");
    cache.set(pattern, re);
  }
  return re;
}
