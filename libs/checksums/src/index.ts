/** Public door of @sluice/checksums; filled in by its issue. */
export {};
