// Drives tests/peers/aws_emulator.py with the official AWS SDK for JavaScript v3 clients, so the
// emulator is proven to speak the wire protocols the SDK sends and parses (docs/PROTOCOLS-2.md
// sections 3, 4, 5 and 7). Every call goes through ServiceDiscoveryClient,
// ElasticLoadBalancingV2Client or ECSClient; the emulator verifies each signature.
//   node oracle.mjs EMULATOR_INFO_JSON      (written by `aws_emulator.py up --dir DIR`)
// HOPSCOPE_AWS_ORACLE_DIR: the directory holding node_modules (npm ci'd into the build dir).
// Prints "ok - ..." per check; exits 1 at the first failed check with what differed.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import assert from "node:assert/strict";

const modulesDir = process.env.HOPSCOPE_AWS_ORACLE_DIR;
if (!modulesDir) {
  console.error("oracle: HOPSCOPE_AWS_ORACLE_DIR (the npm ci'd directory) is not set");
  process.exit(2);
}
const require = createRequire(modulesDir.replace(/\/?$/, "/"));
const SD = require("@aws-sdk/client-servicediscovery");
const ELB = require("@aws-sdk/client-elastic-load-balancing-v2");
const ECS = require("@aws-sdk/client-ecs");
const { SignatureV4 } = require("@smithy/signature-v4");
const { Sha256 } = require("@aws-crypto/sha256-js");
const { HttpRequest } = require("@smithy/protocol-http");

const info = JSON.parse(readFileSync(process.argv[2], "utf8"));
const state = JSON.parse(readFileSync(info.state, "utf8"));
const [keys, sessionKeys] = state.credentials;
const region = info.region;
const endpoint = info.url;

function creds(k, over = {}) {
  const c = { accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey, ...over };
  if (k.sessionToken && !("sessionToken" in over)) c.sessionToken = k.sessionToken;
  return c;
}
// disableHostPrefix: DiscoverInstances would otherwise go to data-127.0.0.1 (PROTOCOLS-2 §3).
const sd = (c, extra = {}) => new SD.ServiceDiscoveryClient({ region, endpoint, disableHostPrefix: true, credentials: c, ...extra });
const elb = (c, extra = {}) => new ELB.ElasticLoadBalancingV2Client({ region, endpoint, credentials: c, ...extra });
const ecsClient = (c, extra = {}) => new ECS.ECSClient({ region, endpoint, credentials: c, ...extra });

