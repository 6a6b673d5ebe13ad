#!/usr/bin/env python3
"""file-cloud: a Quartermaster driver plugin whose "cloud" is a JSON file.

It implements every method of the exec protocol (docs/plugins.md) with the Python standard
library only: nodes and instances live in a JSON file, so you can watch `qm apply` change it.

    state file   --state PATH, else $FILE_CLOUD_STATE, else ./file-cloud.json (relative to the
                 policy repository root, where qm runs the program)
    settings     (spec.exec.settings of the Driver document, sent in `initialize`)
      registerAfter: N   new nodes stay invisible for N observe calls, like cloud machines that
                         boot and register some time after the scale-up returned (default 0)
      maxNodes: N        the account's node quota: a scale-up beyond it fails (default none)
      noop: true         apply does nothing and answers at once (measures protocol overhead);
                         --noop does the same
    tracing      $FILE_CLOUD_TRACE=PATH appends every line read and written to PATH

Node names: scalePool adds exactly the nodes the plan names in addNodes (so a later plan
finds them under those names) and removes exactly those in removeNodes. A pool the file has
never seen starts with size.initial nodes named <pool>-0, <pool>-1, ... spread over its zones.

Requests are processed one at a time, in the order they arrive. The changes of a batch of
requests read together are appended to PATH.journal (a group commit) before the batch is
answered, so an answered apply is on disk; at shutdown the JSON file is rewritten atomically
(temporary file, rename) and the journal removed. A crash leaves file + journal, read back
together at the next start.
"""
import json
import os
import sys
import tempfile

PROTOCOL_VERSION = "1"


class RpcError(Exception):
    """An error answer: code, message and data {host, hint} as the protocol defines them."""

    def __init__(self, message, code=-32000, host=None, hint=None):
        super().__init__(message)
        self.code = code
        self.data = {k: v for k, v in (("host", host), ("hint", hint)) if v is not None}


