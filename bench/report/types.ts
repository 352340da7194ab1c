/** The figures of one `npm run bench`, as written to docs/bench/last-run.json. */
export interface BenchRun {
  machine: Machine;
  settings: Settings;
  steps: StepOutcome[];
  tables: FigureTable[];
  series: Series[];
}

export interface Machine {
  /** ISO date and time the run started, UTC. */
  date: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  docker: string;
  node: string;
  /** 1-minute load average when the run started and ended: other work on the machine shows here. */
  loadAtStart: number;
  loadAtEnd: number;
}

export interface Settings {
  runs: number;
  quick: boolean;
  /** The steps asked for with BENCH_ONLY, or undefined for all of them. */
  only?: string[];
  /** Free text the operator gives with BENCH_NOTE, e.g. what else loaded the machine. */
  note?: string;
}

export interface StepOutcome {
  name: string;
  status: 'ok' | 'failed' | 'skipped';
  seconds: number;
  /** First line of the error, for a failed step. */
  error?: string;
}

export type Unit = 'ms' | 's' | 'MiB/s';

/** A figure of sidekick beside the docker CLI doing the same work in the same run. */
export interface FigureRow {
  what: string;
  unit: Unit;
  sidekick: number;
  /** What the docker CLI did, e.g. "`docker cp`"; empty when there is nothing to compare with. */
  against: string;
  docker?: number;
  /** Whether a smaller figure is the better one (times) or a larger one (throughput). */
  better: 'lower' | 'higher';
  /** The project's budget for sidekick ÷ docker, e.g. { max: 1.15 } or { min: 0.5 }. */
  budget?: { max?: number; min?: number };
}

export interface FigureTable {
  id: string;
  title: string;
  /** How it was measured: runs, sizes, what the comparison is and why. */
  note: string;
  rows: FigureRow[];
}

/** A scaling series: one line per tool, one point per size; null where a measurement is missing. Its id is its table's id, or that id + "/" + a name. */
export interface Series {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  x: number[];
  lines: { name: string; values: (number | null)[] }[];
  /** When set, each size also shows the first line ÷ the second, under this name (e.g. "sidekick ÷ docker"). */
  ratioLabel?: string;
}
