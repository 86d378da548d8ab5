import { ApiError, token } from './api.js';
import { setupAdmin } from './admin.js';
import { banner, byId } from './dom.js';
import { followEvents } from './live.js';
import { renderBudgets, renderTotals } from './overview.js';
import { renderUnpriced } from './unpriced.js';
import { renderBreakdowns, renderChart, resizeChart } from './spendChart.js';
import { renderTraces } from './traces.js';

const THEME_KEY = 'tollgate.theme';

function applyTheme(theme: string | null): void {
  if (theme === 'dark' || theme === 'light') document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
}

function explain(err: unknown): void {
  if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
    banner(`This server needs a token to read: enter TOLLGATE_READ_TOKEN (or the admin token) above. (${err.message})`);
  } else {
    banner(`Could not load: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function start(): void {
  applyTheme(localStorage.getItem(THEME_KEY));
  byId('theme').addEventListener('click', () => {
    const dark = document.documentElement.dataset.theme === 'dark' || (document.documentElement.dataset.theme === undefined && matchMedia('(prefers-color-scheme: dark)').matches);
    const next = dark ? 'light' : 'dark';
    localStorage.setItem(THEME_KEY, next);
    applyTheme(next);
    void refreshCharts();
  });

  let admin: ReturnType<typeof setupAdmin> | undefined;
  let refreshing = false;
  let again = false;
  const refresh = async (): Promise<void> => {
    if (refreshing) {
      again = true;
      return;
    }
    refreshing = true;
    try {
      const now = Date.now();
      const [, pause] = await Promise.all([renderTotals(now), renderBudgets(now, () => void refresh()), renderUnpriced()]);
      admin?.showPause(pause);
      banner('');
      document.body.dataset.loaded = 'true';
    } catch (err: unknown) {
      explain(err);
    } finally {
      refreshing = false;
      if (again) {
        again = false;
        void refresh();
      }
    }
  };
  const refreshCharts = async (): Promise<void> => {
    try {
      const now = Date.now();
      await Promise.all([renderChart(now), renderBreakdowns(now), renderTraces()]);
    } catch (err: unknown) {
      explain(err);
    }
  };
  admin = setupAdmin(() => void refresh());

  const input = byId<HTMLInputElement>('token');
  input.value = token.get();
  let stopEvents = followEvents(() => void refresh());
  const restart = (): void => {
    stopEvents();
    stopEvents = followEvents(() => void refresh());
    void refresh();
    void refreshCharts();
  };
  byId<HTMLFormElement>('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    token.set(input.value.trim());
    restart();
  });
  byId('token-clear').addEventListener('click', () => {
    input.value = '';
    token.set('');
    restart();
  });
  byId('chart-by').addEventListener('change', () => void refreshCharts());
  byId('chart-range').addEventListener('change', () => void refreshCharts());
  byId('traces-refresh').addEventListener('click', () => void renderTraces().catch(explain));
  window.addEventListener('resize', resizeChart);

  void refresh();
  void refreshCharts();
  setInterval(() => void refresh(), 5_000);
  setInterval(() => void refreshCharts(), 30_000);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
