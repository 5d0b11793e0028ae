import { useState } from 'react';
import { useApi } from '../session.tsx';
import { csvRecords } from '../campaigns.ts';
import { ErrorBox } from '../components/ui.tsx';
import { fmtNum } from '../format.ts';

/** Rows sent per request: small enough for a moving progress bar, large enough to be quick. */
const CHUNK_ROWS = 500;

export interface ImportResult {
  imported: number;
  rejectedCount: number;
  rejected: { line: number; reason: string; row?: string }[];
}

/** What POST /v1/contacts/import answers for one request. */
interface ImportReport {
  accepted: number;
  rejected: number;
  /** The first rejected rows; `row` is the 1-based data row (after the header). */
  errors: { row: number; reason: string }[];
}

/**
 * CSV import: the file is read in the browser and sent in chunks of CHUNK_ROWS rows (each with
 * the header line), so the progress bar follows real work; rejected rows are gathered with their
 * line numbers in the original file.
 */
export function ImportPanel(props: { onDone(imported: number): void }) {
  const api = useApi();
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [result, setResult] = useState<ImportResult | null>(null);
  const [error, setError] = useState<unknown>();

  const run = async () => {
    if (!file) return;
    setError(undefined);
    setResult(null);
    const records = csvRecords(await file.text());
    const [header, ...rows] = records;
    if (!header || rows.length === 0) {
      setError(new Error('The file has no rows under its header line.'));
      return;
    }
    const total = rows.length;
    const out: ImportResult = { imported: 0, rejectedCount: 0, rejected: [] };
    setProgress({ done: 0, total });
    try {
      for (let i = 0; i < total; i += CHUNK_ROWS) {
        const chunk = rows.slice(i, i + CHUNK_ROWS);
        const body = [header, ...chunk].join('\n');
        const a = await api.send<ImportReport>('POST', '/v1/contacts/import', body, 'text/csv');
        out.imported += a.accepted;
        out.rejectedCount += a.rejected;
        for (const r of a.errors) {
          // Rows are numbered within the chunk; in the file, add the rows before it and the header line.
          const dataRow = i + r.row;
          out.rejected.push({ line: dataRow + 1, reason: r.reason, row: rows[dataRow - 1] });
        }
        setProgress({ done: Math.min(i + CHUNK_ROWS, total), total });
      }
      setResult(out);
      props.onDone(out.imported);
    } catch (e) {
      setError(e);
    }
  };

  const pct = progress ? Math.round((100 * progress.done) / progress.total) : 0;
  return (
    <section className="card" aria-labelledby="import-title">
      <h2 id="import-title">Import contacts from CSV</h2>
      <p className="muted small">
        A header line, then one contact per line. Columns: <code>phone</code>, <code>email</code>, <code>tag</code>,{' '}
        <code>timezone</code>, <code>operatorCode</code>; other columns become attributes.
      </p>
      <div className="toolbar">
        <label htmlFor="csv-file" className="sr-only">
          CSV file
        </label>
        <input
          id="csv-file"
          type="file"
          accept=".csv,text/csv"
          style={{ maxWidth: '22rem' }}
          onChange={(e) => setFile(e.target.files?.[0] ?? null)}
        />
        <button
          type="button"
          className="btn btn-primary"
          disabled={!file || (progress !== null && progress.done < progress.total && !result && !error)}
          onClick={() => void run()}
        >
          Import
        </button>
      </div>
      {progress && (
        <div style={{ marginTop: '0.75rem' }}>
          <progress
            max={progress.total}
            value={progress.done}
            style={{ width: '100%' }}
            aria-label="Import progress"
            data-testid="import-progress"
          />
          <div className="muted small" aria-live="polite">
            {fmtNum(progress.done)} of {fmtNum(progress.total)} rows ({pct}%)
          </div>
        </div>
      )}
      {error !== undefined && <ErrorBox error={error} />}
      {result && (
        <div data-testid="import-result" aria-live="polite">
          <p>
            <strong>{fmtNum(result.imported)}</strong> imported, <strong>{fmtNum(result.rejectedCount)}</strong>{' '}
            rejected.
          </p>
          {result.rejected.length > 0 && (
            <div className="table-wrap">
              <table data-testid="import-rejected">
                <caption className="sr-only">Rejected rows</caption>
                <thead>
                  <tr>
                    <th scope="col" className="num">
                      Line
                    </th>
                    <th scope="col">Row</th>
                    <th scope="col">Why</th>
                  </tr>
                </thead>
                <tbody>
                  {result.rejected.slice(0, 200).map((r, i) => (
                    <tr key={i}>
                      <td className="num">{r.line || '—'}</td>
                      <td className="mono ellipsis">{r.row ?? ''}</td>
                      <td>{r.reason}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {result.rejected.length > 200 && (
                <p className="muted small">First 200 of {fmtNum(result.rejected.length)} rejected rows.</p>
              )}
            </div>
          )}
        </div>
      )}
    </section>
  );
}
