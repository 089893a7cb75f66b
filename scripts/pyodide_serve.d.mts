// Types of scripts/pyodide_serve.mjs for the TypeScript tests.
export declare const serveDemo: (port?: number) => Promise<{ url: string; close: () => Promise<void> }>;
