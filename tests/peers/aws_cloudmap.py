"""AWS Cloud Map (servicediscovery, JSON 1.1) for aws_emulator.py. Python stdlib only.

Shapes from botocore's servicediscovery 2017-03-14 model as summarised in docs/PROTOCOLS-2.md
section 3. Differences from AWS, on purpose: operations finish at once (GetOperation says
SUCCESS), a custom health update is visible at once (AWS: ~30 s later), and instances of a
service without any health check report HealthStatus UNKNOWN.
"""
import base64
import json
import re
import time

_INSTANCE_ID = re.compile(r"^[0-9a-zA-Z_/:.@-]{1,64}$")


class JsonError(Exception):
    def __init__(self, code, message, status=400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _token(n):
    return base64.urlsafe_b64encode(json.dumps({"offset": n}).encode()).decode()


def _untoken(tok):
    try:
        return int(json.loads(base64.urlsafe_b64decode(tok.encode()))["offset"])
    except (ValueError, KeyError, TypeError):
        raise JsonError("InvalidInput", "NextToken is invalid")


class CloudMap:
    def __init__(self, state, page_size, region, account):
        self.page_size = page_size
        self.region, self.account = region, account
        self.namespaces = state.get("namespaces", [])
        self.operations = {}
        self.created = int(time.time())
        for ns in self.namespaces:
            ns.setdefault("type", "DNS_PRIVATE")
            for svc in ns.setdefault("services", []):
                svc["namespaceId"] = ns["id"]
                svc.setdefault("revision", 1)
                for inst in svc.setdefault("instances", []):
                    inst.setdefault("health", inst["attributes"].get("AWS_INIT_HEALTH_STATUS", "HEALTHY"))

    def _arn(self, kind, ident):
        return "arn:aws:servicediscovery:%s:%s:%s/%s" % (self.region, self.account, kind, ident)

    def _page(self, items, req, key, limit):
        size = self.page_size
        if req.get("MaxResults") is not None:
            mr = req["MaxResults"]
            if not isinstance(mr, int) or not 1 <= mr <= limit:
                raise JsonError("InvalidInput", "MaxResults must be between 1 and %d" % limit)
            size = min(size, mr)
        start = _untoken(req["NextToken"]) if req.get("NextToken") else 0
        out = {key: items[start:start + size]}
        if start + size < len(items):
            out["NextToken"] = _token(start + size)
        return out

    def _services(self):
        return [s for ns in self.namespaces for s in ns["services"]]

    def _service(self, sid):
        if not isinstance(sid, str) or not sid:
            raise JsonError("InvalidInput", "ServiceId is required")
        for s in self._services():
            if s["id"] == sid:
                return s
        raise JsonError("ServiceNotFound", "Service not found: %s" % sid)

    def _instance(self, svc, iid):
        for inst in svc["instances"]:
            if inst["id"] == iid:
                return inst
        raise JsonError("InstanceNotFound", "Instance not found: %s" % iid)

    def _health(self, svc, inst):
        if svc.get("healthCheckCustom") or svc.get("healthCheck"):
            return inst["health"]
        return "UNKNOWN"

    def _service_out(self, svc, summary):
        out = {"Id": svc["id"], "Arn": self._arn("service", svc["id"]), "Name": svc["name"],
               "Type": svc.get("type", "DNS_HTTP"), "Description": svc.get("description", ""),
               "InstanceCount": len(svc["instances"]), "CreateDate": self.created}
        if svc.get("dnsTtl") is not None:
            out["DnsConfig"] = {"RoutingPolicy": "MULTIVALUE", "DnsRecords": [
                {"Type": svc.get("dnsType", "A"), "TTL": svc["dnsTtl"]}]}
            if not summary:
                out["DnsConfig"]["NamespaceId"] = svc["namespaceId"]
        if svc.get("healthCheckCustom"):
            out["HealthCheckCustomConfig"] = {"FailureThreshold": 1}
        if svc.get("healthCheck"):
            out["HealthCheckConfig"] = {"Type": "HTTP", "ResourcePath": svc["healthCheck"], "FailureThreshold": 3}
        if not summary:
            out["NamespaceId"] = svc["namespaceId"]
            out["CreatorRequestId"] = "hopscope-emulator"
        return out

    # --- operations ----------------------------------------------------------------------
    def ListNamespaces(self, req):
        nss = self.namespaces
        for f in req.get("Filters") or []:
            if f.get("Name") == "TYPE":
                nss = [n for n in nss if n["type"] in f.get("Values", [])]
            elif f.get("Name") == "NAME":
                nss = [n for n in nss if n["name"] in f.get("Values", [])]
            else:
                raise JsonError("InvalidInput", "Unsupported namespace filter %s" % f.get("Name"))
        out = [{"Id": n["id"], "Arn": self._arn("namespace", n["id"]), "Name": n["name"], "Type": n["type"],
                "ServiceCount": len(n["services"]), "CreateDate": self.created,
                "Properties": {"DnsProperties": {"HostedZoneId": "Z0HOPSCOPE", "SOA": {"TTL": 15}},
                               "HttpProperties": {"HttpName": n["name"]}}} for n in nss]
        return self._page(out, req, "Namespaces", 100)

    def ListServices(self, req):
        svcs = self._services()
        for f in req.get("Filters") or []:
            if f.get("Name") != "NAMESPACE_ID":
                raise JsonError("InvalidInput", "Unsupported service filter %s" % f.get("Name"))
            svcs = [s for s in svcs if s["namespaceId"] in f.get("Values", [])]
        return self._page([self._service_out(s, True) for s in svcs], req, "Services", 100)

    def GetService(self, req):
        return {"Service": self._service_out(self._service(req.get("Id")), False)}

    def DiscoverInstances(self, req):
        ns = next((n for n in self.namespaces if n["name"] == req.get("NamespaceName")), None)
        if ns is None:
            raise JsonError("NamespaceNotFound", "Namespace not found: %s" % req.get("NamespaceName"))
        svc = next((s for s in ns["services"] if s["name"] == req.get("ServiceName")), None)
        if svc is None:
            raise JsonError("ServiceNotFound", "Service not found: %s" % req.get("ServiceName"))
        want = req.get("HealthStatus") or "HEALTHY"
        if want not in ("HEALTHY", "UNHEALTHY", "ALL", "HEALTHY_OR_ELSE_ALL"):
            raise JsonError("InvalidInput", "HealthStatus %s is not valid" % want)
        insts = svc["instances"]
        for k, v in (req.get("QueryParameters") or {}).items():
            insts = [i for i in insts if i["attributes"].get(k) == v]
        checked = bool(svc.get("healthCheckCustom") or svc.get("healthCheck"))
        if checked and want in ("HEALTHY", "UNHEALTHY"):
            insts = [i for i in insts if i["health"] == want]
        elif checked and want == "HEALTHY_OR_ELSE_ALL":
            healthy = [i for i in insts if i["health"] == "HEALTHY"]
            insts = healthy or insts
        mr = req.get("MaxResults", 100)
        if not isinstance(mr, int) or not 1 <= mr <= 1000:
            raise JsonError("InvalidInput", "MaxResults must be between 1 and 1000")
        return {"Instances": [{"InstanceId": i["id"], "NamespaceName": ns["name"], "ServiceName": svc["name"],
                               "HealthStatus": self._health(svc, i), "Attributes": i["attributes"]}
                              for i in insts[:mr]],
                "InstancesRevision": svc["revision"]}

    def DiscoverInstancesRevision(self, req):
        ns = next((n for n in self.namespaces if n["name"] == req.get("NamespaceName")), None)
        if ns is None:
            raise JsonError("NamespaceNotFound", "Namespace not found: %s" % req.get("NamespaceName"))
        svc = next((s for s in ns["services"] if s["name"] == req.get("ServiceName")), None)
        if svc is None:
            raise JsonError("ServiceNotFound", "Service not found: %s" % req.get("ServiceName"))
        return {"InstancesRevision": svc["revision"]}

    def GetInstancesHealthStatus(self, req):
        svc = self._service(req.get("ServiceId"))
        ids = req.get("Instances")
        insts = [self._instance(svc, i) for i in ids] if ids else svc["instances"]
        page = self._page(insts, req, "Status", 100)
        page["Status"] = {i["id"]: self._health(svc, i) for i in page["Status"]}
        return page

    def ListInstances(self, req):
        svc = self._service(req.get("ServiceId"))
        return self._page([{"Id": i["id"], "Attributes": i["attributes"]} for i in svc["instances"]], req,
                          "Instances", 100)

    def UpdateInstanceCustomHealthStatus(self, req):
        svc = self._service(req.get("ServiceId"))
        inst = self._instance(svc, req.get("InstanceId"))
        if req.get("Status") not in ("HEALTHY", "UNHEALTHY"):
            raise JsonError("InvalidInput", "Status must be HEALTHY or UNHEALTHY")
        if not svc.get("healthCheckCustom"):
            raise JsonError("CustomHealthNotFound", "Service %s has no custom health check configuration" % svc["id"])
        inst["health"] = req["Status"]
        return {}

    def _operation(self, kind, svc, iid):
        op_id = "op-%08d" % (len(self.operations) + 1)
        now = int(time.time())
        self.operations[op_id] = {"Id": op_id, "Type": kind, "Status": "SUCCESS", "CreateDate": now,
                                  "UpdateDate": now, "Targets": {"SERVICE": svc["id"], "INSTANCE": iid}}
        return {"OperationId": op_id}

    def DeregisterInstance(self, req):
        svc = self._service(req.get("ServiceId"))
        inst = self._instance(svc, req.get("InstanceId"))
        svc["instances"].remove(inst)
        svc["revision"] += 1
        return self._operation("DEREGISTER_INSTANCE", svc, inst["id"])

    def RegisterInstance(self, req):
        svc = self._service(req.get("ServiceId"))
        iid, attrs = req.get("InstanceId"), req.get("Attributes")
        if not isinstance(iid, str) or not _INSTANCE_ID.match(iid):
            raise JsonError("InvalidInput", "InstanceId must match [0-9a-zA-Z_/:.@-]{1,64}")
        if not isinstance(attrs, dict) or not all(isinstance(v, str) for v in attrs.values()):
            raise JsonError("InvalidInput", "Attributes are required (string to string)")
        if svc.get("dnsTtl") is not None and svc.get("dnsType", "A") == "A" and "AWS_INSTANCE_IPV4" not in attrs:
            raise JsonError("InvalidInput", "AWS_INSTANCE_IPV4 is required for a service with an A record")
        health = attrs.get("AWS_INIT_HEALTH_STATUS", "HEALTHY")
        existing = next((i for i in svc["instances"] if i["id"] == iid), None)
        if existing:
            existing["attributes"] = dict(attrs)
        else:
            svc["instances"].append({"id": iid, "attributes": dict(attrs), "health": health})
        svc["revision"] += 1
        return self._operation("REGISTER_INSTANCE", svc, iid)

    def GetOperation(self, req):
        op = self.operations.get(req.get("OperationId"))
        if op is None:
            raise JsonError("OperationNotFound", "Operation not found: %s" % req.get("OperationId"))
        return {"Operation": op}

    OPERATIONS = ("ListNamespaces", "ListServices", "GetService", "DiscoverInstances", "DiscoverInstancesRevision",
                  "GetInstancesHealthStatus", "ListInstances", "UpdateInstanceCustomHealthStatus",
                  "DeregisterInstance", "RegisterInstance", "GetOperation")

    def call(self, op, req):
        if op not in self.OPERATIONS:
            raise JsonError("UnknownOperationException", "")
        if not isinstance(req, dict):
            raise JsonError("SerializationException", "Start of structure or map found where not expected.")
        return getattr(self, op)(req)

    def snapshot(self):
        return {"services": {s["id"]: {"name": s["name"], "revision": s["revision"],
                                       "instances": {i["id"]: {"health": i["health"], "attributes": i["attributes"]}
                                                     for i in s["instances"]}} for s in self._services()}}


# --- drain-layer additions (issue 16 section 3) -------------------------------------------------
def _get_instance(self, req):
    """GetInstance: the instance's id and attributes (what hopscope keeps before DeregisterInstance)."""
    svc = self._service(req.get("ServiceId"))
    if not isinstance(req.get("InstanceId"), str) or not req["InstanceId"]:
        raise JsonError("InvalidInput", "InstanceId is required")
    inst = self._instance(svc, req["InstanceId"])
    return {"ResourceOwner": self.account, "Instance": {"Id": inst["id"], "Attributes": dict(inst["attributes"])}}


CloudMap.GetInstance = _get_instance
CloudMap.OPERATIONS = CloudMap.OPERATIONS + ("GetInstance",)
