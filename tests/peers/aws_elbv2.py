"""Elastic Load Balancing v2 (Query protocol, XML replies) for aws_emulator.py. Stdlib only.

Shapes from botocore's elbv2 2015-12-01 service model as summarised in docs/PROTOCOLS-2.md
section 4. Parameters arrive as a form body (`Action=...&Version=2015-12-01&Targets.member.1.Id=...`),
replies are XML in the 2015-12-01 namespace with lists as <member>. Target state is computed when
read: a deregistered target is `draining` (Target.DeregistrationInProgress) until its group's
deregistration_delay.timeout_seconds have passed on the monotonic clock, then it is gone; a
registered target is `initial` (Elb.RegistrationInProgress) for the group's `initialSeconds`,
then `healthy`. Targets given another state in the state file keep it.
"""
import time
from xml.sax.saxutils import escape

NS = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"
VERSION = "2015-12-01"
DESCRIPTIONS = {
    "Elb.RegistrationInProgress": "Target registration is in progress",
    "Elb.InitialHealthChecking": "Initial health checks in progress",
    "Target.ResponseCodeMismatch": "Health checks failed with these codes: [503]",
    "Target.Timeout": "Request timed out",
    "Target.FailedHealthChecks": "Health checks failed",
    "Elb.InternalError": "Health checks failed due to an internal error",
    "Target.NotRegistered": "Target is not registered to the target group",
    "Target.NotInUse": "Target group is not configured to receive traffic from the load balancer",
    "Target.InvalidState": "Target is in the stopped or terminated state",
    "Target.IpUnusable": "The target IP address is reserved for use by a load balancer",
    "Target.DeregistrationInProgress": "Target deregistration is in progress",
    "Target.HealthCheckDisabled": "Health checks are disabled",
}


class QueryError(Exception):
    def __init__(self, code, message, status=400, type_="Sender"):
        super().__init__(message)
        self.code, self.message, self.status, self.type = code, message, status, type_


def to_xml(value, name=None):
    """dict -> child elements in order, list -> <member>s, bool -> true/false, None -> skipped."""
    if isinstance(value, dict):
        inner = "".join(to_xml(v, k) for k, v in value.items() if v is not None)
    elif isinstance(value, list):
        inner = "".join(to_xml(v, "member") for v in value)
    elif isinstance(value, bool):
        inner = "true" if value else "false"
    else:
        inner = escape(str(value))
    return inner if name is None else "<%s>%s</%s>" % (name, inner, name)


def response(action, result, request_id):
    body = to_xml(result, action + "Result") if result else "<%sResult/>" % action
    return ('<%sResponse xmlns="%s">%s<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>'
            % (action, NS, body, request_id, action))


def error_xml(code, message, request_id, type_="Sender"):
    return ('<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error>'
            "<RequestId>%s</RequestId></ErrorResponse>" % (NS, type_, escape(code), escape(message), request_id))


def members(params, prefix):
    """Values of prefix.member.N (1-based, in N order)."""
    out, n = [], 1
    while "%s.member.%d" % (prefix, n) in params:
        out.append(params["%s.member.%d" % (prefix, n)])
        n += 1
    return out


def target_members(params):
    out, n = [], 1
    while "Targets.member.%d.Id" % n in params:
        t = {"id": params["Targets.member.%d.Id" % n]}
        port = params.get("Targets.member.%d.Port" % n)
        if port is not None:
            if not port.isdigit() or not 1 <= int(port) <= 65535:
                raise QueryError("ValidationError", "Port %s is not in the range 1-65535" % port)
            t["port"] = int(port)
        out.append(t)
        n += 1
    return out


