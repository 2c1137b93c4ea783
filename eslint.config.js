import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "examples/**", "coverage/**", ".pitstop/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-restricted-syntax": ["error", { selector: "TSEnumDeclaration", message: "Use an `as const` object instead of a TS enum (DESIGN.md §7.8)." }],
    },
  },
  {
    files: ["src/core/**/*.ts"],
    ignores: ["src/core/**/*.test.ts"],
    rules: {
      "no-restricted-globals": ["error", { name: "process", message: "core/ is pure: pass values in." }, { name: "setTimeout", message: "core/ has no clock." }, { name: "Buffer", message: "core/ is pure: no node globals." }],
      "no-restricted-properties": ["error", { object: "Date", property: "now", message: "core/ has no clock: take `now` as an argument." }, { object: "Math", property: "random", message: "core/ is deterministic: take a seeded rng." }],
    },
  },
  {
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { module: "writable", require: "readonly" } },
  },
  {
    files: ["bin/**/*.js", "bench/**/*.js"],
    languageOptions: { globals: { process: "readonly", console: "readonly", performance: "readonly", setTimeout: "readonly" } },
  },
);