let checks = 0;
function ok(what) {
  checks++;
  console.log("ok - " + what);
}
async function control(path, body) {
  const r = await fetch(endpoint + "/_emulator/" + path, body === undefined ? {} : { method: "POST", body: JSON.stringify(body) });
  assert.equal(r.status, 200, "control " + path);
  return r.json();
}
async function expectError(promise, name, what) {
  try {
    await promise;
  } catch (e) {
    assert.equal(e.name, name, `${what}: expected ${name}, got ${e.name}: ${e.message}`);
    return e;
  }
  assert.fail(`${what}: succeeded, expected ${name}`);
}
// Poll a condition with a hard deadline (the emulator's drain runs on its own clock).
async function until(what, deadlineMs, fn) {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) assert.fail(`${what}: not reached within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
async function all(paginator) {
  const pages = [];
  for await (const p of paginator) pages.push(p);
  return pages;
}

const cm = sd(creds(sessionKeys)); // Cloud Map with a session token
const lb = elb(creds(keys));

// ---- Cloud Map: list, describe, discover ---------------------------------------------------
const nsPages = await all(SD.paginateListNamespaces({ client: cm, pageSize: 5 }, {}));
const namespaces = nsPages.flatMap((p) => p.Namespaces);
assert.deepEqual(namespaces.map((n) => n.Name).sort(), state.cloudMap.namespaces.map((n) => n.name).sort());
assert.ok(namespaces[0].CreateDate instanceof Date, "CreateDate parsed as a date");
ok(`ListNamespaces: ${namespaces.length} namespaces`);
const ns = namespaces.find((n) => n.Name === "corp.internal");
const expectServices = state.cloudMap.namespaces.find((n) => n.name === "corp.internal").services;
const svcPages = await all(SD.paginateListServices({ client: cm }, { Filters: [{ Name: "NAMESPACE_ID", Values: [ns.Id], Condition: "EQ" }] }));
assert.ok(svcPages.length >= 2, `ListServices needs NextToken: ${svcPages.length} page(s)`);
const services = svcPages.flatMap((p) => p.Services);
assert.deepEqual(services.map((s) => s.Name).sort(), expectServices.map((s) => s.name).sort());
ok(`ListServices: ${services.length} services over ${svcPages.length} pages`);

for (const want of expectServices) {
  const svc = services.find((s) => s.Name === want.name);
  const { Service } = await cm.send(new SD.GetServiceCommand({ Id: svc.Id }));
  assert.equal(Service.DnsConfig.DnsRecords[0].TTL, want.dnsTtl, `${want.name} TTL`);
  assert.equal(Boolean(Service.HealthCheckCustomConfig), Boolean(want.healthCheckCustom), `${want.name} custom health`);
  const d = await cm.send(new SD.DiscoverInstancesCommand({ NamespaceName: ns.Name, ServiceName: want.name, HealthStatus: "ALL" }));
  assert.deepEqual(d.Instances.map((i) => i.InstanceId).sort(), want.instances.map((i) => i.id).sort());
  for (const i of d.Instances) {
    const w = want.instances.find((x) => x.id === i.InstanceId);
    assert.equal(i.Attributes.AWS_INSTANCE_IPV4, w.attributes.AWS_INSTANCE_IPV4);
    assert.equal(i.HealthStatus, want.healthCheckCustom ? w.health : "UNKNOWN");
  }
  const lp = await all(SD.paginateListInstances({ client: cm, pageSize: 100 }, { ServiceId: svc.Id }));
  assert.deepEqual(lp.flatMap((p) => p.Instances).map((i) => i.Id).sort(), want.instances.map((i) => i.id).sort());
  ok(`GetService/DiscoverInstances/ListInstances ${want.name}: TTL ${Service.DnsConfig.DnsRecords[0].TTL}, ${d.Instances.length} instances, ${lp.length} ListInstances pages`);
}
await expectError(cm.send(new SD.GetServiceCommand({ Id: "srv-doesnotexist0001" })), "ServiceNotFound", "GetService unknown");
await expectError(cm.send(new SD.DiscoverInstancesCommand({ NamespaceName: "nope.internal", ServiceName: "orders" })), "NamespaceNotFound", "DiscoverInstances unknown namespace");
ok("Cloud Map errors parse as the SDK's modeled exceptions (ServiceNotFound, NamespaceNotFound)");

// ---- Cloud Map: health update, deregister, register -----------------------------------------
const orders = services.find((s) => s.Name === "orders");
const health = async () => Object.assign({}, ...(await all(SD.paginateGetInstancesHealthStatus({ client: cm }, { ServiceId: orders.Id }))).map((p) => p.Status));
const hPages = await all(SD.paginateGetInstancesHealthStatus({ client: cm }, { ServiceId: orders.Id }));
assert.ok(hPages.length >= 2, "GetInstancesHealthStatus paginates");
assert.equal((await health())["orders-2"], "HEALTHY");
await cm.send(new SD.UpdateInstanceCustomHealthStatusCommand({ ServiceId: orders.Id, InstanceId: "orders-2", Status: "UNHEALTHY" }));
assert.equal((await health())["orders-2"], "UNHEALTHY");
const healthy = await cm.send(new SD.DiscoverInstancesCommand({ NamespaceName: ns.Name, ServiceName: "orders", HealthStatus: "HEALTHY" }));
assert.ok(!healthy.Instances.some((i) => i.InstanceId === "orders-2"), "an UNHEALTHY instance is not discovered as HEALTHY");
await cm.send(new SD.UpdateInstanceCustomHealthStatusCommand({ ServiceId: orders.Id, InstanceId: "orders-2", Status: "HEALTHY" }));
assert.equal((await health())["orders-2"], "HEALTHY");
ok("UpdateInstanceCustomHealthStatus UNHEALTHY then HEALTHY, read back by GetInstancesHealthStatus and DiscoverInstances");

const users = services.find((s) => s.Name === "users");
await expectError(cm.send(new SD.UpdateInstanceCustomHealthStatusCommand({ ServiceId: users.Id, InstanceId: "users-1", Status: "UNHEALTHY" })), "CustomHealthNotFound", "custom health on a service without it");
const before = (await cm.send(new SD.DiscoverInstancesCommand({ NamespaceName: ns.Name, ServiceName: "users" })));
const kept = before.Instances.find((i) => i.InstanceId === "users-1").Attributes;
const dereg = await cm.send(new SD.DeregisterInstanceCommand({ ServiceId: users.Id, InstanceId: "users-1" }));
assert.equal((await cm.send(new SD.GetOperationCommand({ OperationId: dereg.OperationId }))).Operation.Status, "SUCCESS");
const gone = await cm.send(new SD.DiscoverInstancesCommand({ NamespaceName: ns.Name, ServiceName: "users" }));
assert.ok(!gone.Instances.some((i) => i.InstanceId === "users-1"), "deregistered instance gone");
assert.ok(gone.InstancesRevision > before.InstancesRevision, "InstancesRevision moves on deregistration");
await expectError(cm.send(new SD.DeregisterInstanceCommand({ ServiceId: users.Id, InstanceId: "users-1" })), "InstanceNotFound", "deregister twice");
const reg = await cm.send(new SD.RegisterInstanceCommand({ ServiceId: users.Id, InstanceId: "users-1", Attributes: kept }));
assert.match(reg.OperationId, /.+/);
const back = await cm.send(new SD.DiscoverInstancesCommand({ NamespaceName: ns.Name, ServiceName: "users" }));
assert.deepEqual(back.Instances.find((i) => i.InstanceId === "users-1").Attributes, kept);
ok("DeregisterInstance → gone (GetOperation SUCCESS, revision moved) → RegisterInstance with the kept attributes → back");

// ---- ELBv2: describe ------------------------------------------------------------------------
const lbs = (await all(ELB.paginateDescribeLoadBalancers({ client: lb }, {}))).flatMap((p) => p.LoadBalancers);
assert.deepEqual(lbs.map((l) => l.LoadBalancerName), state.elbv2.loadBalancers.map((l) => l.name));
assert.ok(lbs[0].CreatedTime instanceof Date);
const alb = lbs[0];
const listeners = (await all(ELB.paginateDescribeListeners({ client: lb }, { LoadBalancerArn: alb.LoadBalancerArn }))).flatMap((p) => p.Listeners);
assert.equal(listeners.length, state.elbv2.loadBalancers[0].listeners.length);
const ruleState = state.elbv2.loadBalancers[0].listeners[0].rules;
let rulePages = 0;
const rules = [];
for (let marker; ;) {
  const r = await lb.send(new ELB.DescribeRulesCommand({ ListenerArn: listeners[0].ListenerArn, Marker: marker }));
  rulePages++;
  rules.push(...r.Rules);
  if (!(marker = r.NextMarker)) break;
}
assert.ok(rulePages >= 2, "DescribeRules needs NextMarker");
assert.equal(rules.length, ruleState.length + 1, "rules + default");
for (const want of ruleState) {
  const r = rules.find((x) => x.RuleArn === want.arn);
  assert.deepEqual(r.Conditions[0].PathPatternConfig.Values, want.paths);
  assert.equal(r.Conditions[0].Field, "path-pattern");
  assert.equal(r.Actions[0].TargetGroupArn, want.targetGroup);
}
assert.equal(rules.find((r) => r.IsDefault).Priority, "default");
ok(`DescribeLoadBalancers/Listeners/Rules: ${rules.length} rules over ${rulePages} pages, path patterns parsed`);
const tgPages = await all(ELB.paginateDescribeTargetGroups({ client: lb }, { LoadBalancerArn: alb.LoadBalancerArn, PageSize: 1 }));
const tgs = tgPages.flatMap((p) => p.TargetGroups);
assert.deepEqual(tgs.map((t) => t.TargetGroupName).sort(), state.elbv2.targetGroups.map((t) => t.name).sort());
assert.ok(tgPages.length >= 2, "DescribeTargetGroups paginates");
ok(`DescribeTargetGroups: ${tgs.length} groups over ${tgPages.length} pages`);
const seenStates = new Set();
for (const want of state.elbv2.targetGroups) {
  const th = await lb.send(new ELB.DescribeTargetHealthCommand({ TargetGroupArn: want.arn }));
  for (const t of want.targets) {
    const d = th.TargetHealthDescriptions.find((x) => x.Target.Id === t.id);
    assert.equal(d.Target.Port, want.port);
    assert.equal(d.TargetHealth.State, t.state || "healthy");
    if (t.reason) {
      assert.equal(d.TargetHealth.Reason, t.reason);
      assert.ok(d.TargetHealth.Description.length > 0);
    }
    seenStates.add(d.TargetHealth.State);
  }
}
ok(`DescribeTargetHealth: states ${[...seenStates].sort().join(",")} with reasons and descriptions`);
await expectError(lb.send(new ELB.DescribeTargetHealthCommand({ TargetGroupArn: state.elbv2.targetGroups[0].arn + "x" })), "TargetGroupNotFoundException", "unknown target group");
ok("ELBv2 Query error TargetGroupNotFound parses as TargetGroupNotFoundException");

// ---- ELBv2 drain: DeregisterTargets → draining → gone → RegisterTargets → initial → healthy ---
const tgOrders = state.elbv2.targetGroups.find((t) => t.name === "orders");
const attrs = await lb.send(new ELB.DescribeTargetGroupAttributesCommand({ TargetGroupArn: tgOrders.arn }));
const delay = Number(attrs.Attributes.find((a) => a.Key === "deregistration_delay.timeout_seconds").Value);
assert.equal(delay, tgOrders.deregistrationDelaySeconds);
const victim = { Id: "10.0.1.12", Port: tgOrders.port };
const one = async () => (await lb.send(new ELB.DescribeTargetHealthCommand({ TargetGroupArn: tgOrders.arn, Targets: [victim] }))).TargetHealthDescriptions[0].TargetHealth;
const t0 = Date.now();
await lb.send(new ELB.DeregisterTargetsCommand({ TargetGroupArn: tgOrders.arn, Targets: [victim] }));
const draining = await one();
assert.equal(draining.State, "draining");
assert.equal(draining.Reason, "Target.DeregistrationInProgress");
const goneTh = await until("drained target gone", delay * 1000 + 5000, async () => {
  const h = await one();
  return h.State === "unused" ? h : null;
});
const drainedMs = Date.now() - t0;
assert.equal(goneTh.Reason, "Target.NotRegistered");
assert.ok(drainedMs >= delay * 1000 - 50, `gone only after the deregistration delay (${drainedMs} ms vs ${delay} s)`);
const listed = await lb.send(new ELB.DescribeTargetHealthCommand({ TargetGroupArn: tgOrders.arn }));
assert.ok(!listed.TargetHealthDescriptions.some((d) => d.Target.Id === victim.Id), "gone from the full list");
await lb.send(new ELB.RegisterTargetsCommand({ TargetGroupArn: tgOrders.arn, Targets: [victim] }));
assert.equal((await one()).State, "initial");
await until("registered target healthy", 10000, async () => (await one()).State === "healthy");
ok(`DeregisterTargets → draining (Target.DeregistrationInProgress) → gone after ${drainedMs} ms (delay ${delay} s) → RegisterTargets → initial → healthy`);

// ---- ECS: ListTasks (paginated, by service and desired status) → DescribeTasks ---------------
const ecs = ecsClient(creds(sessionKeys));
for (const cluster of state.ecs.clusters) {
  for (const svc of cluster.services) {
    for (const desiredStatus of ["RUNNING", "STOPPED"]) {
      const pages = await all(ECS.paginateListTasks({ client: ecs }, { cluster: cluster.name, serviceName: svc.name, desiredStatus }));
      const arns = pages.flatMap((p) => p.taskArns);
      const want = svc.tasks.filter((t) => (t.desiredStatus || "RUNNING") === desiredStatus);
      assert.deepEqual(arns.map((a) => a.split("/").pop()).sort(), want.map((t) => t.id).sort(), `${svc.name} ${desiredStatus}`);
      if (!arns.length) continue;
      const d = await ecs.send(new ECS.DescribeTasksCommand({ cluster: cluster.name, tasks: [...arns, "arn:aws:ecs:x:1:task/prod/missing"] }));
      assert.deepEqual(d.failures.map((f) => f.reason), ["MISSING"]);
      for (const task of d.tasks) {
        const w = want.find((t) => task.taskArn.endsWith("/" + t.id));
        const eni = task.attachments.find((a) => a.type === "ElasticNetworkInterface");
        assert.equal(eni.details.find((x) => x.name === "privateIPv4Address").value, w.ip);
        assert.equal(task.containers[0].networkInterfaces[0].privateIpv4Address, w.ip);
        assert.equal(task.lastStatus, w.lastStatus || "RUNNING");
        assert.equal(task.healthStatus, w.healthStatus || "HEALTHY");
        assert.equal(task.group, "service:" + svc.name);
        assert.ok(task.startedAt instanceof Date, "startedAt parsed as a date");
        if (w.stoppedReason) {
          assert.equal(task.stoppedReason, w.stoppedReason);
          assert.equal(task.stopCode, w.stopCode);
        }
      }
      ok(`ECS ${cluster.name}/${svc.name} ${desiredStatus}: ${arns.length} tasks over ${pages.length} page(s), ENI addresses, statuses and stop reasons parsed`);
    }
  }
}
await expectError(ecs.send(new ECS.ListTasksCommand({ cluster: "nope" })), "ClusterNotFoundException", "unknown cluster");
await expectError(ecs.send(new ECS.ListTasksCommand({ cluster: "prod", serviceName: "nope" })), "ServiceNotFoundException", "unknown ECS service");
await expectError(ecsClient(creds(keys, { secretAccessKey: "x" }), { maxAttempts: 1 }).send(new ECS.ListTasksCommand({ cluster: "prod" })), "InvalidSignatureException", "ECS wrong secret");
ok("ECS errors: ClusterNotFoundException, ServiceNotFoundException, InvalidSignatureException");

// ---- Wrong secret key: a signature error and nothing changed -------------------------------
const snap = JSON.stringify(await control("state"));
const badCm = sd(creds(sessionKeys, { secretAccessKey: sessionKeys.secretAccessKey + "x" }), { maxAttempts: 1 });
const badLb = elb(creds(keys, { secretAccessKey: "wrong" + keys.secretAccessKey }), { maxAttempts: 1 });
const e1 = await expectError(badCm.send(new SD.UpdateInstanceCustomHealthStatusCommand({ ServiceId: orders.Id, InstanceId: "orders-1", Status: "UNHEALTHY" })), "InvalidSignatureException", "Cloud Map wrong secret");
assert.equal(e1.$metadata.httpStatusCode, 400);
const e2 = await expectError(badLb.send(new ELB.DeregisterTargetsCommand({ TargetGroupArn: tgOrders.arn, Targets: [{ Id: "10.0.1.11" }] })), "SignatureDoesNotMatch", "ELBv2 wrong secret");
assert.equal(e2.$metadata.httpStatusCode, 403);
await expectError(sd(creds(sessionKeys, { sessionToken: "not-the-token" }), { maxAttempts: 1 }).send(new SD.ListNamespacesCommand({})), "UnrecognizedClientException", "wrong session token");
await expectError(elb(creds(keys, { accessKeyId: "AKIAUNKNOWNKEY000000" }), { maxAttempts: 1 }).send(new ELB.DescribeLoadBalancersCommand({})), "InvalidClientTokenId", "unknown access key");
assert.equal(JSON.stringify(await control("state")), snap, "state unchanged after rejected calls");
ok(`wrong secret: Cloud Map ${e1.name} (400), ELBv2 ${e2.name} (403); wrong token / unknown key rejected; state unchanged`);

// ---- Clock skew: a request signed 20 minutes ago is refused with AWS's text -----------------
const signer = new SignatureV4({ service: "servicediscovery", region, sha256: Sha256, credentials: creds(sessionKeys) });
const url = new URL(endpoint);
const body = "{}";
const raw = new HttpRequest({ method: "POST", protocol: "http:", hostname: url.hostname, port: Number(url.port), path: "/",
  headers: { host: url.host, "content-type": "application/x-amz-json-1.1", "x-amz-target": "Route53AutoNaming_v20170314.ListNamespaces" }, body });
const old = await signer.sign(raw, { signingDate: new Date(Date.now() - 20 * 60 * 1000) });
const skewed = await fetch(endpoint + "/", { method: "POST", headers: old.headers, body });
const skewBody = await skewed.json();
assert.equal(skewed.status, 400);
assert.equal(skewBody.__type, "InvalidSignatureException");
assert.match(skewBody.message, /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/);
const fresh = await signer.sign(raw, { signingDate: new Date() });
assert.equal((await fetch(endpoint + "/", { method: "POST", headers: fresh.headers, body })).status, 200);
ok("clock skew: 20 min old signature → 400 InvalidSignatureException 'Signature expired: …'; same request signed now → 200");
// The SDK corrects its clock from the emulator's Date header and retries.
const skewClient = sd(creds(sessionKeys), { systemClockOffset: -20 * 60 * 1000 });
const rejectedBefore = (await control("stats")).rejected.expired || 0;
await skewClient.send(new SD.ListNamespacesCommand({}));
assert.equal((await control("stats")).rejected.expired, rejectedBefore + 1, "one expired attempt, then the corrected one");
ok("SDK with a clock 20 min slow: rejected once, corrects from the Date header, succeeds");

// ---- Throttling: injected faults are retried by the SDK (default maxAttempts 3) ------------
for (const [svc, status, send, code] of [
  ["servicediscovery", 400, () => cm.send(new SD.ListNamespacesCommand({}))],
  ["servicediscovery", 400, () => cm.send(new SD.DiscoverInstancesCommand({ NamespaceName: "corp.internal", ServiceName: "orders" })), "RequestLimitExceeded"],
  ["servicediscovery", 429, () => cm.send(new SD.GetServiceCommand({ Id: orders.Id }))],
  ["elasticloadbalancing", 400, () => lb.send(new ELB.DescribeTargetHealthCommand({ TargetGroupArn: tgOrders.arn }))],
  ["elasticloadbalancing", 503, () => lb.send(new ELB.DescribeLoadBalancersCommand({}))],
  ["ecs", 429, () => ecs.send(new ECS.ListTasksCommand({ cluster: "prod" }))],
]) {
  const s0 = await control("stats");
  await control("fault", { throttle: 2, status, service: svc, code });
  const out = await send();
  const s1 = await control("stats");
  assert.equal(s1.throttled - s0.throttled, 2, `${svc} ${status}: two throttled answers`);
  assert.equal(out.$metadata.attempts, 3, `${svc} ${status}: succeeded on the third attempt`);
  ok(`${svc} throttled twice with HTTP ${status}${code ? " " + code : ""}: SDK retried, attempts ${out.$metadata.attempts}, retry delay ${out.$metadata.totalRetryDelay} ms`);
}
await control("fault", { throttle: 5, status: 400, service: "servicediscovery" });
const thr = await expectError(sd(creds(sessionKeys), { maxAttempts: 1 }).send(new SD.ListNamespacesCommand({})), "ThrottlingException", "throttle without retry");
assert.equal(thr.$metadata.httpStatusCode, 400);
await control("fault", { throttle: 1, status: 400, service: "elasticloadbalancing" });
await expectError(elb(creds(keys), { maxAttempts: 1 }).send(new ELB.DescribeLoadBalancersCommand({})), "Throttling", "ELBv2 throttle without retry");
await control("fault", { throttle: 0 });
ok("throttle errors parse as ThrottlingException (JSON) and Throttling (Query)");

console.log(`oracle: all ${checks} checks passed`);
