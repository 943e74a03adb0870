// Sign-in burst: N sign-in attempts at the same moment against a running Baton on
// loopback, and the server's memory before, during and after (from /proc). Two bursts:
// wrong passwords for N different (unknown) emails — each needs a password check — and
// N right passwords for the demo logins.
//
//   BATON_URL=http://127.0.0.1:3057 BATON_PID=$(pgrep -f 'baton serve') \
//     node bench/signin-burst.mjs [attempts]
import { readFileSync } from "node:fs";

const base = process.env.BATON_URL ?? "http://127.0.0.1:3057";
if (!/^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?$/.test(base)) throw new Error("loopback only");
const pid = process.env.BATON_PID;
if (!pid) throw new Error("BATON_PID: the server's process id");
const attempts = Number(process.argv[2] ?? 300);
const LOGINS = ["admin", "am", "pm", "team", "finance", "daniel"].map((n) => `${n}@northwind.test`);

const kib = (field) => Number(readFileSync(`/proc/${pid}/status`, "utf8").match(new RegExp(`${field}:\\s+(\\d+)`))[1]);
const mib = (k) => (k / 1024).toFixed(1);

async function burst(label, body) {
  const before = kib("VmRSS");
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, kib("VmRSS"))), 10);
  const t0 = performance.now();
  const statuses = await Promise.all(
    Array.from({ length: attempts }, async (_, i) => {
      const t = performance.now();
      try {
        const r = await fetch(`${base}/api/login`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json", origin: base },
          body: body(i),
          redirect: "manual",
        });
        await r.arrayBuffer();
        return [r.status, performance.now() - t];
      } catch (e) {
        return [`network: ${e.cause?.code ?? e.message}`, performance.now() - t];
      }
    }),
  );
  const wall = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 500));
  clearInterval(sampler);
  const after = kib("VmRSS");
  const counts = {};
  for (const [s] of statuses) counts[s] = (counts[s] ?? 0) + 1;
  const slowest = Math.max(...statuses.map(([, t]) => t));
  console.log(
    `${label}: ${attempts} at once in ${wall.toFixed(0)} ms (slowest answer ${slowest.toFixed(0)} ms); ` +
      `answers ${JSON.stringify(counts)}; RSS ${mib(before)} → peak ${mib(peak)} → after ${mib(after)} MiB ` +
      `(peak ${mib(peak - before)} MiB over the start)`,
  );
}

console.log(`server RSS at start ${mib(kib("VmRSS"))} MiB`);
await burst("wrong passwords, different emails", (i) => `email=nobody${i}%40nowhere.test&password=wrong-${i}`);
await burst("right passwords, demo logins", (i) => `email=${encodeURIComponent(LOGINS[i % LOGINS.length])}&password=baton-demo`);
console.log(`server high-water mark (VmHWM) ${mib(kib("VmHWM"))} MiB`);
