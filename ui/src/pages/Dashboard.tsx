import { useState } from 'react';
import { useApi } from '../session.tsx';
import { useLoad } from '../hooks.ts';
import type { Overview, Timeseries } from '../types.ts';
import { COLORS, Donut, TimeBars, TimeLine, colorAt } from '../components/charts.tsx';
import { ErrorBox, PageHeader, Stat, Updated } from '../components/ui.tsx';
import { fmtDayHour, fmtMs, fmtNum, fmtPct, fmtTime } from '../format.ts';
import { Link } from '../router.tsx';
import { RetentionPolicy } from '../components/RetentionPolicy.tsx';

const LIVE_MS = 5000;
const METRICS = ['accepted', 'sent', 'delivered', 'failed', 'retried'] as const;
type Metric = (typeof METRICS)[number];
const LABEL: Record<Metric, string> = {
  accepted: 'Accepted',
  sent: 'Sent',
  delivered: 'Delivered',
  failed: 'Failed',
  retried: 'Retrying',
};

export function Dashboard() {
  const api = useApi();
  const [live, setLive] = useState(true);
  const [by, setBy] = useState<'channel' | 'provider'>('channel');
  const [metric, setMetric] = useState<Metric>('accepted');
  const every = live ? LIVE_MS : undefined;

  const overview = useLoad(() => api.get<Overview>('/v1/stats/overview', { windowMinutes: 60 }), [], every);
  const minutes = useLoad(() => api.get<Timeseries>('/v1/stats/timeseries', { bucket: 'minute' }), [], every);
  const hours = useLoad(
    () => api.get<Timeseries>('/v1/stats/timeseries', { bucket: 'hour' }),
    [],
    live ? 60_000 : undefined,
  );
  const split = useLoad(() => api.get<Timeseries>('/v1/stats/timeseries', { bucket: 'minute', by }), [by], every);

  const o = overview.data;
  const t = o?.totals;
  const all = (ts: Timeseries | undefined) => ts?.series[0];
  const byMetric = (ts: Timeseries | undefined) =>
    METRICS.map((k) => ({
      label: LABEL[k],
      data: all(ts)?.[k] ?? ts?.timestamps.map(() => 0) ?? [],
      color: COLORS[k],
      dashed: k === 'accepted',
    }));
  const error = overview.error ?? minutes.error ?? hours.error ?? split.error;

  return (
    <>
      <PageHeader
        title="Dashboard"
        subtitle="Message flow over the last hour, and the last 7 days"
        actions={
          <>
            <Updated at={overview.updatedAt} />
            <label className="switch">
              <input type="checkbox" checked={live} onChange={(e) => setLive(e.target.checked)} />
              <span>Live ({LIVE_MS / 1000} s)</span>
            </label>
            <button
              type="button"
              className="btn"
              onClick={() => {
                overview.reload();
                minutes.reload();
                hours.reload();
                split.reload();
              }}
            >
              Refresh
            </button>
          </>
        }
      />
      {error && <ErrorBox error={error} />}

      <section aria-label="Last hour at a glance" className="stats-grid">
        <Stat testId="stat-accepted" label="Accepted · 1 h" value={fmtNum(t?.accepted)} tone="accepted" />
        <Stat
          label="Delivered · 1 h"
          value={fmtNum(t?.delivered)}
          hint={t ? `${fmtNum(t.sent)} handed over, awaiting receipt` : undefined}
          tone="delivered"
        />
        <Stat
          label="Failed · 1 h"
          value={fmtNum(t?.failed)}
          hint={t ? `${fmtPct(t.failed, t.failed + t.delivered + t.sent)} of finished` : undefined}
          tone="failed"
        />
        <Stat label="Retrying · 1 h" value={fmtNum(t?.retried)} hint="transient failures, tried again" tone="retried" />
        <Stat
          testId="stat-segments"
          label="SMS segments · 1 h"
          value={fmtNum(t?.segments)}
          hint="parts of the SMS accepted: what carriers bill"
        />
        <Stat
          label="Latency p50 · 1 h"
          value={fmtMs(t?.latency.p50Ms)}
          hint={
            t
              ? `p90 ${fmtMs(t.latency.p90Ms)} · p95 ${fmtMs(t.latency.p95Ms)} · p99 ${fmtMs(t.latency.p99Ms)}`
              : undefined
          }
        />
      </section>

      <div className="grid-2-1">
        <section className="card" aria-labelledby="per-minute">
          <h2 id="per-minute">Per minute · last hour</h2>
          <TimeLine
            id="chart-minute"
            height={300}
            title="Messages per minute over the last hour"
            labels={minutes.data?.timestamps.map(fmtTime) ?? []}
            series={byMetric(minutes.data)}
          />
        </section>
        <section className="card" aria-labelledby="queue">
          <h2 id="queue">Queue depth</h2>
          <Donut
            id="chart-queue"
            title="Open messages by state"
            empty="Nothing waiting: the queue is empty"
            parts={['queued', 'sending', 'sent'].map((s) => ({
              label: s === 'sent' ? 'sent (awaiting receipt)' : s,
              value: o?.queue[s] ?? 0,
              color: COLORS[s] ?? '#888',
            }))}
          />
          <dl className="kv compact">
            {['queued', 'sending', 'sent'].map((s) => (
              <div key={s}>
                <dt>{s}</dt>
                <dd>
                  <Link to={`/messages?state=${s}`}>{fmtNum(o?.queue[s])}</Link>
                </dd>
              </div>
            ))}
          </dl>
          <RetentionPolicy />
        </section>
      </div>

      <section className="card" aria-labelledby="per-hour">
        <h2 id="per-hour">Per hour · last 7 days</h2>
        <TimeBars
          id="chart-hour"
          title="Messages per hour over the last 7 days"
          labels={hours.data?.timestamps.map(fmtDayHour) ?? []}
          series={byMetric(hours.data).filter((s) => s.label !== 'Accepted')}
        />
      </section>

      <section className="card" aria-labelledby="split">
        <div className="card-head">
          <h2 id="split">
            {LABEL[metric]} per minute by {by}
          </h2>
          <div className="toolbar">
            <div className="segmented" role="group" aria-label="Split by">
              {(['channel', 'provider'] as const).map((b) => (
                <button key={b} type="button" aria-pressed={by === b} onClick={() => setBy(b)}>
                  {b}
                </button>
              ))}
            </div>
            <label className="inline">
              <span>Metric</span>
              <select value={metric} onChange={(e) => setMetric(e.target.value as Metric)}>
                {METRICS.map((m) => (
                  <option key={m} value={m}>
                    {LABEL[m]}
                  </option>
                ))}
              </select>
            </label>
          </div>
        </div>
        <TimeBars
          id="chart-split"
          title={`${LABEL[metric]} per minute by ${by}`}
          labels={split.data?.timestamps.map(fmtTime) ?? []}
          series={(split.data?.series ?? []).map((s, i) => ({ label: s.key, data: s[metric], color: colorAt(i) }))}
        />
      </section>

      <section className="card" aria-labelledby="providers-hour">
        <h2 id="providers-hour">By provider · last hour</h2>
        {o && o.byProvider.length === 0 ? (
          <p className="muted">No messages in the last hour.</p>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Provider</th>
                  <th scope="col">Channel</th>
                  <th scope="col" className="num">
                    Accepted
                  </th>
                  <th scope="col" className="num">
                    Sent
                  </th>
                  <th scope="col" className="num">
                    Delivered
                  </th>
                  <th scope="col" className="num">
                    Failed
                  </th>
                  <th scope="col" className="num">
                    Retrying
                  </th>
                  <th scope="col" className="num">
                    p50
                  </th>
                  <th scope="col" className="num">
                    p95
                  </th>
                </tr>
              </thead>
              <tbody>
                {(o?.byProvider ?? []).map((p) => (
                  <tr key={`${p.provider}/${p.channel}`}>
                    <th scope="row">
                      <Link to={`/messages?provider=${encodeURIComponent(p.provider)}`}>{p.provider}</Link>
                    </th>
                    <td>{p.channel}</td>
                    <td className="num">{fmtNum(p.accepted)}</td>
                    <td className="num">{fmtNum(p.sent)}</td>
                    <td className="num">{fmtNum(p.delivered)}</td>
                    <td className="num">{fmtNum(p.failed)}</td>
                    <td className="num">{fmtNum(p.retried)}</td>
                    <td className="num">{fmtMs(p.latency.p50Ms)}</td>
                    <td className="num">{fmtMs(p.latency.p95Ms)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
