// @vitest-environment node
// Checks what the tests cannot see: under vitest a CSS Module is a proxy that answers any class name, so a typo in
// `styles.x` would pass every test and leave a component unstyled in the window. Here the sources are read as text.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL("..", import.meta.url));
const COMPONENTS = join(SRC, "components");
const E2E = join(SRC, "..", "..", "tests", "e2e");

function read(path: string): string {
  return readFileSync(path, "utf8");
}

/** The class names a stylesheet defines: those in its selectors, outside `:global(...)`. */
function definedClasses(css: string): Set<string> {
  const selectors = css
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .split(/[{}]/)
    // The pieces between braces: selectors, at-rule preludes, and declarations (each ending in `;`).
    .filter((piece) => !piece.includes(";") && !piece.trim().startsWith("@"));
  const classes = new Set<string>();
  for (const selector of selectors) {
    for (const match of selector.replace(/:global\([^)]*\)/g, "").matchAll(/\.([a-zA-Z_][\w-]*)/g)) classes.add(match[1]!);
  }
  return classes;
}

/** Classes wrapped in `:global(...)` in a stylesheet. */
function globalReferences(css: string): Set<string> {
  const classes = new Set<string>();
  for (const wrapped of css.matchAll(/:global\(([^)]*)\)/g)) {
    for (const match of wrapped[1]!.matchAll(/\.([a-zA-Z_][\w-]*)/g)) classes.add(match[1]!);
  }
  return classes;
}

/** Every `.tsx`/`.ts` source under `dir`, tests left out. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

const modules = readdirSync(COMPONENTS, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .flatMap((entry) =>
    readdirSync(join(COMPONENTS, entry.name))
      .filter((file) => file.endsWith(".module.css"))
      .map((file) => ({ name: entry.name, css: join(COMPONENTS, entry.name, file), file })),
  );

const globalCss = read(join(SRC, "styles", "global.css"));
const globalClasses = definedClasses(globalCss);

describe("CSS Modules", () => {
  it("are found, one per styled component folder", () => {
    expect(modules.length).toBeGreaterThan(15);
    for (const { name, file } of modules) expect(file).toBe(`${name}.module.css`);
  });

  it.each(modules)("$name uses only classes its module defines, and every class it defines", ({ name, css }) => {
    const defined = definedClasses(read(css));
    const used = new Set<string>();
    for (const source of sources(join(COMPONENTS, name))) {
      const text = read(source);
      if (!text.includes(`./${name}.module.css`)) continue;
      for (const match of text.matchAll(/\bstyles\.([a-zA-Z_]\w*)/g)) used.add(match[1]!);
      expect(text, `${source} reads a class by a computed name`).not.toMatch(/\bstyles\[/);
    }
    expect([...used].filter((c) => !defined.has(c)), `classes ${name} uses that its module lacks`).toEqual([]);
    expect([...defined].filter((c) => !used.has(c)), `classes of ${name}'s module no one uses`).toEqual([]);
  });

  it("reach only global classes that global.css defines", () => {
    for (const { css } of modules) {
      const missing = [...globalReferences(read(css))].filter((c) => !globalClasses.has(c));
      expect(missing, css).toEqual([]);
    }
  });
});

describe("global classes", () => {
  it("named as strings in the components are defined in global.css", () => {
    const named = new Set<string>();
    for (const source of sources(SRC)) {
      const text = read(source);
      for (const match of text.matchAll(/className="([^"]*)"/g)) for (const c of match[1]!.split(/\s+/)) if (c) named.add(c);
      for (const call of text.matchAll(/\bcx\(([^)]*)\)/g)) {
        for (const literal of call[1]!.matchAll(/"([^"]*)"/g)) for (const c of literal[1]!.split(/\s+/)) if (c) named.add(c);
      }
    }
    expect(named.size).toBeGreaterThan(3);
    expect([...named].filter((c) => !globalClasses.has(c))).toEqual([]);
  });
});

describe("end-to-end scripts", () => {
  it("select by test id or attribute, never by a class (module classes are hashed)", () => {
    for (const file of readdirSync(E2E).filter((name) => name.endsWith(".mjs"))) {
      const text = read(join(E2E, file));
      expect(text, file).not.toMatch(/querySelector(All)?\(\s*["'`][^"'`]*\.[a-zA-Z_][\w-]*/);
      // A selector quoted one way may hold the other quotes (`'[data-testid="x"] .y'`): look inside each, without
      // its attribute parts.
      for (const call of text.matchAll(/(?:querySelector(?:All)?|\$\$?)\(\s*(["'`])((?:(?!\1).)*)\1/g)) {
        expect(call[2]!.replace(/\[[^\]]*\]/g, ""), `${file}: ${call[0]}`).not.toMatch(/\.[a-zA-Z_]/);
      }
      expect(text, file).not.toMatch(/\$\$?\(\s*["'`]\.[a-zA-Z_]/);
      expect(text, file).not.toMatch(/getAttribute\(\s*["']class["']\s*\)/);
    }
  });
});
