import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package's root folder. This module sits two folders below it both as a source file (src/platform/) and
 * compiled (dist/platform/, or any output folder directly under the root), so the same path reaches the root
 * either way.
 */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * A file or folder under src/, from source or compiled code alike. What is read at run time rather than imported
 * (migrations in SQL, the browser bundles' TypeScript entries, which esbuild bundles at start) stays in src/ only:
 * a compiled build carries no copy, so the demo and a compiled install serve the same bundles.
 */
export function sourcePath(relative: string): string {
  return join(PACKAGE_ROOT, 'src', relative);
}
