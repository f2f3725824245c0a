// Reads the emulator's ELBv2 and Cloud Map state back through the official AWS SDK for JavaScript
// v3 clients, so hopscope's drain tests (tests/integration/aws/tst_AwsDrain*) check what AWS's
// own clients see after a drain or undo, never hopscope's report of it.
//   node readback.mjs EMULATOR_INFO_JSON      (written by `aws_emulator.py up --dir DIR`)
// HOPSCOPE_AWS_ORACLE_DIR: the directory holding node_modules (npm ci'd into the build dir).
// Prints one JSON object on stdout:
//   {"elbv2": {"<target group ARN>": [{"id", "port", "state", "reason"}]},
//    "cloudMap": {"<namespace>/<service>": [{"id", "health", "attributes"}]}}
// Exits 1 with the SDK's error (name and message) on stderr when a call fails.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const modulesDir = process.env.HOPSCOPE_AWS_ORACLE_DIR;
if (!modulesDir) {
  console.error("readback: HOPSCOPE_AWS_ORACLE_DIR (the npm ci'd directory) is not set");
  process.exit(2);
}
const require = createRequire(modulesDir.replace(/\/?$/, "/"));
const SD = require("@aws-sdk/client-servicediscovery");
const ELB = require("@aws-sdk/client-elastic-load-balancing-v2");

const info = JSON.parse(readFileSync(process.argv[2], "utf8"));
const credentials = { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey };
if (info.sessionToken) credentials.sessionToken = info.sessionToken;
const common = { region: info.region, endpoint: info.url, credentials };
const sd = new SD.ServiceDiscoveryClient({ ...common, disableHostPrefix: true });
const lb = new ELB.ElasticLoadBalancingV2Client(common);

async function all(paginator) {
  const pages = [];
  for await (const p of paginator) pages.push(p);
  return pages;
}

try {
  const out = { elbv2: {}, cloudMap: {} };
  const groups = (await all(ELB.paginateDescribeTargetGroups({ client: lb }, {}))).flatMap((p) => p.TargetGroups);
  for (const g of groups) {
    const th = await lb.send(new ELB.DescribeTargetHealthCommand({ TargetGroupArn: g.TargetGroupArn }));
    out.elbv2[g.TargetGroupArn] = th.TargetHealthDescriptions.map((d) => ({
      id: d.Target.Id, port: d.Target.Port, state: d.TargetHealth.State, reason: d.TargetHealth.Reason ?? null,
    }));
  }
  const namespaces = (await all(SD.paginateListNamespaces({ client: sd }, {}))).flatMap((p) => p.Namespaces);
  for (const ns of namespaces) {
    const filter = { Filters: [{ Name: "NAMESPACE_ID", Values: [ns.Id], Condition: "EQ" }] };
    const services = (await all(SD.paginateListServices({ client: sd }, filter))).flatMap((p) => p.Services);
    for (const svc of services) {
      const d = await sd.send(new SD.DiscoverInstancesCommand({ NamespaceName: ns.Name, ServiceName: svc.Name, HealthStatus: "ALL" }));
      out.cloudMap[`${ns.Name}/${svc.Name}`] = d.Instances.map((i) => ({
        id: i.InstanceId, health: i.HealthStatus, attributes: i.Attributes,
      }));
    }
  }
  process.stdout.write(JSON.stringify(out) + "\n");
} catch (e) {
  console.error(`readback: ${e.name}: ${e.message}`);
  process.exit(1);
}
