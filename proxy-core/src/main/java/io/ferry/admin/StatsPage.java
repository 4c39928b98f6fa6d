package io.ferry.admin;

/**
 * The live stats page: one self-contained HTML document (no CDN, no external file — the machine may be
 * offline). It polls {@code /status} and {@code /history} every two seconds and draws every backend and server
 * with its state, load and latency now, and its last 15 minutes as small bar charts (request rate, errors, p99,
 * and per backend the cache hit ratio), the step under way as the rightmost bar. The page itself holds no data,
 * so it is served without the admin token; with {@code admin.token} set it asks for the token in a form and keeps
 * it in the browser tab's session storage ({@code #token=…} in the address does the same, then leaves it).
 */
final class StatsPage {
    private StatsPage() {
    }

    static final String HTML = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Ferry stats</title>
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <style>
            body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
            h1{font-size:1.4em;margin:0 0 .3em} h2{font-size:1.1em;margin:1.2em 0 .4em}
            table{border-collapse:collapse;margin-bottom:1.2em} th,td{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right;white-space:nowrap}
            th:first-child,td:first-child,td.l{text-align:left} th{background:#f3f3f3;font-weight:600}
            caption{text-align:left;font-weight:600;padding:4px 0}
            tr.up td.state{background:#c8f0c8} tr.down td.state{background:#f7c0c0} tr.drained td.state{background:#f5e3a3}
            tr.backend td{background:#fafafa;font-weight:600}
            td.chart{padding:2px 6px;text-align:left} td.chart svg{display:block;background:#f3f6f9} td.chart span{display:block;font-size:.8em;color:#555}
            #meta{color:#666} .err{color:#b00} #login{margin:1em 0;padding:1em;border:1px solid #ccc;max-width:28em}
            #login input{width:16em} #signout{margin-left:1em;font-size:.9em}
            </style></head><body>
            <h1>Ferry</h1><div id="meta">loading…</div>
            <form id="login" hidden><p>This Ferry's admin listener asks for its token (<code>admin.token</code>).</p>
            <label>Admin token <input id="token" type="password" autocomplete="current-password"></label>
            <button type="submit">Sign in</button> <span id="login-error" class="err"></span></form>
            <div id="content">
            <h2>Backends <small>(charts: the last 15 minutes, 10 s a bar, the rightmost one under way)</small></h2><div id="backends"></div>
            <h2>Cache</h2><div id="cache">off</div>
            </div>
            <script>
            "use strict";
            const TOKEN_KEY = "ferry-admin-token";
            let token = sessionStorage.getItem(TOKEN_KEY);
            if (location.hash.startsWith("#token=")) {
              token = decodeURIComponent(location.hash.slice(7));
              sessionStorage.setItem(TOKEN_KEY, token);
              history.replaceState(null, "", location.pathname);
            }
            class NeedToken extends Error {}
            async function get(path) {
              const response = await fetch(path, {cache: "no-store", headers: token ? {Authorization: "Bearer " + token} : {}});
              if (response.status === 401) throw new NeedToken();
              if (!response.ok) throw new Error(path + " answered " + response.status);
              return response.json();
            }
            const SVG = "http://www.w3.org/2000/svg";
            const COLORS = {rate: "#9ecae1", error_pct: "#f4a6a6", p99_ms: "#c7b3e6", hit_pct: "#a8ddb5"};
            const UNITS = {rate: "/s", error_pct: "% err", p99_ms: " ms", hit_pct: "% hit"};
            // A bar per step, scaled to the series' own largest value (hit ratio: to 100 %); null is a gap.
            function chart(values, kind) {
              const w = 2, h = 28, svg = document.createElementNS(SVG, "svg");
              svg.setAttribute("width", values.length * w); svg.setAttribute("height", h);
              svg.setAttribute("class", "spark " + kind);
              const max = kind === "hit_pct" ? 100 : Math.max(0, ...values.filter(v => v !== null));
              values.forEach((v, i) => {
                if (v === null || v <= 0 || max <= 0) return;
                const bar = document.createElementNS(SVG, "rect"), bh = Math.max(1, Math.round(v / max * h));
                bar.setAttribute("x", i * w); bar.setAttribute("y", h - bh); bar.setAttribute("width", w); bar.setAttribute("height", bh);
                bar.setAttribute("fill", COLORS[kind]);
                svg.appendChild(bar);
              });
              const title = document.createElementNS(SVG, "title");
              title.textContent = kind + ", max " + (max > 0 ? max.toFixed(1) : "0") + UNITS[kind];
              svg.appendChild(title);
              return svg;
            }
            function last(values) {
              for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null) return values[i];
              return null;
            }
            function chartCell(series, kind) {
              const td = document.createElement("td"); td.className = "chart";
              if (!series || !series[kind]) return td;
              const now = last(series[kind]);
              const label = document.createElement("span");
              label.textContent = now === null ? "–" : (kind === "p99_ms" ? now.toFixed(1) : now.toFixed(kind === "rate" ? 1 : 0)) + UNITS[kind];
              td.append(chart(series[kind], kind), label);
              return td;
            }
            function cell(text, cls) { const td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; return td; }
            function render(status, history) {
              document.getElementById("meta").textContent = (status.ready ? "ready" : "draining") + " · "
                + status.client_connections + " client connections · requests by protocol: "
                + (Object.entries(status.requests_by_protocol || {}).map(([p, n]) => p + " " + n).join(", ") || "none")
                + " · updated " + new Date().toLocaleTimeString();
              if (token) {
                const out = document.createElement("a"); out.id = "signout"; out.href = "#"; out.textContent = "sign out";
                out.onclick = e => { e.preventDefault(); sessionStorage.removeItem(TOKEN_KEY); token = null; refresh(); };
                document.getElementById("meta").append(out);
              }
              const lines = {};
              for (const b of history.backends) {
                lines[b.name] = b;
                for (const s of b.servers) lines[b.name + "/" + s.name] = s;
              }
              const root = document.getElementById("backends");
              root.replaceChildren();
              for (const b of status.backends) {
                const table = document.createElement("table");
                table.id = "backend-" + b.name;
                const cap = document.createElement("caption");
                cap.textContent = b.name + " (" + b.type + ", " + b.balance + ", queue " + b.queue + ")";
                table.appendChild(cap);
                const head = document.createElement("tr");
                for (const h of ["server", "state", "weight", "in flight", "conns", "requests", "errors", "p99 ms",
                                 "requests / s, 15 min", "errors", "p99", "cache hits"]) {
                  const th = document.createElement("th"); th.textContent = h; head.appendChild(th);
                  if (head.children.length > 8) th.style.textAlign = "left";
                }
                table.appendChild(head);
                const total = document.createElement("tr");
                total.className = "backend"; total.dataset.backend = b.name;
                total.append(cell("all servers", "l"), cell(""), cell(""), cell(""), cell(""), cell(""), cell(""), cell(""),
                  chartCell(lines[b.name], "rate"), chartCell(lines[b.name], "error_pct"), chartCell(lines[b.name], "p99_ms"),
                  chartCell(lines[b.name], "hit_pct"));
                table.appendChild(total);
                for (const s of b.servers) {
                  const line = lines[b.name + "/" + s.name];
                  const tr = document.createElement("tr");
                  tr.className = s.state; tr.dataset.server = s.name;
                  tr.append(cell(s.name, "l"), cell(s.state, "state"), cell(s.weight), cell(s.in_flight), cell(s.open_connections),
                    cell(s.requests), cell(s.errors, s.errors > 0 ? "err" : ""), cell(s.latency_ms.p99),
                    chartCell(line, "rate"), chartCell(line, "error_pct"), chartCell(line, "p99_ms"), cell(""));
                  table.appendChild(tr);
                }
                root.appendChild(table);
              }
              const c = status.cache;
              document.getElementById("cache").textContent = c
                ? "hit ratio " + (c.hit_ratio * 100).toFixed(1) + "% · " + c.objects + " objects · "
                  + (c.bytes / 1048576).toFixed(1) + " MiB · hits " + c.hits + " · grace hits " + c.grace_hits
                  + " · misses " + c.misses + " · passes " + c.passes + " · evictions " + c.evictions
                : "off";
            }
            function signIn(message) {
              document.getElementById("content").hidden = true;
              document.getElementById("login").hidden = false;
              document.getElementById("login-error").textContent = message;
              document.getElementById("meta").textContent = "sign in to see this Ferry";
            }
            document.getElementById("login").addEventListener("submit", e => {
              e.preventDefault();
              token = document.getElementById("token").value;
              sessionStorage.setItem(TOKEN_KEY, token);
              refresh();
            });
            async function refresh() {
              try {
                const [status, history] = await Promise.all([get("status"), get("history")]);
                document.getElementById("login").hidden = true;
                document.getElementById("content").hidden = false;
                render(status, history);
              } catch (e) {
                if (e instanceof NeedToken) {
                  signIn(token ? "that token was refused" : "");
                } else {
                  document.getElementById("meta").textContent = "cannot reach Ferry: " + e;
                }
              }
            }
            refresh();
            setInterval(() => { if (document.getElementById("login").hidden) refresh(); }, 2000);
            </script></body></html>
            """;
}