class Elbv2:
    def __init__(self, state, page_size, clock=time.monotonic):
        self.lbs = state.get("loadBalancers", [])
        self.tgs = state.get("targetGroups", [])
        self.page_size = page_size
        self.clock = clock
        for tg in self.tgs:
            for t in tg.setdefault("targets", []):
                t.setdefault("state", "healthy")
                t.setdefault("port", tg["port"])

    # --- helpers -------------------------------------------------------------------------
    def _page(self, items, params, key):
        size = self.page_size
        if params.get("PageSize"):
            if not params["PageSize"].isdigit() or not 1 <= int(params["PageSize"]) <= 400:
                raise QueryError("ValidationError", "PageSize must be between 1 and 400")
            size = min(size, int(params["PageSize"]))
        start = 0
        if params.get("Marker"):
            try:
                start = int(params["Marker"].split("-", 1)[1])
            except (IndexError, ValueError):
                raise QueryError("ValidationError", "Invalid marker")
        page = items[start:start + size]
        nxt = "hopscope-%d" % (start + size) if start + size < len(items) else None
        return {key: page, "NextMarker": nxt}

    def _tg(self, arn):
        for tg in self.tgs:
            if tg["arn"] == arn:
                return tg
        raise QueryError("TargetGroupNotFound", "Target groups '%s' not found" % arn)

    def _settle(self, tg):
        now = self.clock()
        keep = []
        for t in tg["targets"]:
            if t.get("drainUntil") is not None and now >= t["drainUntil"]:
                continue
            if t.get("initialUntil") is not None and now >= t["initialUntil"]:
                t.pop("initialUntil")
                t["state"], t["reason"] = "healthy", None
            keep.append(t)
        tg["targets"] = keep

    def _port(self, tg, t):
        return t.get("port", tg["port"])

    def _find(self, tg, ident, port):
        for t in tg["targets"]:
            if t["id"] == ident and t["port"] == port:
                return t
        return None

    def _lb_arns(self, tg):
        arns = []
        for lb in self.lbs:
            for lis in lb.get("listeners", []):
                used = [lis.get("defaultTargetGroup")] + [r["targetGroup"] for r in lis.get("rules", [])]
                if tg["arn"] in used and lb["arn"] not in arns:
                    arns.append(lb["arn"])
        return arns

    # --- read ----------------------------------------------------------------------------
    def describe_load_balancers(self, p):
        want_arns, want_names = members(p, "LoadBalancerArns"), members(p, "Names")
        lbs = self.lbs
        if want_arns or want_names:
            lbs = [lb for lb in self.lbs if lb["arn"] in want_arns or lb["name"] in want_names]
            if len(lbs) < len(want_arns) + len(want_names):
                raise QueryError("LoadBalancerNotFound", "One or more load balancers not found")
        out = [{"LoadBalancerArn": lb["arn"], "DNSName": lb["dnsName"], "CanonicalHostedZoneId": "Z32O12XQLNTSW2",
                "CreatedTime": lb.get("created", "2026-01-05T10:00:00.000Z"), "LoadBalancerName": lb["name"],
                "Scheme": lb.get("scheme", "internal"), "VpcId": lb.get("vpcId", "vpc-0abc"),
                "State": {"Code": "active"}, "Type": lb.get("type", "application"),
                "AvailabilityZones": [{"ZoneName": z, "SubnetId": "subnet-%d" % i}
                                      for i, z in enumerate(lb.get("zones", []))],
                "SecurityGroups": lb.get("securityGroups", []), "IpAddressType": "ipv4"} for lb in lbs]
        return self._page(out, p, "LoadBalancers")

    def _listeners(self):
        return [(lb, lis) for lb in self.lbs for lis in lb.get("listeners", [])]

    def describe_listeners(self, p):
        lb_arn, want = p.get("LoadBalancerArn"), members(p, "ListenerArns")
        if not lb_arn and not want:
            raise QueryError("ValidationError", "You must specify either listener ARNs or a load balancer ARN")
        if lb_arn and not any(lb["arn"] == lb_arn for lb in self.lbs):
            raise QueryError("LoadBalancerNotFound", "Load balancer '%s' not found" % lb_arn)
        found = [(lb, lis) for lb, lis in self._listeners() if lb["arn"] == lb_arn or lis["arn"] in want]
        if want and len(found) < len(want):
            raise QueryError("ListenerNotFound", "One or more listeners not found")
        out = [{"ListenerArn": lis["arn"], "LoadBalancerArn": lb["arn"], "Port": lis["port"],
                "Protocol": lis.get("protocol", "HTTP"),
                "DefaultActions": [self._forward(lis["defaultTargetGroup"])]} for lb, lis in found]
        return self._page(out, p, "Listeners")

    def _forward(self, tg_arn):
        return {"Type": "forward", "TargetGroupArn": tg_arn, "Order": 1,
                "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": tg_arn, "Weight": 1}],
                                  "TargetGroupStickinessConfig": {"Enabled": False}}}

    def describe_rules(self, p):
        lis_arn, want = p.get("ListenerArn"), members(p, "RuleArns")
        if not lis_arn and not want:
            raise QueryError("ValidationError", "You must specify either listener rule ARNs or a listener ARN")
        out = []
        for _lb, lis in self._listeners():
            rules = [{"RuleArn": r["arn"], "Priority": str(r["priority"]), "IsDefault": False,
                      "Conditions": [{"Field": "path-pattern", "Values": r["paths"],
                                      "PathPatternConfig": {"Values": r["paths"]}}],
                      "Actions": [self._forward(r["targetGroup"])]} for r in lis.get("rules", [])]
            rules.append({"RuleArn": lis["arn"].replace(":listener/", ":listener-rule/") + "/default",
                          "Priority": "default", "IsDefault": True, "Conditions": [],
                          "Actions": [self._forward(lis["defaultTargetGroup"])]})
            if lis["arn"] == lis_arn:
                out.extend(rules)
            else:
                out.extend(r for r in rules if r["RuleArn"] in want)
        if lis_arn and not any(lis["arn"] == lis_arn for _lb, lis in self._listeners()):
            raise QueryError("ListenerNotFound", "Listener '%s' not found" % lis_arn)
        if want and len(out) < len(want):
            raise QueryError("RuleNotFound", "One or more rules not found")
        return self._page(out, p, "Rules")

    def describe_target_groups(self, p):
        lb_arn, want_arns, want_names = p.get("LoadBalancerArn"), members(p, "TargetGroupArns"), members(p, "Names")
        tgs = self.tgs
        if lb_arn:
            if not any(lb["arn"] == lb_arn for lb in self.lbs):
                raise QueryError("LoadBalancerNotFound", "Load balancer '%s' not found" % lb_arn)
            tgs = [tg for tg in tgs if lb_arn in self._lb_arns(tg)]
        if want_arns or want_names:
            tgs = [tg for tg in tgs if tg["arn"] in want_arns or tg["name"] in want_names]
            if len(tgs) < len(want_arns) + len(want_names):
                raise QueryError("TargetGroupNotFound", "One or more target groups not found")
        out = [{"TargetGroupArn": tg["arn"], "TargetGroupName": tg["name"], "Protocol": tg.get("protocol", "HTTP"),
                "Port": tg["port"], "VpcId": tg.get("vpcId", "vpc-0abc"), "HealthCheckProtocol": "HTTP",
                "HealthCheckPort": "traffic-port", "HealthCheckEnabled": True, "HealthCheckIntervalSeconds": 30,
                "HealthCheckTimeoutSeconds": 5, "HealthyThresholdCount": 5, "UnhealthyThresholdCount": 2,
                "HealthCheckPath": tg.get("healthCheckPath", "/health"), "Matcher": {"HttpCode": "200"},
                "LoadBalancerArns": self._lb_arns(tg), "TargetType": "ip", "ProtocolVersion": "HTTP1",
                "IpAddressType": "ipv4"} for tg in tgs]
        return self._page(out, p, "TargetGroups")

    def describe_target_group_attributes(self, p):
        tg = self._tg(p.get("TargetGroupArn", ""))
        attrs = [("deregistration_delay.timeout_seconds", str(tg.get("deregistrationDelaySeconds", 300))),
                 ("stickiness.enabled", "false"), ("stickiness.type", "lb_cookie"),
                 ("load_balancing.algorithm.type", "round_robin"), ("slow_start.duration_seconds", "0")]
        return {"Attributes": [{"Key": k, "Value": v} for k, v in attrs]}

    def _describe(self, tg, t):
        state = t["state"]
        reason = t.get("reason")
        if state == "initial" and not reason:
            reason = "Elb.RegistrationInProgress"
        if state == "draining":
            reason = "Target.DeregistrationInProgress"
        health = {"State": state, "Reason": reason, "Description": DESCRIPTIONS.get(reason) if reason else None}
        return {"Target": {"Id": t["id"], "Port": t["port"]}, "HealthCheckPort": str(t["port"]),
                "TargetHealth": health}

    def describe_target_health(self, p):
        tg = self._tg(p.get("TargetGroupArn", ""))
        self._settle(tg)
        asked = target_members(p)
        if not asked:
            return {"TargetHealthDescriptions": [self._describe(tg, t) for t in tg["targets"]]}
        out = []
        for a in asked:
            port = a.get("port", tg["port"])
            t = self._find(tg, a["id"], port)
            if t is None:
                out.append({"Target": {"Id": a["id"], "Port": port}, "TargetHealth": {
                    "State": "unused", "Reason": "Target.NotRegistered",
                    "Description": DESCRIPTIONS["Target.NotRegistered"]}})
            else:
                out.append(self._describe(tg, t))
        return {"TargetHealthDescriptions": out}

    # --- write ---------------------------------------------------------------------------
    def deregister_targets(self, p):
        tg = self._tg(p.get("TargetGroupArn", ""))
        asked = target_members(p)
        if not asked:
            raise QueryError("ValidationError", "Targets must contain at least one target")
        self._settle(tg)
        delay = float(tg.get("deregistrationDelaySeconds", 300))
        for a in asked:
            t = self._find(tg, a["id"], a.get("port", tg["port"]))
            if t is None or t["state"] == "draining":
                continue  # AWS: deregistering an unknown or draining target succeeds
            t.update(state="draining", reason="Target.DeregistrationInProgress", drainUntil=self.clock() + delay)
            t.pop("initialUntil", None)
        return None

    def register_targets(self, p):
        tg = self._tg(p.get("TargetGroupArn", ""))
        asked = target_members(p)
        if not asked:
            raise QueryError("ValidationError", "Targets must contain at least one target")
        self._settle(tg)
        for a in asked:
            if not a["id"] or len(a["id"]) > 255:
                raise QueryError("InvalidTarget", "The target '%s' is not valid" % a["id"])
        for a in asked:
            port = a.get("port", tg["port"])
            t = self._find(tg, a["id"], port)
            if t is None:
                t = {"id": a["id"], "port": port}
                tg["targets"].append(t)
            elif t["state"] not in ("draining", "unused"):
                continue  # already registered: nothing changes
            t.pop("drainUntil", None)
            t.update(state="initial", reason="Elb.RegistrationInProgress",
                     initialUntil=self.clock() + float(tg.get("initialSeconds", 1)))
        return None

    ACTIONS = {
        "DescribeLoadBalancers": describe_load_balancers, "DescribeListeners": describe_listeners,
        "DescribeRules": describe_rules, "DescribeTargetGroups": describe_target_groups,
        "DescribeTargetGroupAttributes": describe_target_group_attributes,
        "DescribeTargetHealth": describe_target_health, "DeregisterTargets": deregister_targets,
        "RegisterTargets": register_targets,
    }

    def call(self, params):
        action = params.get("Action", "")
        if action not in self.ACTIONS:
            raise QueryError("InvalidAction", "The action %s is not valid for this web service." % (action or "''"))
        if params.get("Version") != VERSION:
            raise QueryError("InvalidParameterValue" if params.get("Version") else "MissingParameter",
                             "Version must be %s" % VERSION)
        return action, self.ACTIONS[action](self, params)

    def snapshot(self):
        for tg in self.tgs:
            self._settle(tg)
        return {"targetGroups": {tg["arn"]: [{"id": t["id"], "port": t["port"], "state": t["state"],
                                               "reason": t.get("reason")} for t in tg["targets"]] for tg in self.tgs}}
