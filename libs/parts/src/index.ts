/** Public door of @sluice/parts; filled in by its issue. */
export {};
