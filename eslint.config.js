// ESLint 9 flat config for the frontend (src-ui/) and the end-to-end scripts (tests/e2e/). `npm run lint`.
import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/**",
      "target/**",
      "gen/**",
      "src-tauri/**",
      "src-ui/dist/**",
      "tests/e2e/out/**",
      // Generated from the Rust types by ts-rs, and from the Rust commands (src-tauri/tests/commands_ts.rs).
      "src-ui/src/bindings.ts",
      "src-ui/src/commands.ts",
    ],
  },
  js.configs.recommended,
  {
    files: ["src-ui/**/*.{ts,tsx}"],
    extends: [tseslint.configs.recommendedTypeChecked, reactHooks.configs.flat.recommended],
    languageOptions: {
      globals: globals.browser,
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      // Rejections are normalised to ErrorDto objects on purpose (see api.ts).
      "@typescript-eslint/prefer-promise-reject-errors": "off",
    },
  },
  {
    files: ["src-ui/vite.config.ts"],
    languageOptions: { globals: globals.node },
  },
  {
    files: ["**/*.{js,mjs}"],
    languageOptions: { globals: globals.node, sourceType: "module" },
  },
  {
    // Functions handed to `browser.execute` run in the window.
    files: ["tests/e2e/**/*.{js,mjs}"],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
);