def log(line):
    """Logs go to stderr: qm prints them prefixed with the driver's name. Never to stdout."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def quantities(requests):
    """Canonical units of a plan (cpuMillis, memoryBytes, ...) back to snapshot quantities."""
    out = {}
    for key, value in requests.items():
        if key == "cpuMillis":
            out["cpu"] = "%dm" % value
        elif key == "memoryBytes":
            out["memory"] = value
        elif key == "storageBytes":
            out["storage"] = value
        elif key == "networkMbps":
            out["network"] = "%dMbps" % value
        elif key == "gpuMillis":
            out["gpu"] = "%dm" % value
        else:
            out[key] = value
    return out


class FileCloud:
    def __init__(self, path, noop=False):
        self.path = path
        self.noop = noop
        self.settings = {}
        self.state = None
        self.index = {}  # instance name -> its entry in state["instances"]: no scan per action
        self.journal = path + ".journal"
        self.journal_ops = 0
        self.seen = None  # (file mtime, journal size) as last read or written: a change means someone else wrote
        self.touched = set()  # instances changed since the last commit
        self.nodes_dirty = False  # nodes or pools changed since the last commit

    # --- the file -----------------------------------------------------------------------------
    # The state is the JSON file plus a journal beside it (PATH.journal, one JSON line per change):
    # a commit appends the changed entries to the journal, which stays cheap with 10,000 instances;
    # the file is rewritten (atomically) and the journal removed at shutdown and every 20,000 changes.

    def signature(self):
        def stat(p, attr):
            try:
                return getattr(os.stat(p), attr)
            except FileNotFoundError:
                return None
        return (stat(self.path, "st_mtime_ns"), stat(self.journal, "st_size"))

    def load(self):
        """Read the file and replay the journal, unless nobody else wrote since we last did."""
        sig = self.signature()
        if self.state is not None and sig == self.seen:
            return
        state = {"pools": [], "nodes": [], "instances": []}
        if sig[0] is not None:
            with open(self.path, encoding="utf-8") as f:
                state = json.load(f)
        index = {i["name"]: i for i in state["instances"]}
        self.journal_ops = 0
        if sig[1] is not None:
            with open(self.journal, encoding="utf-8") as f:
                for line in f:
                    if not line.endswith("\n"):
                        break  # a torn last line: that batch was never answered
                    entry = json.loads(line)
                    self.journal_ops += 1
                    if "put" in entry:
                        index[entry["put"]["name"]] = entry["put"]
                    elif "del" in entry:
                        index.pop(entry["del"], None)
                    else:
                        state["nodes"], state["pools"] = entry["nodes"], entry["pools"]
        state["instances"] = list(index.values())
        self.state, self.index, self.seen = state, index, sig
        self.touched, self.nodes_dirty = set(), False

    def commit(self):
        """Make this batch's changes durable before it is answered."""
        if not self.touched and not self.nodes_dirty:
            return
        lines = []
        for name in sorted(self.touched):
            entry = self.index.get(name)
            lines.append({"put": entry} if entry is not None else {"del": name})
        if self.nodes_dirty:
            lines.append({"nodes": self.state["nodes"], "pools": self.state["pools"]})
        with open(self.journal, "a", encoding="utf-8") as f:
            f.write("".join(json.dumps(x, separators=(",", ":")) + "\n" for x in lines))
        self.journal_ops += len(lines)
        self.touched, self.nodes_dirty = set(), False
        if self.journal_ops > 20000:
            self.compact()
        else:
            self.seen = self.signature()

    def compact(self):
        """Rewrite the JSON file from memory (atomically: a temporary file, then rename) and drop the journal."""
        if self.state is None or (self.journal_ops == 0 and self.seen is not None and self.seen[0] is not None):
            return
        self.state["instances"] = list(self.index.values())
        directory = os.path.dirname(os.path.abspath(self.path))
        fd, tmp = tempfile.mkstemp(prefix=".file-cloud-", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(self.state, f, indent=1, sort_keys=True)
            f.write("\n")
        os.replace(tmp, self.path)
        try:
            os.unlink(self.journal)
        except FileNotFoundError:
            pass
        self.journal_ops = 0
        self.seen = self.signature()

    def nodes(self, visible_only=True):
        return [n for n in self.state["nodes"] if not visible_only or n.get("hiddenFor", 0) == 0]

    def node(self, name):
        n = next((n for n in self.state["nodes"] if n["name"] == name), None)
        return n if n is not None and n.get("hiddenFor", 0) == 0 else None

    def instance(self, name):
        return self.index.get(name)

    def materialise(self, pools):
        """A pool never seen starts with size.initial nodes, spread over its zones."""
        for pool in pools:
            if pool["name"] in self.state["pools"]:
                continue
            self.state["pools"].append(pool["name"])
            zones = pool.get("zones") or ["zone-a"]
            for i in range(pool.get("size", {}).get("initial", 0)):
                name = "%s-%d" % (pool["name"], i)
                self.state["nodes"].append({"name": name, "pool": pool["name"], "zone": zones[i % len(zones)], "providerId": "file-cloud:///%s" % name})
            self.nodes_dirty = True

    # --- the methods --------------------------------------------------------------------------

    def initialize(self, params):
        if params.get("protocolVersion") != PROTOCOL_VERSION:
            raise RpcError("protocol version %r is not supported (this plugin speaks %s)" % (params.get("protocolVersion"), PROTOCOL_VERSION), hint="upgrade the plugin or qm")
        self.settings = params.get("driver", {}).get("settings", {}) or {}
        self.noop = self.noop or bool(self.settings.get("noop"))
        return {"name": "file-cloud", "capabilities": {"scaleNodes": True, "placeOnNode": True}}

    def health(self, params):
        directory = os.path.dirname(os.path.abspath(self.path))
        if not os.access(directory, os.W_OK):
            return {"ok": False, "message": "cannot write to %s" % directory}
        return {"ok": True, "message": "state in %s" % self.path}

    def observe(self, params):
        self.load()
        pools = params["pools"]
        self.materialise(pools)
        served = {p["name"] for p in pools}
        nodes = [{k: v for k, v in n.items() if k != "hiddenFor"} for n in self.nodes() if n["pool"] in served]
        names = {n["name"] for n in nodes}
        instances = [dict(i, requests=quantities(i["requests"])) for i in self.index.values() if i["node"] in names]
        warnings = []
        booting = [n for n in self.nodes(visible_only=False) if n.get("hiddenFor", 0) > 0 and n["pool"] in served]
        if booting:
            warnings.append("nodes still booting: %s" % ", ".join(n["name"] for n in booting))
        # A booting node becomes visible after `registerAfter` observations.
        for n in booting:
            n["hiddenFor"] -= 1
            if n["hiddenFor"] == 0:
                del n["hiddenFor"]
            self.nodes_dirty = True
        return {"nodes": nodes, "instances": instances, "warnings": warnings}

    def apply(self, params):
        if self.noop:
            return {}
        self.load()
        action = params["action"]
        kind = action["type"]
        handler = getattr(self, "apply_" + kind, None)
        if handler is None:
            raise RpcError("action type %s is not supported" % kind, hint="upgrade the plugin")
        handler(action, params)
        return {}

    def apply_place(self, a, params):
        if self.node(a["node"]) is None:
            raise RpcError("node %s does not exist" % a["node"], host=a["node"], hint="plan again: the node is gone or still booting")
        current = self.instance(a["instance"])
        if current is not None and current["node"] != a["node"]:
            raise RpcError("%s already runs on %s" % (a["instance"], current["node"]), host=a["node"])
        if current is not None and current.get("template") == params.get("template"):
            return  # idempotent: placed by an earlier, interrupted apply
        # New, or placed again where it runs because its agent's template changed: it starts anew.
        placed = {"name": a["instance"], "agent": a["agent"], "node": a["node"], "requests": a["requests"], "startedAt": params.get("now")}
        if params.get("template"):
            placed["template"] = params["template"]
        if a.get("gpuDevices"):
            placed["gpuDevices"] = a["gpuDevices"]
        self.index[placed["name"]] = placed
        self.touched.add(placed["name"])

    def apply_move(self, a, params):
        if self.node(a["toNode"]) is None:
            raise RpcError("node %s does not exist" % a["toNode"], host=a["toNode"])
        current = self.instance(a["instance"])
        if current is None:
            raise RpcError("%s is not running" % a["instance"], host=a["fromNode"])
        if params.get("template") and current.get("template") != params["template"]:
            current["template"] = params["template"]
            self.touched.add(a["instance"])
        if current["node"] != a["toNode"]:
            current["node"] = a["toNode"]
            current["startedAt"] = params.get("now")
            current.pop("gpuDevices", None)
            if a.get("gpuDevices"):
                current["gpuDevices"] = a["gpuDevices"]
            self.touched.add(a["instance"])

    def apply_remove(self, a, params):
        if self.index.pop(a["instance"], None) is not None:
            self.touched.add(a["instance"])

    apply_evict = apply_remove

    def apply_scaleAgent(self, a, params):
        pass  # replicas are Quartermaster's business: nothing to do in this cloud

    def apply_scalePool(self, a, params):
        pool = a["pool"]
        host = "pool %s" % pool
        existing = {n["name"] for n in self.nodes(visible_only=False)}
        adding = [name for name in a["addNodes"] if name not in existing]
        limit = self.settings.get("maxNodes")
        if limit is not None and len(existing) + len(adding) > limit:
            raise RpcError("the node quota of %d nodes would be exceeded (%d exist, %d more asked for)" % (limit, len(existing), len(adding)), host=host, hint="raise settings.maxNodes or the pool's size.max")
        busy = sorted({i["node"] for i in self.index.values() if i["node"] in a["removeNodes"]})
        if busy:
            raise RpcError("node %s still runs instances; move them first" % ", ".join(busy), host=busy[0])
        zones = (params.get("pool") or {}).get("zones") or ["zone-a"]
        in_pool = [n for n in self.state["nodes"] if n["pool"] == pool]
        for k, name in enumerate(adding):
            zone = zones[(len(in_pool) + k) % len(zones)]
            node = {"name": name, "pool": pool, "zone": zone, "providerId": "file-cloud:///%s" % name}
            if int(self.settings.get("registerAfter", 0)) > 0:
                node["hiddenFor"] = int(self.settings["registerAfter"])
            self.state["nodes"].append(node)
        before = len(self.state["nodes"])
        self.state["nodes"] = [n for n in self.state["nodes"] if n["name"] not in a["removeNodes"]]
        removed = before - len(self.state["nodes"])
        if pool not in self.state["pools"]:
            self.state["pools"].append(pool)
            self.nodes_dirty = True
        if adding or removed:
            self.nodes_dirty = True
            log("pool %s: %d node(s) added, %d removed" % (pool, len(adding), removed))


METHODS = ("initialize", "health", "observe", "apply")


def main(argv):
    path = os.environ.get("FILE_CLOUD_STATE", "file-cloud.json")
    noop = False
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg == "--state" and args:
            path = args.pop(0)
        elif arg == "--noop":
            noop = True
        else:
            log("unknown argument %s (usage: file_cloud.py [--state PATH] [--noop])" % arg)
            return 2
    cloud = FileCloud(path, noop)
    trace_path = os.environ.get("FILE_CLOUD_TRACE")
    trace = open(trace_path, "a", encoding="utf-8") if trace_path else None

    def send(answers):
        for a in answers:
            line = json.dumps(a, separators=(",", ":"))
            if trace:
                trace.write("<- " + line + "\n")
            sys.stdout.write(line + "\n")
        sys.stdout.flush()
        if trace:
            trace.flush()

    def commit(answers):
        """Write the batch's changes, then answer it; if the write fails, every answer of the batch says so."""
        try:
            cloud.commit()
        except OSError as e:
            cloud.state = None  # forget the unwritten changes: the next request reads the file again
            error = {"code": -32000, "message": "cannot write %s: %s" % (path, e.strerror), "data": {"host": path}}
            answers = [{"jsonrpc": "2.0", "id": a["id"], "error": error} if "result" in a else a for a in answers]
        send(answers)

    stdin = sys.stdin.buffer.raw if hasattr(sys.stdin.buffer, "raw") else sys.stdin.buffer
    buffered = b""
    answers = []
    while True:
        if b"\n" not in buffered:
            # Nothing more to read right now: commit the batch, then answer it.
            commit(answers)
            answers = []
            chunk = os.read(stdin.fileno(), 1 << 16)
            if not chunk:
                cloud.compact()
                return 0  # stdin closed: qm is gone
            buffered += chunk
            continue
        raw, buffered = buffered.split(b"\n", 1)
        if not raw.strip():
            continue
        if trace:
            trace.write("-> " + raw.decode("utf-8", "replace") + "\n")
        try:
            request = json.loads(raw)
        except ValueError:
            answers.append({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}})
            continue
        rid, method, params = request.get("id"), request.get("method"), request.get("params") or {}
        if method == "shutdown":
            answers.append({"jsonrpc": "2.0", "id": rid, "result": {}})
            commit(answers)
            cloud.compact()
            return 0
        if method not in METHODS:
            answers.append({"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": "method not found: %s" % method}})
            continue
        try:
            answers.append({"jsonrpc": "2.0", "id": rid, "result": getattr(cloud, method)(params)})
        except RpcError as e:
            error = {"code": e.code, "message": str(e)}
            if e.data:
                error["data"] = e.data
            answers.append({"jsonrpc": "2.0", "id": rid, "error": error})
        except Exception as e:  # a bug here must not kill the plugin: answer it, naming the method
            answers.append({"jsonrpc": "2.0", "id": rid, "error": {"code": -32603, "message": "%s failed: %s: %s" % (method, type(e).__name__, e)}})


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
