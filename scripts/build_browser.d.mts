// Types of scripts/build_browser.mjs for the TypeScript tests.
export declare const buildBrowserModule: (root: string, outfile: string) => Promise<void>;
