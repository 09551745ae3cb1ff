/**
 * The S3 compatibility matrix as a markdown table: one row per feature the probe tries, one
 * column per store, and the drive settings each store needs, derived from the rows. The
 * findings, the probe and the settings rules live in @sluice/storage (its drive check); this
 * only renders them side by side.
 */
import { FEATURES, FEATURE_TITLES, driveSettings, formatOutcome, type StoreReport } from '@sluice/storage';

/** The matrix as a markdown table, stores as columns, with the drive settings as the last rows. */
export function renderTable(reports: readonly StoreReport[]): string {
  const row = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  const lines = [
    row(['feature', ...reports.map((r) => r.store)]),
    row(['---', ...reports.map(() => '---')]),
    ...FEATURES.map((feature) =>
      row([FEATURE_TITLES[feature], ...reports.map((r) => formatOutcome(r.results[feature]))]),
    ),
  ];
  const settings = reports.map(driveSettings);
  for (const key of ['checksumMode', 'requestChecksumCalculation', 'partSizePolicy'] as const) {
    lines.push(row([`drive \`${key}\``, ...settings.map((s) => `\`${s[key]}\``)]));
  }
  return lines.join('\n');
}
