package io.ferry.admin;

/**
 * The live stats page: one self-contained HTML document (no CDN, no external file — the machine may
 * be offline) that polls {@code /status} every two seconds and draws every backend and server with
 * its state, load, rates, errors and latency, and the cache's hit ratio and memory.
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
            table{border-collapse:collapse;min-width:60em} th,td{padding:3px 10px;border-bottom:1px solid #ddd;text-align:right}
            th:first-child,td:first-child,td.l{text-align:left} th{background:#f3f3f3}
            tr.up td.state{background:#c8f0c8} tr.down td.state{background:#f7c0c0} tr.drained td.state{background:#f5e3a3}
            #meta{color:#666} .err{color:#b00}
            </style></head><body>
            <h1>Ferry</h1><div id="meta">loading…</div>
            <h2>Backends</h2><div id="backends"></div>
            <h2>Cache</h2><div id="cache">off</div>
            <script>
            "use strict";
            let previous = {};
            function cell(text, cls) { const td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; return td; }
            function render(status, elapsed) {
              document.getElementById("meta").textContent = (status.ready ? "ready" : "draining") + " · "
                + status.client_connections + " client connections · requests by protocol: "
                + (Object.entries(status.requests_by_protocol || {}).map(([p, n]) => p + " " + n).join(", ") || "none")
                + " · updated " + new Date().toLocaleTimeString();
              const root = document.getElementById("backends");
              root.replaceChildren();
              for (const b of status.backends) {
                const table = document.createElement("table");
                table.id = "backend-" + b.name;
                const cap = document.createElement("caption"); cap.style.textAlign = "left";
                cap.textContent = b.name + " (" + b.type + ", " + b.balance + ", queue " + b.queue + ")";
                table.appendChild(cap);
                const head = document.createElement("tr");
                for (const h of ["server", "state", "weight", "in flight", "connections", "requests", "req/s", "errors", "p50 ms", "p90 ms", "p99 ms", "max ms"]) {
                  const th = document.createElement("th"); th.textContent = h; head.appendChild(th);
                }
                table.appendChild(head);
                for (const s of b.servers) {
                  const key = b.name + "/" + s.name;
                  const rate = previous[key] === undefined || !elapsed ? 0 : Math.max(0, (s.requests - previous[key]) / elapsed);
                  previous[key] = s.requests;
                  const tr = document.createElement("tr");
                  tr.className = s.state; tr.dataset.server = s.name;
                  tr.append(cell(s.name, "l"), cell(s.state, "state"), cell(s.weight), cell(s.in_flight), cell(s.open_connections),
                    cell(s.requests), cell(rate.toFixed(1)), cell(s.errors, s.errors > 0 ? "err" : ""),
                    cell(s.latency_ms.p50), cell(s.latency_ms.p90), cell(s.latency_ms.p99), cell(s.latency_ms.max));
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
            let last = 0;
            async function refresh() {
              try {
                const response = await fetch("status", {cache: "no-store"});
                const status = await response.json();
                const now = performance.now();
                render(status, last ? (now - last) / 1000 : 0);
                last = now;
              } catch (e) {
                document.getElementById("meta").textContent = "cannot reach Ferry: " + e;
              }
            }
            refresh();
            setInterval(refresh, 2000);
            </script></body></html>
            """;
}
