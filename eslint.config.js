import js from "@eslint/js";
import tseslint from "typescript-eslint";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/**",
      "**/build/**",
      "**/dist/**",
      "**/.turbo/**",
      "**/.cache/**",
      ".data/**",
      "**/migrations/meta/**",
      "**/common-passwords.ts",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: "module",
      globals: { ...globals.node, ...globals.browser },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "no-console": ["error", { allow: ["warn", "error", "info"] }],
      // typescript-eslint's recommended set turns it off (tsc reports it only with allowUnreachableCode: false).
      "no-unreachable": "error",
    },
  },
  {
    // A procedure's rule is declared by its builder (`orgProcedure.permission(…)`, `.sensitive()`, …), which also
    // enforces it; a `.meta()` in a router could only make the declaration say something the builder didn't.
    files: ["packages/api/src/router/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "CallExpression[callee.property.name='meta']",
          message: "Declare the rule with the builder (orgProcedure.permission(…).routine(), authedProcedure.sensitive(), …), not .meta().",
        },
      ],
    },
  },
  {
    files: ["apps/web/app/**/*.{ts,tsx}"],
    plugins: { "react-hooks": reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
  {
    files: ["**/*.test.ts", "**/test/**", "**/bench/**", "**/cli/**", "**/e2e/**", "scripts/**", "**/server.js"],
    rules: { "no-console": "off" },
  },
);
