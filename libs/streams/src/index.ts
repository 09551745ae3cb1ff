/** Public door of @sluice/streams; filled in by its issue. */
export {};
