/** Public door of @sluice/schema-registry; filled in by its issue. */
export {};
