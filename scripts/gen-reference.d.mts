/** Types of scripts/gen-reference.mjs, for TypeScript importers (tests). */

/** The Markdown field reference (docs/reference.md) for the schemas in `schemasDir` (default: the repository's schemas/). */
export declare function renderReference(schemasDir?: string): string;
