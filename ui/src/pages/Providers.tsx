import { useState } from 'react';
import { useApi } from '../session.tsx';
import { useLoad } from '../hooks.ts';
import type { Timeseries } from '../types.ts';
import { Badge, Empty, LoadProblem, Loading, PageHeader, Updated } from '../components/ui.tsx';
import { TimeBars, TimeLine } from '../components/charts.tsx';
import { providerColors } from '../providers.ts';
import { fmtMs, fmtNum, fmtPct, fmtTime } from '../format.ts';
import { Link } from '../router.tsx';

interface WindowStats {
  calls: number;
  messages: number;
  successes: number;
  transientFailures: number;
  permanentFailures: number;
  latencyMs: { p50: number | null; p95: number | null; p99: number | null; mean: number | null };
}
interface Provider {
  name: string;
  type: string;
  channel: string;
  breaker: string;
  health: { state: 'healthy' | 'failing' | 'recovering'; pausedUntil: string | null; summary: string };
  default: boolean;
  routes: string[];
  stats: { minute: WindowStats; hour: WindowStats; day: WindowStats };
}
type Win = 'minute' | 'hour' | 'day';
const MINUTES: Record<Win, number> = { minute: 1, hour: 60, day: 1440 };
const HEALTH_HELP: Record<string, string> = {
  healthy: 'Calls flow normally.',
  failing: 'Calls failed several times in a row, so they are paused; messages wait without spending attempts.',
  recovering: 'The pause is over: a trial call decides whether calls flow again.',
};
const HEALTH_TONE: Record<string, string> = { healthy: 'ok', failing: 'bad', recovering: 'warn' };

/** "healthy", "failing — paused until 12:03" (local time), "recovering". */
export function healthWords(h: Provider['health']): string {
  if (h.state === 'failing' && h.pausedUntil) return `failing — paused until ${fmtTime(h.pausedUntil)}`;
  return h.state;
}

function Health(props: { provider: Provider }) {
  const h = props.provider.health;
  return <Badge value={healthWords(h)} tone={HEALTH_TONE[h.state]} title={HEALTH_HELP[h.state]} />;
}

