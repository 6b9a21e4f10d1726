// orderhub: talk to a platform's print component (打印组件) on the packer's PC.
//
// The console asks orderhub for a wave's print jobs (Waybills.print_jobs: {component, task_id,
// message, codes}), sends each job's message unchanged to the component's local WebSocket, and
// reports what the component says back to orderhub (Waybills.record_print).  Encrypted print
// data is passed through as the platform gave it: only the component may render it.
//
//   import { PrintComponent } from "./print-component.js";
//   const cainiao = new PrintComponent("cainiao");          // ws://localhost:13528
//   await cainiao.connect();
//   const { printers } = await cainiao.getPrinters();
//   const outcome = await cainiao.print(job);                // {task_id, printed, failed}
//
// Protocols (reference fulfilment.md §2): Cainiao, PDD and Douyin share the envelope
// {cmd, requestID, version}; results come as notifyPrintResult (PDD: PrintResultNotify, without
// requestID) keyed by taskID.  JD (protocol v2) sends {key, version: "2", orderType} and answers
// with code "2" (print), "6" (printers), status "500" = ok.

export const PORTS = {
  cainiao: { ws: "ws://localhost:13528", wss: "wss://localhost:13529" },
  pdd: { ws: "ws://localhost:5000", wss: "wss://localhost:18653" },
  douyin: { ws: "ws://localhost:13888", wss: "wss://localhost:13999" },
  jd: { ws: "ws://localhost:9113", wss: null },
};

function randomId() {
  return Math.random().toString(16).slice(2, 10) + Date.now().toString(16);
}

/** The outcome a component message reports for job, or null when it is about something else. */
export function readResult(message, job) {
  if (job.component === "jd") {
    if (message.key !== job.task_id || String(message.code) !== "2") return null;
    const ok = (message.success === true || message.success === "true")
      && String(message.status) === "500";
    const failed = {};
    if (!ok) for (const c of job.codes) failed[c] = String(message.message);
    return { task_id: job.task_id, printed: ok ? [...job.codes] : [], failed, final: true };
  }
  if (message.cmd === "PrintResultNotify" && message.taskID === job.task_id) {
    if (message.taskStatus === "printed") {
      return { task_id: job.task_id, printed: [...job.codes], failed: {}, final: true };
    }
    const first = Number(message.firstFailedDocSN || 1);
    const failed = {};
    for (const c of job.codes.slice(first - 1)) failed[c] = "failed";
    return { task_id: job.task_id, printed: job.codes.slice(0, first - 1), failed, final: true };
  }
  if ((message.cmd === "notifyPrintResult" || message.cmd === "notifyDocResult")
      && message.taskID === job.task_id) {
    const out = { task_id: job.task_id, printed: [], failed: {}, final: false };
    for (const s of message.printStatus || []) {
      if (s.status === "success") out.printed.push(String(s.documentID));
      else out.failed[String(s.documentID)] = String(s.msg || s.status);
    }
    out.final = message.taskStatus === "printed" || message.taskStatus === "failed";
    return out;
  }
  return null;
}

export class PrintComponent {
  /** kind: cainiao | pdd | douyin | jd; url: override the component's default port. */
  constructor(kind, { url = null, secure = false } = {}) {
    if (!PORTS[kind]) throw new Error(`unknown print component ${kind}`);
    this.kind = kind;
    this.url = url || (secure && PORTS[kind].wss) || PORTS[kind].ws;
    this.socket = null;
    this.listeners = new Set();
  }

  connect() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url);
      ws.onopen = () => { this.socket = ws; resolve(this); };
      ws.onerror = () => reject(new Error(
        `no ${this.kind} print component at ${this.url}: is it installed and running?`));
      ws.onmessage = (event) => {
        let message;
        try { message = JSON.parse(event.data); } catch { return; }
        for (const listener of [...this.listeners]) listener(message);
      };
    });
  }

  close() {
    if (this.socket) this.socket.close();
  }

  /** Listen to every message (returns a function that stops listening). */
  onMessage(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  send(message) {
    this.socket.send(JSON.stringify(message));
  }

  /** Send and resolve with the reply carrying the same requestID (JD: key). */
  request(message, timeoutMs = 30000) {
    const idKey = "key" in message ? "key" : "requestID";
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { stop(); reject(new Error("component timed out")); },
        timeoutMs);
      const stop = this.onMessage((reply) => {
        if (reply[idKey] === message[idKey]) { clearTimeout(timer); stop(); resolve(reply); }
      });
      this.send(message);
    });
  }

  getPrinters() {
    if (this.kind === "jd") {
      return this.request({ key: randomId(), version: "2", orderType: "GET_Printers",
        parameters: {} });
    }
    return this.request({ cmd: "getPrinters", requestID: randomId(), version: "1.0" });
  }

  /** Send an orderhub print job; resolves once every document (or the task) is reported. */
  print(job, timeoutMs = 120000) {
    return new Promise((resolve, reject) => {
      const outcome = { task_id: job.task_id, printed: [], failed: {}, final: false };
      const timer = setTimeout(() => { stop(); reject(new Error("print timed out")); },
        timeoutMs);
      const stop = this.onMessage((message) => {
        if (message.cmd === "print" && message.status === "failed"
            && message.requestID === job.message.requestID) {
          for (const c of job.codes) outcome.failed[c] = String(message.msg);
          outcome.final = true;
        } else {
          const got = readResult(message, job);
          if (!got) return;
          for (const c of got.printed) if (!outcome.printed.includes(c)) outcome.printed.push(c);
          Object.assign(outcome.failed, got.failed);
          outcome.final = got.final
            || outcome.printed.length + Object.keys(outcome.failed).length >= job.codes.length;
        }
        if (outcome.final) { clearTimeout(timer); stop(); resolve(outcome); }
      });
      this.send(job.message);
    });
  }
}
