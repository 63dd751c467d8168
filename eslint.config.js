import js from "@eslint/js";
import tseslint from "typescript-eslint";

const noCrossServiceImports = {
  patterns: [
    {
      group: [
        "**/services/*/**",
        "@marquee/accounts*",
        "@marquee/catalog*",
        "@marquee/inventory*",
        "@marquee/wallet*",
        "@marquee/orders*",
        "@marquee/query*",
      ],
      message: "Services never import each other: share proto/ contracts and @marquee/platform only.",
    },
  ],
};

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "proto/gen/**", ".tools/**", ".data/**"] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    files: ["**/*.ts"],
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-imports": ["error", noCrossServiceImports],
    },
  },
  {
    // The domain is pure: rules and transitions only, no I/O, no frameworks.
    files: ["services/*/src/domain/**/*.ts"],
    ignores: ["**/*.spec.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            ...noCrossServiceImports.patterns,
            {
              group: [
                "node:*",
                "pg",
                "mongoose",
                "@nats-io/*",
                "@grpc/*",
                "@marquee/platform*",
                "**/adapters/**",
                "**/app/**",
                "koa*",
              ],
              message: "domain/ holds pure rules: no I/O, adapters or frameworks.",
            },
          ],
        },
      ],
    },
  },
  {
    // Tests assert on values they just checked exist; `!` there is clearer than a guard.
    files: ["**/*.spec.ts", "**/test/**/*.ts"],
    rules: { "@typescript-eslint/no-non-null-assertion": "off" },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
);