export function Providers() {
  const api = useApi();
  const [win, setWin] = useState<Win>('hour');
  const list = useLoad(
    () => api.get<{ providers: Provider[]; routes?: Record<string, string[]> }>('/v1/providers'),
    [],
    5000,
  );
  const series = useLoad(
    () => api.get<Timeseries>('/v1/stats/timeseries', { bucket: 'minute', by: 'provider' }),
    [],
    5000,
  );
  const providers = list.data?.providers ?? [];
  const labels = series.data?.timestamps.map(fmtTime) ?? [];
  // One colour per provider in the table and both charts.
  const color = providerColors([...providers.map((p) => p.name), ...(series.data?.series ?? []).map((s) => s.key)]);
  const byName = new Map(providers.map((p) => [p.name, p]));
  const routes = Object.entries(list.data?.routes ?? {}).filter(([, names]) => names.length > 0);

  return (
    <>
      <PageHeader
        title="Providers"
        subtitle="Health, throughput, errors and latency of each configured provider (a batch is one call)"
        actions={
          <>
            <Updated at={list.updatedAt} />
            <div className="segmented" role="group" aria-label="Window">
              {(['minute', 'hour', 'day'] as const).map((w) => (
                <button key={w} type="button" aria-pressed={win === w} onClick={() => setWin(w)}>
                  Last {w}
                </button>
              ))}
            </div>
          </>
        }
      />
      <LoadProblem error={list.error} what="The providers API" route="GET /v1/providers" onRetry={list.reload} />
      {!list.data && list.loading && <Loading label="Loading providers…" />}
      {list.data && providers.length === 0 && (
        <Empty title="No providers configured.">
          E-mail and SMS go to the built-in outbox until providers are configured.
        </Empty>
      )}
      {providers.length > 0 && (
        <section className="card" aria-labelledby="prov-table">
          <h2 id="prov-table">Last {win}</h2>
          <div className="table-wrap">
            <table data-testid="providers">
              <thead>
                <tr>
                  <th scope="col">Provider</th>
                  <th scope="col">Health</th>
                  <th scope="col" className="num">
                    Msgs/min
                  </th>
                  <th scope="col" className="num">
                    Calls
                  </th>
                  <th scope="col" className="num">
                    Msgs/call
                  </th>
                  <th scope="col" className="num">
                    Error rate
                  </th>
                  <th scope="col" className="num">
                    Transient
                  </th>
                  <th scope="col" className="num">
                    Permanent
                  </th>
                  <th scope="col" className="num">
                    p50
                  </th>
                  <th scope="col" className="num">
                    p95
                  </th>
                  <th scope="col" className="num">
                    p99
                  </th>
                </tr>
              </thead>
              <tbody>
                {providers.map((p) => {
                  const s = p.stats[win];
                  const errors = s.transientFailures + s.permanentFailures;
                  return (
                    <tr key={p.name}>
                      <th scope="row" className="nowrap">
                        <span className="swatch" style={{ background: color(p.name) }} aria-hidden="true" />
                        <Link to={`/messages?provider=${encodeURIComponent(p.name)}`}>{p.name}</Link>
                        <div className="muted small">
                          {p.type} · {p.channel}
                          {p.default ? ' · default' : ''}
                          {p.routes.length > 0 ? ` · routes: ${p.routes.join(', ')}` : ''}
                        </div>
                      </th>
                      <td>
                        <Health provider={p} />
                      </td>
                      <td className="num">
                        {(s.messages / MINUTES[win]).toFixed(s.messages && s.messages < MINUTES[win] * 10 ? 2 : 0)}
                      </td>
                      <td className="num">{fmtNum(s.calls)}</td>
                      <td className="num">{s.calls ? (s.messages / s.calls).toFixed(1) : '—'}</td>
                      <td className="num">{fmtPct(errors, s.messages)}</td>
                      <td className="num">{fmtNum(s.transientFailures)}</td>
                      <td className="num">{fmtNum(s.permanentFailures)}</td>
                      <td className="num">{fmtMs(s.latencyMs.p50)}</td>
                      <td className="num">{fmtMs(s.latencyMs.p95)}</td>
                      <td className="num">{fmtMs(s.latencyMs.p99)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <p className="muted small">
            Latency is per provider call: for batching providers (sms-batch) one call carries many messages, so
            Msgs/call shows the batch size achieved. Health is this process's view: a provider whose calls failed
            several times in a row is paused for a while (failing), then tried once (recovering).
          </p>
        </section>
      )}
      {routes.length > 0 && (
        <section className="card" aria-labelledby="prov-routes" data-testid="routes">
          <h2 id="prov-routes">Routes and failover</h2>
          <p className="muted small">
            A message without a provider takes its channel's route: the first provider is tried first; when it is
            failing, or fails through its own fault, the next one takes the message.
          </p>
          <div className="grid-2">
            {routes.map(([channel, names]) => (
              <div key={channel}>
                <h3>{channel === 'sms' ? 'SMS' : 'E-mail'}</h3>
                <ol className="route-order" aria-label={`${channel} route`}>
                  {names.map((n, i) => {
                    const p = byName.get(n);
                    return (
                      <li key={n}>
                        <span className="swatch" style={{ background: color(n) }} aria-hidden="true" />
                        <strong>{n}</strong> {p && <Health provider={p} />}
                        <span className="muted small">
                          {i === 0 ? ' first choice' : ` takes over from ${names[i - 1]}`}
                        </span>
                      </li>
                    );
                  })}
                </ol>
              </div>
            ))}
          </div>
        </section>
      )}
      {providers
        .filter((p) => p.type === 'sms-batch')
        .map((p) => (
          <BatchCalls key={p.name} provider={p} />
        ))}
      <div className="grid-2">
        <section className="card" aria-labelledby="prov-through">
          <h2 id="prov-through">Handed over per minute, by provider</h2>
          <TimeLine
            id="chart-provider-throughput"
            title="Messages handed over per minute by provider"
            labels={labels}
            series={(series.data?.series ?? []).map((s) => ({
              label: s.key,
              data: s.sent.map((v, j) => v + s.delivered[j]!),
              color: color(s.key),
            }))}
          />
        </section>
        <section className="card" aria-labelledby="prov-errors">
          <h2 id="prov-errors">Failures and retries per minute, by provider</h2>
          <TimeBars
            id="chart-provider-errors"
            title="Failed and retried messages per minute by provider"
            labels={labels}
            series={(series.data?.series ?? []).map((s) => ({
              label: s.key,
              data: s.failed.map((v, j) => v + s.retried[j]!),
              color: color(s.key),
            }))}
          />
        </section>
      </div>
    </>
  );
}

/** A batching provider's calls: one HTTP call carries many messages, so per-call numbers matter. */
function BatchCalls(props: { provider: Provider }) {
  const p = props.provider;
  const id = `batch-${p.name}`;
  return (
    <section className="card" aria-labelledby={id} data-testid="batch-calls">
      <h2 id={id}>{p.name}: batch calls</h2>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Window</th>
              <th scope="col" className="num">
                Calls
              </th>
              <th scope="col" className="num">
                Messages
              </th>
              <th scope="col" className="num">
                Messages per call
              </th>
              <th scope="col" className="num">
                Accepted
              </th>
              <th scope="col" className="num">
                Failed (transient / permanent)
              </th>
              <th scope="col" className="num">
                Call latency mean
              </th>
              <th scope="col" className="num">
                p95
              </th>
            </tr>
          </thead>
          <tbody>
            {(['minute', 'hour', 'day'] as const).map((w) => {
              const s = p.stats[w];
              return (
                <tr key={w}>
                  <th scope="row">Last {w}</th>
                  <td className="num">{fmtNum(s.calls)}</td>
                  <td className="num">{fmtNum(s.messages)}</td>
                  <td className="num">{s.calls ? (s.messages / s.calls).toFixed(1) : '—'}</td>
                  <td className="num">{fmtNum(s.successes)}</td>
                  <td className="num">
                    {fmtNum(s.transientFailures)} / {fmtNum(s.permanentFailures)}
                  </td>
                  <td className="num">{fmtMs(s.latencyMs.mean)}</td>
                  <td className="num">{fmtMs(s.latencyMs.p95)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
