/** Public door of @sluice/kafka; filled in by its issue. */
export {};
