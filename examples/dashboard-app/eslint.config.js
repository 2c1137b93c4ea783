import js from "@eslint/js";
import tseslint from "typescript-eslint";

// Node globals the plain-JS helper scripts use; listed by hand so the example needs no extra package.
const nodeGlobals = {
  process: "readonly",
  console: "readonly",
  fetch: "readonly",
  setTimeout: "readonly",
  URL: "readonly",
};

export default tseslint.config(
  // .pitstop holds pitstop's data when it runs here (deployed release copies, reports).
  { ignores: ["dist/**", "reports/**", "node_modules/**", ".pitstop/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  {
    files: ["scripts/**/*.mjs", "eslint.config.js"],
    languageOptions: { globals: nodeGlobals },
  },
);
