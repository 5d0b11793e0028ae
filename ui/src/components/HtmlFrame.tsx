/**
 * Renders an e-mail's HTML safely: a sandboxed iframe with no permissions at all (no scripts, no
 * same origin, no forms, no top navigation), fed by srcdoc. A CSP in the document also blocks
 * remote loads (tracking pixels) unless the operator asks for them.
 */
import { useState } from 'react';

export function HtmlFrame(props: { html: string; title: string; height?: number }) {
  const [remote, setRemote] = useState(false);
  const csp = remote
    ? "default-src 'none'; img-src * data:; style-src 'unsafe-inline' *; font-src * data:"
    : "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:";
  const doc = `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${csp}"><base target="_blank"></head><body>${props.html}</body></html>`;
  return (
    <div className="html-frame">
      <iframe title={props.title} sandbox="" srcDoc={doc} style={{ height: props.height ?? 420 }} />
      <label className="inline small">
        <input type="checkbox" checked={remote} onChange={(e) => setRemote(e.target.checked)} /> Load remote images
      </label>
    </div>
  );
}
