// The vendor's own agent library, given a boarding file written by `provision boarding`:
// onboard, read the data source configuration, upload one value per data point, post one event
// per event mapping with PostEvent (Event Management `POST /api/eventmanagement/v3/events`), print
// what was sent.
// Usage: node onboard_agent.js BOARDING_FILE STATE_DIR EVENTS_JSON [RSA_KEY_PEM]
// EVENTS_JSON: a list of {entityId, typeId, typeName, field, value}, one per event mapping to feed.
// Each event type is first created (unless it exists) with the SDK's EventManagementClient on the
// service credentials in FIDELITY_BASIC_AUTH ("Basic <base64 id:secret>"), as a descendant of
// MindSphereStandardEvent (so its `source` etc. are the standard fields).
"use strict";
const fs = require("fs");
const { MindConnectAgent, MindSphereSdk } = require("@mindconnect/mindconnect-nodejs");

const STANDARD = "com.siemens.mindsphere.eventmgmt.event.type.MindSphereStandardEvent";

async function ensureEventTypes(content, specs) {
  const sdk = new MindSphereSdk({
    gateway: content.baseUrl,
    tenant: content.tenant,
    basicAuth: process.env.FIDELITY_BASIC_AUTH,
  });
  const em = sdk.GetEventManagementClient();
  for (const spec of specs) {
    const found = await em.GetEventTypes({ filter: JSON.stringify({ id: spec.typeId }) });
    if (!found._embedded) {
      await em.PostEventType({ id: spec.typeId, name: spec.typeName, parentId: STANDARD, fields: [] });
    }
  }
}

async function main() {
  const [file, stateDir, eventsJson, keyFile] = process.argv.slice(2);
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
  const events = [];
  const specs = JSON.parse(eventsJson);
  if (specs.length) await ensureEventTypes(configuration.content, specs);
  for (const spec of specs) {
    const event = {
      entityId: spec.entityId,
      typeId: spec.typeId,
      timestamp: timestamp.toISOString(),
      severity: 20,
      description: "make fidelity",
      [spec.field]: spec.value,
    };
    await agent.PostEvent(event);
    events.push(event);
  }
  process.stdout.write(JSON.stringify({ timestamp: timestamp.toISOString(), values, events }) + "\n");
}

main().catch((err) => {
  process.stderr.write(`MindConnectAgent failed: ${err && err.message ? err.message.slice(0, 300) : err}\n`);
  process.exit(1);
});
