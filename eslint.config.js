// ESLint: typescript-eslint's `strict` rules over the kernels, their tests and the scripts.
//   npm run lint
import eslint from "@eslint/js";
import { defineConfig } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig(
  { ignores: ["dist/", "python/", "web/", "fixtures/", "node_modules/", ".venv*/", ".cache/"] },
  eslint.configs.recommended,
  tseslint.configs.strict,
  {
    files: ["src/**/*.ts", "test/**/*.ts", "scripts/*.mjs"],
    languageOptions: {
      // The kernels run in Node (server, workers), browsers and Pyodide's JavaScript.
      globals: { ...globals.node, ...globals.browser },
    },
    rules: {
      // `a[i]!` in the kernels' loops states what the loop's own bound guarantees (the
      // noUncheckedIndexedAccess style): a typed-array read inside [0, length), at no cost.
      "@typescript-eslint/no-non-null-assertion": "off",
      // `const { drop, ...rest } = object` is how a copy without one key is written; the dropped name is not a mistake.
      "@typescript-eslint/no-unused-vars": ["error", { ignoreRestSiblings: true }],
    },
  },
);
