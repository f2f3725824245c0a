"""Amazon ECS (JSON 1.1, `X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Op>`) for
aws_emulator.py: ListTasks and DescribeTasks, the two calls hopscope's ECS source makes
(docs/PROTOCOLS-2.md section 5). Python stdlib only. Tasks are awsvpc (Fargate) tasks: the
address is in attachments[ElasticNetworkInterface].details privateIPv4Address and in
containers[].networkInterfaces[].privateIpv4Address; timestamps are epoch seconds.
"""
import base64
import json
import time

from aws_cloudmap import JsonError

TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113."


class Ecs:
    def __init__(self, state, page_size, region, account):
        self.page_size = page_size
        self.region, self.account = region, account
        self.clusters = state.get("clusters", [])
        self.started = int(time.time()) - 3600

    def _cluster_arn(self, c):
        return "arn:aws:ecs:%s:%s:cluster/%s" % (self.region, self.account, c["name"])

    def _task_arn(self, c, t):
        return "arn:aws:ecs:%s:%s:task/%s/%s" % (self.region, self.account, c["name"], t["id"])

    def _cluster(self, name):
        name = name or "default"
        for c in self.clusters:
            if name in (c["name"], self._cluster_arn(c)):
                return c
        raise JsonError("ClusterNotFoundException", "Cluster not found.")

    def _tasks(self, c):
        return [(s, t) for s in c.get("services", []) for t in s.get("tasks", [])]

    def ListTasks(self, req):
        c = self._cluster(req.get("cluster"))
        pairs = self._tasks(c)
        if req.get("serviceName"):
            names = [s["name"] for s in c.get("services", [])]
            if req["serviceName"] not in names:
                raise JsonError("ServiceNotFoundException", "Service not found.")
            pairs = [(s, t) for s, t in pairs if s["name"] == req["serviceName"]]
        want = req.get("desiredStatus") or "RUNNING"
        if want not in ("RUNNING", "PENDING", "STOPPED"):
            raise JsonError("InvalidParameterException", "desiredStatus must be RUNNING, PENDING or STOPPED")
        pairs = [(s, t) for s, t in pairs if t.get("desiredStatus", "RUNNING") == want]
        size = self.page_size
        if req.get("maxResults") is not None:
            if not isinstance(req["maxResults"], int) or not 1 <= req["maxResults"] <= 100:
                raise JsonError("InvalidParameterException", "maxResults must be between 1 and 100")
            size = min(size, req["maxResults"])
        start = 0
        if req.get("nextToken"):
            try:
                start = int(json.loads(base64.b64decode(req["nextToken"]))["o"])
            except (ValueError, KeyError, TypeError):
                raise JsonError("InvalidParameterException", "Invalid nextToken")
        out = {"taskArns": [self._task_arn(c, t) for _s, t in pairs[start:start + size]]}
        if start + size < len(pairs):
            out["nextToken"] = base64.b64encode(json.dumps({"o": start + size}).encode()).decode()
        return out

    def _describe(self, c, s, t):
        ip, port = t["ip"], t.get("port", 8080)
        last = t.get("lastStatus", "RUNNING")
        task = {
            "taskArn": self._task_arn(c, t), "clusterArn": self._cluster_arn(c),
            "taskDefinitionArn": "arn:aws:ecs:%s:%s:task-definition/%s:7" % (self.region, self.account, s["name"]),
            "group": "service:" + s["name"], "lastStatus": last, "desiredStatus": t.get("desiredStatus", "RUNNING"),
            "healthStatus": t.get("healthStatus", "HEALTHY"), "launchType": "FARGATE", "cpu": "256", "memory": "512",
            "availabilityZone": t.get("az", "eu-west-1a"), "createdAt": self.started, "startedAt": self.started + 20,
            "connectivity": "CONNECTED",
            "attachments": [{"id": "eni-attach-" + t["id"][:8], "type": "ElasticNetworkInterface",
                             "status": "ATTACHED" if last == "RUNNING" else "DELETED",
                             "details": [{"name": "subnetId", "value": "subnet-0"},
                                         {"name": "networkInterfaceId", "value": "eni-" + t["id"][:12]},
                                         {"name": "macAddress", "value": "0a:00:00:00:00:01"},
                                         {"name": "privateDnsName", "value": "ip-%s.internal" % ip.replace(".", "-")},
                                         {"name": "privateIPv4Address", "value": ip}]}],
            "containers": [{"containerArn": self._task_arn(c, t).replace(":task/", ":container/") + "/app",
                            "name": "app", "lastStatus": last, "healthStatus": t.get("healthStatus", "HEALTHY"),
                            "networkBindings": [], "networkInterfaces": [
                                {"attachmentId": "eni-attach-" + t["id"][:8], "privateIpv4Address": ip}],
                            "exitCode": t.get("exitCode")}],
        }
        if port:
            task["containers"][0]["networkBindings"] = [{"containerPort": port, "hostPort": port, "protocol": "tcp"}]
        if last == "STOPPED" or t.get("desiredStatus") == "STOPPED":
            task["stoppedReason"] = t.get("stoppedReason", "Task stopped by user")
            task["stopCode"] = t.get("stopCode", "UserInitiated")
            task["stoppingAt"] = self.started + 1800
            if last == "STOPPED":
                task["stoppedAt"] = self.started + 1810
        if task["containers"][0]["exitCode"] is None:
            del task["containers"][0]["exitCode"]
        return task

    def DescribeTasks(self, req):
        c = self._cluster(req.get("cluster"))
        ids = req.get("tasks")
        if not isinstance(ids, list) or not ids or len(ids) > 100:
            raise JsonError("InvalidParameterException", "Tasks cannot be empty and hold at most 100 ids.")
        by = {}
        for s, t in self._tasks(c):
            by[self._task_arn(c, t)] = (s, t)
            by[t["id"]] = (s, t)
        tasks, failures = [], []
        for i in ids:
            if i in by:
                tasks.append(self._describe(c, *by[i]))
            else:
                failures.append({"arn": i, "reason": "MISSING"})
        return {"tasks": tasks, "failures": failures}

    OPERATIONS = ("ListTasks", "DescribeTasks")

    def call(self, op, req):
        if op not in self.OPERATIONS:
            raise JsonError("UnknownOperationException", "")
        if not isinstance(req, dict):
            raise JsonError("SerializationException", "Start of structure or map found where not expected.")
        return getattr(self, op)(req)
