// Types of scripts/pyodide_env.mjs for the TypeScript tests.
import type { PyodideInterface } from "pyodide";

export declare const ROOT: string;
export declare const PACKAGE_DIR: string;
export declare const PYODIDE_DIR: string;
export declare const mountHostDir: (pyodide: PyodideInterface, hostDir: string, at?: string) => void;
export declare const startPyodide: (options?: {
  source?: boolean;
  packages?: string[];
  stdout?: (bytes: Uint8Array) => void;
  stderr?: (bytes: Uint8Array) => void;
}) => Promise<PyodideInterface>;
