/**
 * Charts as SVG, rendered on the server by Apache ECharts (its server-side renderer needs no DOM):
 * pages show them without any script, and each comes with its numbers as a table.
 */
import * as echarts from 'echarts';

/** Drawn at about the size a page shows them, so that their text reads at its natural size. */
const LINE_SIZE = { width: 900, height: 240 };
const BAR_WIDTH = 440;
const COLORS = ['#2457c5', '#c2410c', '#15803d', '#7e22ce', '#b45309', '#0e7490'];

type Value = number | null;

function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The page's Content-Security-Policy allows no inline styles: ECharts' `style` attributes become
 * the SVG presentation attributes they stand for, and its hover-only stylesheet is dropped.
 */
function withoutInlineStyles(svg: string): string {
  return svg.replace(/<style[^>]*>[\s\S]*?<\/style>/g, '').replace(/ style="([^"]*)"/g, (_, css: string) =>
    css
      .split(';')
      .map((declaration) => declaration.split(':').map((part) => part.trim()))
      .filter(([name, value]) => name && value && /^[a-z-]+$/.test(name))
      .map(([name, value]) => ` ${name}="${value}"`)
      .join(''),
  );
}

function render(label: string, option: echarts.EChartsOption, size: { width: number; height: number }): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, ...size });
  try {
    chart.setOption({ animation: false, color: COLORS, textStyle: { fontFamily: 'sans-serif' }, ...option });
    const svg = withoutInlineStyles(chart.renderToSVGString());
    // The table next to the chart carries its numbers; the image itself is named for what it shows.
    return svg.replace('<svg ', `<svg role="img" aria-label="${escapeAttribute(label)}" class="chart" `);
  } finally {
    chart.dispose();
  }
}

export interface LineSeries {
  name: string;
  values: Value[];
}

/** One line per series over the categories (time buckets) on the metric's whole scale; a null leaves a gap. */
export function lineChart(
  label: string,
  categories: string[],
  series: LineSeries[],
  scale: { min: number; max: number },
): string {
  return render(
    label,
    {
      grid: { left: 48, right: 24, top: series.length > 1 ? 36 : 16, bottom: 32 },
      ...(series.length > 1 ? { legend: { top: 4 } } : {}),
      xAxis: { type: 'category', data: categories, boundaryGap: false },
      yAxis: { type: 'value', ...scale },
      series: series.map((s) => ({
        type: 'line',
        name: s.name,
        data: s.values,
        connectNulls: false,
        symbolSize: 5,
      })),
    },
    LINE_SIZE,
  );
}

/** A horizontal bar per category, largest first as given. */
export function barChart(label: string, categories: string[], values: Value[], unit = ''): string {
  const height = Math.max(120, 48 + categories.length * 24);
  return render(
    label,
    {
      grid: { left: 120, right: 48, top: 16, bottom: 24 },
      xAxis: { type: 'value', scale: false },
      yAxis: { type: 'category', data: categories, inverse: true, axisLabel: { width: 110, overflow: 'truncate' } },
      series: [
        {
          type: 'bar',
          data: values,
          label: { show: true, position: 'right', formatter: `{c}${unit}` },
          barMaxWidth: 18,
        },
      ],
    },
    { width: BAR_WIDTH, height },
  );
}

export interface ScatterSeries {
  name: string;
  points: [number, number][];
}

/** Points by group, with the cut-off lines that divide the plane (quadrants). */
export function scatterChart(
  label: string,
  series: ScatterSeries[],
  axes: { x: string; y: string; yMax: number },
  cutoffs: { x: number; y: number },
): string {
  return render(
    label,
    {
      grid: { left: 56, right: 24, top: 40, bottom: 48 },
      legend: { top: 4 },
      xAxis: { type: 'value', name: axes.x, nameLocation: 'middle', nameGap: 28 },
      yAxis: { type: 'value', name: axes.y, min: 0, max: axes.yMax },
      series: series.map((s, i) => ({
        type: 'scatter',
        name: s.name,
        data: s.points,
        symbolSize: 7,
        ...(i === 0
          ? {
              markLine: {
                silent: true,
                symbol: 'none',
                lineStyle: { color: '#6b7280', type: 'dashed' },
                label: { show: false },
                data: [{ xAxis: cutoffs.x }, { yAxis: cutoffs.y }],
              },
            }
          : {}),
      })),
    },
    LINE_SIZE,
  );
}
