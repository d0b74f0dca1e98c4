/**
 * A one-line progress bar on stderr (redrawn in place on a terminal, a line every 10 % otherwise).
 */
const enc = new TextEncoder();

export function fmtDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(sec).padStart(2, '0')}s` : `${(ms / 1000).toFixed(1)}s`;
}

export class Progress {
  private readonly tty = Deno.stderr.isTerminal();
  private lastDecile = -1;
  private drawn = false;
  private phase = '';
  private readonly t0 = performance.now();

  setPhase(name: string) {
    this.end();
    this.phase = name;
    this.lastDecile = -1;
    this.log(`▶ ${name}`);
  }

  update(done: number, total: number, extra = '') {
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const width = 28;
    const full = Math.round(frac * width);
    const bar = '█'.repeat(full) + '░'.repeat(width - full);
    const line = `  ${bar} ${String(done).padStart(String(total).length)}/${total} ${extra}  [${fmtDuration(performance.now() - this.t0)} elapsed]`;
    if (this.tty) {
      this.drawn = true;
      Deno.stderr.writeSync(enc.encode(`\r\x1b[2K${line.slice(0, (Deno.consoleSize?.().columns ?? 120) - 1)}`));
    } else {
      const decile = Math.floor(frac * 10);
      if (decile !== this.lastDecile) {
        this.lastDecile = decile;
        Deno.stderr.writeSync(enc.encode(line + '\n'));
      }
    }
  }

  end() {
    if (this.tty && this.drawn) Deno.stderr.writeSync(enc.encode('\n'));
    this.drawn = false;
  }

  log(msg: string) {
    this.drawn = false;
    Deno.stderr.writeSync(enc.encode(`${this.tty ? '\r\x1b[2K' : ''}${msg}\n`));
  }
}
