import {
  ArcElement,
  BarElement,
  CategoryScale,
  Chart as ChartJS,
  Filler,
  Legend,
  LinearScale,
  LineElement,
  PointElement,
  Tooltip,
  type ChartOptions,
} from 'chart.js';
import { useEffect, useState } from 'react';
import { Bar, Doughnut, Line } from 'react-chartjs-2';

ChartJS.register(
  CategoryScale,
  LinearScale,
  PointElement,
  LineElement,
  BarElement,
  ArcElement,
  Filler,
  Tooltip,
  Legend,
);

/** One colour per meaning, everywhere (legend, badges, tables). */
export const COLORS: Record<string, string> = {
  accepted: '#3b6fe0',
  sent: '#0f9bb0',
  delivered: '#1f9d55',
  failed: '#d64545',
  retried: '#d98a00',
  pending: '#8a94a6',
  queued: '#3b6fe0',
  sending: '#7b5cd6',
};
const PALETTE = ['#3b6fe0', '#1f9d55', '#d98a00', '#d64545', '#7b5cd6', '#0f9bb0', '#c2418f', '#6b7a90'];
export const colorAt = (i: number) => PALETTE[i % PALETTE.length]!;

export interface Series {
  label: string;
  data: number[];
  color?: string;
  /** Drawn dashed (e.g. "accepted", which other lines often cover). */
  dashed?: boolean;
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

/** Re-renders a chart when the theme changes (its grid and text colours come from CSS variables). */
function useThemeName(): string {
  const [theme, setTheme] = useState(() => document.documentElement.dataset.theme ?? 'light');
  useEffect(() => {
    const on = () => setTheme(document.documentElement.dataset.theme ?? 'light');
    window.addEventListener('herald-theme', on);
    return () => window.removeEventListener('herald-theme', on);
  }, []);
  return theme;
}

function baseOptions(stacked: boolean): ChartOptions<'line' | 'bar'> {
  const grid = cssVar('--chart-grid', 'rgba(120,130,150,0.18)');
  const text = cssVar('--text-muted', '#5b6472');
  return {
    responsive: true,
    maintainAspectRatio: false,
    // Live refresh redraws every few seconds: no animation keeps the page calm.
    animation: false,
    interaction: { mode: 'index', intersect: false },
    plugins: {
      legend: { position: 'bottom', labels: { boxWidth: 12, color: text, usePointStyle: true } },
      tooltip: { mode: 'index', intersect: false },
    },
    scales: {
      x: { stacked, grid: { display: false }, ticks: { color: text, maxRotation: 0, autoSkipPadding: 12 } },
      y: { stacked, beginAtZero: true, grid: { color: grid }, ticks: { color: text, precision: 0 } },
    },
  };
}

/** Wrapper with a fixed height (no layout jump) and the chart's data total for tests and screen readers. */
function Frame(props: {
  title: string;
  series: Series[];
  height?: number;
  children: React.ReactNode;
  id?: string;
  empty?: string;
}) {
  const total = props.series.reduce((a, s) => a + s.data.reduce((x, y) => x + y, 0), 0);
  return (
    <figure className="chart" data-testid={props.id} data-total={total} style={{ height: props.height ?? 260 }}>
      <figcaption className="sr-only">
        {props.title}: {props.series.map((s) => `${s.label} ${s.data.reduce((x, y) => x + y, 0)}`).join(', ')}
      </figcaption>
      {props.children}
      {total === 0 && <div className="chart-empty">{props.empty ?? 'Nothing in this period yet'}</div>}
    </figure>
  );
}

export function TimeLine(props: { title: string; labels: string[]; series: Series[]; height?: number; id?: string }) {
  useThemeName();
  const data = {
    labels: props.labels,
    datasets: props.series.map((s, i) => ({
      label: s.label,
      data: s.data,
      borderColor: s.color ?? colorAt(i),
      backgroundColor: (s.color ?? colorAt(i)) + '22',
      borderWidth: 2,
      borderDash: s.dashed ? [6, 4] : [],
      pointRadius: 0,
      pointHoverRadius: 4,
      tension: 0.25,
      fill: false,
    })),
  };
  return (
    <Frame {...props}>
      <Line data={data} options={baseOptions(false) as ChartOptions<'line'>} aria-label={props.title} role="img" />
    </Frame>
  );
}

export function TimeBars(props: {
  title: string;
  labels: string[];
  series: Series[];
  height?: number;
  id?: string;
  stacked?: boolean;
}) {
  useThemeName();
  const data = {
    labels: props.labels,
    datasets: props.series.map((s, i) => ({
      label: s.label,
      data: s.data,
      backgroundColor: s.color ?? colorAt(i),
      borderRadius: 2,
      maxBarThickness: 28,
    })),
  };
  return (
    <Frame {...props}>
      <Bar
        data={data}
        options={baseOptions(props.stacked ?? true) as ChartOptions<'bar'>}
        aria-label={props.title}
        role="img"
      />
    </Frame>
  );
}

export function Donut(props: {
  title: string;
  parts: { label: string; value: number; color: string }[];
  height?: number;
  id?: string;
  empty?: string;
}) {
  useThemeName();
  const series = [{ label: props.title, data: props.parts.map((p) => p.value) }];
  const data = {
    labels: props.parts.map((p) => p.label),
    datasets: [
      { data: props.parts.map((p) => p.value), backgroundColor: props.parts.map((p) => p.color), borderWidth: 0 },
    ],
  };
  const text = cssVar('--text-muted', '#5b6472');
  const empty = props.parts.every((p) => p.value === 0);
  return (
    <Frame title={props.title} series={series} height={props.height ?? 220} id={props.id} empty={props.empty}>
      {empty ? null : (
        <Doughnut
          data={data}
          aria-label={props.title}
          role="img"
          options={{
            responsive: true,
            maintainAspectRatio: false,
            animation: false,
            cutout: '62%',
            plugins: { legend: { position: 'right', labels: { boxWidth: 12, color: text, usePointStyle: true } } },
          }}
        />
      )}
    </Frame>
  );
}
