// The vendor's own agent library, given a boarding file written by `provision boarding`:
// onboard, read the data source configuration, upload one value per data point, print what was sent.
// Usage: node onboard_agent.js BOARDING_FILE STATE_DIR [RSA_KEY_PEM]
"use strict";
const fs = require("fs");
const { MindConnectAgent } = require("@mindconnect/mindconnect-nodejs");

async function main() {
  const [file, stateDir, keyFile] = process.argv.slice(2);
  const configuration = JSON.parse(fs.readFileSync(file, "utf8"));
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const agent = new MindConnectAgent(configuration, 600, stateDir);
  if (keyFile) agent.SetupAgentCertificate(fs.readFileSync(keyFile));
  if (!agent.IsOnBoarded()) await agent.OnBoard();
  const dsc = await agent.GetDataSourceConfiguration();
  const values = [];
  for (const source of dsc.dataSources) {
    for (const point of source.dataPoints) {
      const value = point.type === "BOOLEAN" ? "true" : point.type === "INT" || point.type === "LONG" ? "7" : "21.5";
      values.push({ dataPointId: point.id, qualityCode: "0", value });
    }
  }
  const timestamp = new Date(Math.floor(Date.now() / 1000) * 1000);
  await agent.PostData(values, timestamp);
  process.stdout.write(JSON.stringify({ timestamp: timestamp.toISOString(), values }) + "\n");
}

main().catch((err) => {
  process.stderr.write(`MindConnectAgent failed: ${err && err.message ? err.message.slice(0, 300) : err}\n`);
  process.exit(1);
});
