// SPDX-License-Identifier: LGPL-2.1-or-later
// whosock serve's page: the service map of /api/v1/deps drawn as SVG and
// the rows of /api/v1/top beside it, refreshed every few seconds. Every
// name from the API goes into the page as text (textContent), never as
// markup.
"use strict";

const REFRESH_MS = 3000;
// A map or a table of thousands helps nobody: the busiest first, this many
// (the filters narrow the rest down).
const MAX_EDGES = 120, MAX_ROWS = 200;
const SVG = "http://www.w3.org/2000/svg";
// Filters of both endpoints, then each one's own.
const SHARED_KEYS = ["comm", "user", "container", "netns"];
const TOP_KEYS = SHARED_KEYS.concat(["by", "port"]);
const DEPS_KEYS = SHARED_KEYS.concat(["deps_by", "service"]);
const ALL_KEYS = SHARED_KEYS.concat(["by", "port", "deps_by", "service"]);

const form = document.getElementById("filters");
const statusLine = document.getElementById("status");
let timer = null;

// The form from the page's own query (?by=...&comm=...), so a link keeps its filters.
function loadFilters() {
	const q = new URLSearchParams(location.search);
	for (const key of ALL_KEYS) {
		if (q.has(key) && form.elements[key])
			form.elements[key].value = q.get(key);
	}
}

function query(keys, rename) {
	const q = new URLSearchParams();
	for (const key of keys) {
		const v = form.elements[key].value.trim();
		if (v)
			q.set(rename[key] || key, v);
	}
	return q;
}

function el(name, attrs, text) {
	const e = document.createElementNS(SVG, name);
	for (const [k, v] of Object.entries(attrs || {}))
		e.setAttribute(k, String(v));
	if (text !== undefined)
		e.textContent = text;
	return e;
}

function short(s, n) {
	s = String(s);
	return s.length > n ? s.slice(0, n - 1) + "…" : s;
}

function bytes(n) {
	if (n === null || n === undefined)
		return "–";
	const units = ["B", "KiB", "MiB", "GiB", "TiB"];
	let i = 0;
	while (n >= 1024 && i < units.length - 1) {
		n /= 1024;
		i++;
	}
	return (i ? n.toFixed(1) : String(n)) + " " + units[i];
}

function netnsText(name, inode) {
	return name || (inode ? String(inode) : "");
}

// ---- the service map ----

function clientOf(e) {
	const c = e.client;
	const main = c.comm || c.user || (c.uid !== null ? "uid " + c.uid : null) ||
		(c.container ? c.container.id : null) || netnsText(c.netns_name, c.netns) || "?";
	const sub = [];
	if (c.comm && (c.user || c.uid !== null))
		sub.push(c.user || "uid " + c.uid);
	if (c.container && main !== c.container.id)
		sub.push("container " + c.container.id);
	if (c.netns !== null && main !== netnsText(c.netns_name, c.netns))
		sub.push("netns " + netnsText(c.netns_name, c.netns));
	return { key: JSON.stringify([main, sub]), main: main, sub: sub.join(" · ") };
}

function serviceOf(e) {
	const s = e.server;
	const addr = s.addr.includes(":") ? "[" + s.addr + "]" : s.addr;
	const main = s.proto + " " + addr + ":" + s.port;
	const sub = s.local ? [s.comm || "?", "netns " + netnsText(s.netns_name, s.netns)].join(" · ")
		: "not on this machine";
	return { key: JSON.stringify([main, s.local ? s.netns : null]), main: main, sub: sub,
		 local: s.local };
}

