export declare const EDGE_SOURCES: readonly string[];
export declare const BUILD_STAMP: string;
export declare const COMPILED_MAIN: string;
export type EdgeRuntimeChoice =
  | { runtime: 'compiled'; why?: string; error?: undefined }
  | { runtime: 'tsx'; why?: string; error?: undefined }
  | { error: string; runtime?: undefined; why?: undefined };
export declare function edgeRuntime(
  root: string,
  env?: Record<string, string | undefined>,
): EdgeRuntimeChoice;
