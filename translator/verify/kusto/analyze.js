// Analyse KQL queries with Microsoft's Kusto.Language against given table schemas.
// stdin: one JSON object per line {"id": ..., "query": "...", "tables": {"T": [["Col", "string"], ...]}}
// stdout: one JSON object per line {"id": ..., "diagnostics": [{"severity", "code", "message", "start", "length"}]}
// One process serves a whole batch: loading the library is the slow part.
"use strict";
require("@kusto/language-service-next/bridge.js");
require("@kusto/language-service-next/Kusto.Language.Bridge.js");
const readline = require("readline");

const K = Kusto.Language;
const S = K.Symbols;
const globalsBySchema = new Map();

function globalsFor(tables) {
  const key = JSON.stringify(tables);
  let globals = globalsBySchema.get(key);
  if (!globals) {
    // Tables must sit in a database of a cluster for name resolution (columns, types).
    const symbols = Object.keys(tables).sort().map((name) => {
      const schema = "(" + tables[name].map(([c, t]) => "['" + c.replace(/'/g, "\\'") + "']:" + t).join(", ") + ")";
      return S.TableSymbol.From(schema).WithName(name);
    });
    const db = new S.DatabaseSymbol.ctor("rulec", symbols);
    const cluster = new S.ClusterSymbol.ctor("rulec", [db]);
    globals = K.GlobalState.Default.WithCluster(cluster).WithDatabase(db);
    globalsBySchema.set(key, globals);
  }
  return globals;
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on("line", (line) => {
  if (!line.trim()) return;
  let req;
  try {
    req = JSON.parse(line);
  } catch (e) {
    process.stdout.write(JSON.stringify({ id: null, error: "bad request line: " + e.message }) + "\n");
    return;
  }
  try {
    const code = K.KustoCode.ParseAndAnalyze(req.query, globalsFor(req.tables || {}));
    const diagnostics = Bridge.toArray(code.GetDiagnostics()).map((d) => ({
      severity: d.Severity, code: d.Code, message: d.Message, start: d.Start, length: d.Length,
    }));
    process.stdout.write(JSON.stringify({ id: req.id, diagnostics }) + "\n");
  } catch (e) {
    process.stdout.write(JSON.stringify({ id: req.id, error: String(e && e.message || e) }) + "\n");
  }
});