function drawMap(edges) {
	const svg = document.getElementById("map");
	const clients = new Map(), services = new Map();
	for (const e of edges) {
		const c = clientOf(e), s = serviceOf(e);
		if (!clients.has(c.key))
			clients.set(c.key, Object.assign(c, { y: 0 }));
		if (!services.has(s.key))
			services.set(s.key, Object.assign(s, { y: 0 }));
		e.from = clients.get(c.key);
		e.to = services.get(s.key);
	}
	const W = 760, BW = 250, BH = 36, GAP = 12, TOPY = 10;
	const rows = Math.max(clients.size, services.size, 1);
	const H = TOPY * 2 + rows * (BH + GAP);
	svg.replaceChildren();
	svg.setAttribute("viewBox", "0 0 " + W + " " + H);
	svg.setAttribute("height", H);
	svg.setAttribute("preserveAspectRatio", "xMidYMin meet");
	if (!edges.length) {
		svg.appendChild(el("text", { x: 20, y: 30 }, "no dependencies seen yet"));
		return;
	}
	const place = (nodes, x, cls) => {
		let i = 0;
		for (const n of nodes.values()) {
			n.y = TOPY + i++ * (BH + GAP);
			const g = el("g", { class: cls + (n.local === false ? " remote" : "") });
			g.appendChild(el("title", {}, n.main + (n.sub ? "\n" + n.sub : "")));
			g.appendChild(el("rect", { x: x, y: n.y, width: BW, height: BH, rx: 4 }));
			g.appendChild(el("text", { x: x + 8, y: n.y + 15 }, short(n.main, 34)));
			g.appendChild(el("text", { x: x + 8, y: n.y + 29, class: "sub" }, short(n.sub, 42)));
			svg.appendChild(g);
		}
	};
	place(clients, 10, "client");
	place(services, W - BW - 10, "service");
	for (const e of edges) {
		const x1 = 10 + BW, y1 = e.from.y + BH / 2, x2 = W - BW - 10, y2 = e.to.y + BH / 2;
		const mx = (x1 + x2) / 2;
		svg.appendChild(el("path", { d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}` }));
		const label = e.connections + " conn" + (e.sent_bytes !== null ? ", " + bytes(e.sent_bytes) : "");
		svg.appendChild(el("text", { x: mx, y: (y1 + y2) / 2 - 3, class: "count",
					     "text-anchor": "middle" }, label));
	}
}

// ---- the top table ----

function groupText(r) {
	const p = r.process;
	switch (r.by) {
	case "process":
		return p ? p.comm + " [" + p.pid + "]" : "(no process seen)";
	case "connection": {
		const s = r.socket;
		const end = (x) => (x.addr.includes(":") ? "[" + x.addr + "]" : x.addr) + ":" + x.port;
		return (p ? p.comm + " " : "") + s.proto + " " + end(s.local) + " → " + end(s.remote);
	}
	case "remote":
		return r.remote.proto + " " + r.remote.addr + ":" + r.remote.port;
	case "container":
		return r.container ? r.container.id : r.known ? "(host)" : "(not known)";
	case "user":
		return r.user || (r.uid !== null ? "uid " + r.uid : "(not known)");
	default:
		return netnsText(r.netns_name, r.netns);
	}
}

function drawTop(rows) {
	const body = document.querySelector("#top tbody");
	body.replaceChildren();
	for (const r of rows) {
		const tr = document.createElement("tr");
		const secs = r.interval_ms > 0 ? r.interval_ms / 1000 : 1;
		const cells = [groupText(r), netnsText(r.netns_name, r.netns), String(r.connections),
			       bytes(Math.round(r.sent_bytes / secs)) + "/s",
			       bytes(Math.round(r.received_bytes / secs)) + "/s",
			       bytes(r.sent_total), bytes(r.received_total)];
		for (const c of cells) {
			const td = document.createElement("td");
			td.textContent = c;
			tr.appendChild(td);
		}
		tr.firstChild.title = cells[0];
		body.appendChild(tr);
	}
	const first = rows[0];
	document.getElementById("interval").textContent = first
		? "(" + (first.interval_ms / 1000).toFixed(1) + " s to " + first.ts + ")" : "(no rows yet)";
}

// ---- refreshing ----

async function getJSON(path) {
	const resp = await fetch(path, { headers: { Accept: "application/json" } });
	const body = await resp.json();
	if (!resp.ok)
		throw new Error(path.split("?")[0] + ": " + (body.error || resp.status));
	return body;
}

async function refresh() {
	clearTimeout(timer);
	const top = query(TOP_KEYS, {}), deps = query(DEPS_KEYS, { deps_by: "by" });
	try {
		const [edges, rows] = await Promise.all([getJSON("api/v1/deps?" + deps),
							 getJSON("api/v1/top?" + top)]);
		edges.sort((a, b) => b.connections - a.connections);
		drawMap(edges.slice(0, MAX_EDGES));
		drawTop(rows.slice(0, MAX_ROWS));
		const shown = (n, max) => (n > max ? max + " of " + n : String(n));
		statusLine.className = "";
		statusLine.textContent = shown(edges.length, MAX_EDGES) + " dependencies (most connections first), " +
			shown(rows.length, MAX_ROWS) + " rows; updated " + new Date().toLocaleTimeString();
	} catch (err) {
		statusLine.className = "error";
		statusLine.textContent = String(err.message || err);
	}
	timer = setTimeout(refresh, REFRESH_MS);
}

form.addEventListener("submit", (ev) => {
	ev.preventDefault();
	const q = query(ALL_KEYS, {});
	history.replaceState(null, "", "?" + q);
	refresh();
});

loadFilters();
refresh();
