/** Line icons for the navigation (inline SVG: no font or network dependency). */
const PATHS: Record<string, string> = {
  dashboard: 'M3 3h7v9H3zM14 3h7v5h-7zM14 12h7v9h-7zM3 16h7v5H3z',
  messages: 'M3 5h18v14H3zM3 6l9 7 9-7',
  campaigns: 'M4 21V4M4 4h13l-2 4 2 4H4',
  contacts: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 21c0-4 4-6 8-6s8 2 8 6',
  providers: 'M4 8h13l-3-3M20 16H7l3 3',
  outbox: 'M3 13h5l2 3h4l2-3h5M5 5h14l2 8v6H3v-6z',
  keys: 'M8 15a4 4 0 1 1 0-8 4 4 0 0 1 0 8zM12 11h9M18 11v3M21 11v2',
  audit: 'M6 3h9l4 4v14H6zM9 11h7M9 15h7M9 7h3',
  templates: 'M5 3h10l4 4v14H5zM15 3v4h4M8 12h8M8 16h5',
  endpoints: 'M4 12h6M14 12h6M10 12a2 2 0 1 0 4 0 2 2 0 0 0-4 0M17 9l3 3-3 3',
};

export function Icon(props: { name: string }) {
  return (
    <svg
      className="icon"
      viewBox="0 0 24 24"
      width="18"
      height="18"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.8"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      <path d={PATHS[props.name] ?? ''} />
    </svg>
  );
}
