import { useApi } from '../session.tsx';
import { useLoad } from '../hooks.ts';

interface Retention {
  days: number;
  channels: Record<string, number>;
  overridden: string[];
}

const kept = (days: number) => (days === 0 ? 'forever' : `${days} day${days === 1 ? '' : 's'}`);

/** The retention policy in force (GET /v1/retention), one line under the queue on the dashboard. */
export function RetentionPolicy() {
  const api = useApi();
  const r = useLoad(() => api.get<Retention>('/v1/retention'), []);
  if (!r.data) return null;
  const { days, channels, overridden } = r.data;
  return (
    <p className="muted small retention-policy" data-testid="retention-policy">
      Ended messages are kept <strong>{kept(days)}</strong>
      {overridden.length > 0 && ` (${overridden.map((c) => `${c}: ${kept(channels[c] ?? days)}`).join(', ')})`}, then
      deleted with their attempts and events. These counters are kept.
    </p>
  );
}
