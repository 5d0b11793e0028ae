import { useState } from 'react';

/**
 * Keyset pagination over an API that answers `nextCursor`: a stack of the cursors of the pages
 * seen, reset whenever `key` (the filters) changes.
 */
export function useCursorPages(key: string) {
  const [state, setState] = useState<{ key: string; stack: (string | undefined)[] }>({ key, stack: [undefined] });
  const stack = state.key === key ? state.stack : [undefined];
  return {
    /** The cursor of the page shown (undefined: the first page). */
    cursor: stack[stack.length - 1],
    /** 1-based number of the page shown. */
    page: stack.length,
    back: () => setState({ key, stack: stack.slice(0, -1) }),
    forward: (next: string) => setState({ key, stack: [...stack, next] }),
  };
}

export function Pager(props: {
  pages: ReturnType<typeof useCursorPages>;
  nextCursor: string | null | undefined;
  labels?: [string, string];
}) {
  const { pages, nextCursor } = props;
  const [back, forward] = props.labels ?? ['← Newer', 'Older →'];
  return (
    <div className="pager">
      <button type="button" className="btn" disabled={pages.page <= 1} onClick={pages.back}>
        {back}
      </button>
      <span className="muted">Page {pages.page}</span>
      <button
        type="button"
        className="btn"
        disabled={!nextCursor}
        onClick={() => nextCursor && pages.forward(nextCursor)}
      >
        {forward}
      </button>
    </div>
  );
}
