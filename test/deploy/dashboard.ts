import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Repository root (test/deploy/../..). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The dashboard shipped in grafana/dashboards. */
export const DASHBOARD_PATH = fileURLToPath(new URL('../../grafana/dashboards/tollgate.json', import.meta.url));

export interface DashboardDatasource {
  type?: string;
  uid?: string;
}

export interface DashboardTarget {
  refId: string;
  expr?: string;
  datasource?: DashboardDatasource;
  instant?: boolean;
}

export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  datasource?: DashboardDatasource;
  targets?: DashboardTarget[];
  /** Data links (`fieldConfig.defaults.links`). */
  fieldConfig?: { defaults?: { links?: { title: string; url: string }[] } };
  /** Collapsed rows keep their panels here. */
  panels?: DashboardPanel[];
}

export interface DashboardVariable {
  name: string;
  type: string;
  query?: string | { query?: string };
  allValue?: string;
  includeAll?: boolean;
  current?: { value?: string | string[] };
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: DashboardPanel[];
  links?: { title: string; url: string }[];
  templating?: { list?: DashboardVariable[] };
}

/** One PromQL expression of one panel, as written in the dashboard (variables unresolved). */
export interface DashboardQuery {
  panelId: number;
  panelTitle: string;
  refId: string;
  expr: string;
}

export function readDashboard(path: string = DASHBOARD_PATH): Dashboard {
  return JSON.parse(readFileSync(path, 'utf8')) as Dashboard;
}

/** Every panel, rows' nested panels included. */
export function allPanels(dashboard: Dashboard): DashboardPanel[] {
  return dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** Every PromQL expression of every panel. */
export function dashboardQueries(dashboard: Dashboard): DashboardQuery[] {
  return allPanels(dashboard).flatMap((panel) =>
    (panel.targets ?? []).map((t) => ({
      panelId: panel.id,
      panelTitle: panel.title,
      refId: t.refId,
      expr: t.expr ?? '',
    })),
  );
}

/** The query text of each `query` variable (e.g. `label_values(tokens_input_total, provider)`). */
export function variableQueries(dashboard: Dashboard): { name: string; query: string }[] {
  return (dashboard.templating?.list ?? [])
    .filter((v) => v.type === 'query')
    .map((v) => ({ name: v.name, query: typeof v.query === 'string' ? v.query : (v.query?.query ?? '') }));
}

/**
 * Values for Grafana's built-in variables when an expression is sent to Prometheus directly.
 * $__rate_interval is at least four scrape intervals in Grafana; 1m covers the 1 s scrapes of
 * the e2e test and the 15 s scrapes of prometheus/prometheus.yml.
 */
export const GRAFANA_BUILTIN_VALUES: Readonly<Record<string, string>> = {
  __rate_interval: '1m',
  __interval: '15s',
  __interval_ms: '15000',
  __range: '1h',
  __range_s: '3600',
  __range_ms: '3600000',
};

/** What a dashboard variable stands for when "All" is selected (or its current value otherwise). */
function variableValue(variable: DashboardVariable): string {
  if (variable.includeAll === true && variable.allValue !== undefined) return variable.allValue;
  const current = variable.current?.value;
  if (typeof current === 'string') return current;
  throw new Error(`dashboard variable "${variable.name}" has neither an allValue nor a current value`);
}

/**
 * Replaces Grafana variables ($name, ${name}, ${name:format}, [[name]]) with the values
 * Grafana would send: built-ins from GRAFANA_BUILTIN_VALUES, template variables with "All".
 * Throws on a variable the dashboard does not define.
 */
export function substituteVariables(expr: string, dashboard: Dashboard): string {
  const variables = new Map((dashboard.templating?.list ?? []).map((v) => [v.name, v]));
  const valueOf = (name: string): string => {
    const builtin = GRAFANA_BUILTIN_VALUES[name];
    if (builtin !== undefined) return builtin;
    const variable = variables.get(name);
    if (variable === undefined) throw new Error(`expression uses undefined variable $${name}: ${expr}`);
    return variableValue(variable);
  };
  return expr.replace(
    /\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)\]\]|\$(\w+)/g,
    (_match, braced?: string, bracketed?: string, bare?: string) => valueOf(braced ?? bracketed ?? bare ?? ''),
  );
}
