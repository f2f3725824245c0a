// Signs the requests of tests/data/aws/sigv4-oracle/requests.json with the AWS SDK's own signer
// (@smithy/signature-v4 + @aws-crypto/sha256-js) at each request's fixed time and prints, as
// JSON on stdout, the canonical request, string to sign, Authorization and the headers the
// signer added, for tst_SigV4Oracle to compare with hopscope's SigV4 byte for byte.
//   node sign.mjs REQUESTS_JSON      HOPSCOPE_AWS_ORACLE_DIR: the npm ci'd directory
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const modulesDir = process.env.HOPSCOPE_AWS_ORACLE_DIR;
if (!modulesDir) {
  console.error("sign: HOPSCOPE_AWS_ORACLE_DIR (the npm ci'd directory) is not set");
  process.exit(2);
}
const require = createRequire(modulesDir.replace(/\/?$/, "/"));
const { SignatureV4 } = require("@smithy/signature-v4");
const { Sha256 } = require("@aws-crypto/sha256-js");
const { HttpRequest } = require("@smithy/protocol-http");

// Record what the SDK actually hashed (its own methods, not a re-implementation).
class RecordingSigner extends SignatureV4 {
  createCanonicalRequest(request, canonicalHeaders, payloadHash) {
    this.lastCanonicalRequest = super.createCanonicalRequest(request, canonicalHeaders, payloadHash);
    return this.lastCanonicalRequest;
  }
  async createStringToSign(longDate, scope, canonicalRequest, algorithm) {
    this.lastStringToSign = await super.createStringToSign(longDate, scope, canonicalRequest, algorithm);
    return this.lastStringToSign;
  }
}

// The wire query back into the SDK's query object (decoded values; repeated keys as arrays).
function parseQuery(q) {
  const out = {};
  for (const part of q ? q.split("&") : []) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const k = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
    const v = eq < 0 ? null : decodeURIComponent(part.slice(eq + 1));
    if (k in out) out[k] = [].concat(out[k], v);
    else out[k] = v;
  }
  return out;
}

const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));
const results = [];
for (const r of spec.requests) {
  const signer = new RecordingSigner({
    service: r.service, region: r.region, sha256: Sha256, applyChecksum: r.signBodyHeader,
    credentials: { accessKeyId: r.accessKeyId, secretAccessKey: r.secretAccessKey, ...(r.sessionToken ? { sessionToken: r.sessionToken } : {}) },
  });
  const q = r.target.indexOf("?");
  const headers = {};
  for (const [name, value] of r.headers) headers[name] = value;
  const before = new Set(Object.keys(headers).map((h) => h.toLowerCase()));
  const req = new HttpRequest({
    method: r.method, protocol: "https:", hostname: headers.host.split(":")[0], path: q < 0 ? r.target : r.target.slice(0, q),
    query: parseQuery(q < 0 ? "" : r.target.slice(q + 1)), headers, body: r.body || undefined,
  });
  const signed = await signer.sign(req, { signingDate: new Date(r.date) });
  const added = Object.entries(signed.headers).filter(([k]) => !before.has(k.toLowerCase())).map(([k, v]) => [k.toLowerCase(), v]).sort();
  results.push({ name: r.name, canonicalRequest: signer.lastCanonicalRequest, stringToSign: signer.lastStringToSign,
    authorization: signed.headers.authorization, addedHeaders: added });
}
process.stdout.write(JSON.stringify({ signer: "@smithy/signature-v4", results }, null, 1) + "\n");
