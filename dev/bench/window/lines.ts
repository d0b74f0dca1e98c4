/** Lines of a byte stream, one at a time (the bench's parent and its invocation processes talk in JSON lines). */
export class LineReader {
  private buf = '';
  private readonly waiting: Array<(l: string | null) => void> = [];
  private readonly lines: string[] = [];
  private done = false;

  constructor(stream: ReadableStream<Uint8Array>) {
    (async () => {
      const dec = new TextDecoder();
      for await (const chunk of stream) {
        this.buf += dec.decode(chunk, { stream: true });
        let nl;
        while ((nl = this.buf.indexOf('\n')) >= 0) {
          this.push(this.buf.slice(0, nl));
          this.buf = this.buf.slice(nl + 1);
        }
      }
      if (this.buf) this.push(this.buf);
      this.done = true;
      for (const w of this.waiting.splice(0)) w(null);
    })().catch(() => {
      this.done = true;
      for (const w of this.waiting.splice(0)) w(null);
    });
  }

  private push(l: string) {
    const w = this.waiting.shift();
    if (w) w(l);
    else this.lines.push(l);
  }

  next(): Promise<string | null> {
    if (this.lines.length) return Promise.resolve(this.lines.shift()!);
    if (this.done) return Promise.resolve(null);
    return new Promise((r) => this.waiting.push(r));
  }
}
