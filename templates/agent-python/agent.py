#!/usr/bin/env python3
"""A custom lightning agent: standard library only, any python3 >= 3.8.

It serves lightning's worker protocol on 127.0.0.1:$PORT:
  GET  /health                        liveness and load, probed by the supervisor
  GET  /.well-known/agent-card.json   A2A agent card: who this agent is, its skills
  POST /a2a/jsonrpc                   A2A JSON-RPC (passes the A2A conformance kit's required level)
        v1.0 (A2A-Version: 1.0):      SendMessage, SendStreamingMessage (SSE), GetTask, ListTasks,
                                      CancelTask, SubscribeToTask (SSE)
        v0.3 (no A2A-Version header): message/send, message/stream, tasks/get, tasks/cancel,
                                      tasks/resubscribe
      Push notifications are not offered (the card says so); each task is one message, one answer.

Your code goes in handle() below; the rest is protocol plumbing you should not need to touch.
Run it by hand with `PORT=9010 python3 agent.py`; under `lightning up` the supervisor starts it.
"""

import hmac
import json
import os
import signal
import socket
import stat
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import OrderedDict
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# What this agent says about itself, written by `lightning new agent`. The supervisor reads them
# from the agent card and merges them with agents.yaml, so keep both in the same words.
AGENT_NAME = "my_agent"
DESCRIPTION = "A custom agent"
CAPABILITIES = ["example"]
# Used when $PORT is not set (the supervisor always sets it).
DEFAULT_PORT = 9010
# Tasks run at once (one thread each); beyond this a task is refused at once with HTTP 503 so the
# supervisor can send it to another instance.
CAPACITY = 8


# ================================ YOUR LOGIC GOES HERE ================================
def handle(text):
    # type: (str) -> str
    """Do this agent's work on one task and return the answer as text.

    `text` is the task as the user wrote it (`lightning run "..."`). Raise an exception to fail
    the task: its message becomes the task's error. Each task runs in its own thread.
    """
    return (
        "{} received this task:\n{}\n\n"
        "Nothing was done with it: this agent's logic is not written yet "
        "(edit handle() in {}).".format(AGENT_NAME, text, os.path.relpath(__file__))
    )
# ======================================================================================


RPC_PATH = "/a2a/jsonrpc"
CARD_PATH = "/.well-known/agent-card.json"
MAX_BODY_BYTES = 4 * 1024 * 1024
TASKS_KEPT = 1000  # for GetTask/ListTasks; the oldest are forgotten first
SUPPORTED_VERSIONS = ("0.3", "1.0")  # A2A-Version: absent means 0.3

NAME = os.environ.get("LIGHTNING_AGENT") or AGENT_NAME
INSTANCE = int(os.environ.get("LIGHTNING_INSTANCE") or 0)
PORT = int(os.environ.get("PORT") or DEFAULT_PORT)
# Started by hand elsewhere with a supervisor's URL and its join token, the agent joins that
# supervisor by itself and keeps a lease with heartbeats (the supervisor never passes the join
# token to the agents it starts, so those do not).
SUPERVISOR = os.environ.get("LIGHTNING_SUPERVISOR") or None
JOIN_TOKEN = os.environ.get("LIGHTNING_JOIN_TOKEN") or None
HOST = os.environ.get("HOST") or "127.0.0.1"
ADVERTISE = os.environ.get("LIGHTNING_ADVERTISE") or "http://{}:{}".format(
    socket.gethostname() if HOST in ("0.0.0.0", "::") else HOST, PORT)
LEASE_MS = int(os.environ.get("LIGHTNING_LEASE_MS") or 15000)
# A joined agent takes tasks only from the supervisor it joined, which sends the join token.
TOKEN = os.environ.get("LIGHTNING_TOKEN") or (JOIN_TOKEN if SUPERVISOR else None)
STARTED = time.monotonic()

lock = threading.Lock()
inflight = 0
tasks = OrderedDict()  # task id -> task (see new_task); the most recently updated last
sequence = [0]  # update counter: ListTasks pages by it

# A2A's error codes; in 1.0 each error also carries a google.rpc.ErrorInfo with its reason.
TASK_NOT_FOUND, TASK_NOT_CANCELABLE, PUSH_NOT_SUPPORTED, UNSUPPORTED = -32001, -32002, -32003, -32004
CONTENT_TYPE_NOT_SUPPORTED, VERSION_NOT_SUPPORTED, INVALID_PARAMS = -32005, -32009, -32602
REASONS = {-32001: "TASK_NOT_FOUND", -32002: "TASK_NOT_CANCELABLE", -32003: "PUSH_NOTIFICATION_NOT_SUPPORTED",
           -32004: "UNSUPPORTED_OPERATION", -32005: "CONTENT_TYPE_NOT_SUPPORTED", -32006: "INVALID_AGENT_RESPONSE",
           -32007: "EXTENDED_AGENT_CARD_NOT_CONFIGURED", -32008: "EXTENSION_SUPPORT_REQUIRED",
           -32009: "VERSION_NOT_SUPPORTED", -32602: "INVALID_PARAMS"}

# Each method's 1.0 name and 0.3 name, and what it does here.
METHODS = {
    "SendMessage": "send", "message/send": "send",
    "SendStreamingMessage": "stream", "message/stream": "stream",
    "GetTask": "get", "tasks/get": "get",
    "ListTasks": "list", "tasks/list": "list",
    "CancelTask": "cancel", "tasks/cancel": "cancel",
    "SubscribeToTask": "subscribe", "tasks/resubscribe": "subscribe",
    "CreateTaskPushNotificationConfig": "push", "GetTaskPushNotificationConfig": "push",
    "ListTaskPushNotificationConfigs": "push", "DeleteTaskPushNotificationConfig": "push",
    "tasks/pushNotificationConfig/set": "push", "tasks/pushNotificationConfig/get": "push",
    "tasks/pushNotificationConfig/list": "push", "tasks/pushNotificationConfig/delete": "push",
    "GetExtendedAgentCard": "extended_card", "agent/getAuthenticatedExtendedCard": "extended_card",
}


class RpcError(Exception):
    def __init__(self, code, message, status=200):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def error_body(error, legacy):
    body = {"code": error.code, "message": error.message}
    if not legacy and error.code in REASONS:
        body["data"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": REASONS[error.code],
                         "domain": "a2a-protocol.org"}]
    return body


def now():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def humanize(term):
    return " ".join(word.capitalize() for word in term.replace("-", " ").replace("_", " ").split())


def agent_card(base_url, legacy):
    """A2A card, v1.0 form by default; v0.3 form (top-level url) when a 0.x version is asked."""
    rpc_url = base_url + RPC_PATH
    skills = [
        {"id": c, "name": humanize(c), "description": "{} work by {}: {}".format(humanize(c), NAME, DESCRIPTION),
         "tags": [c], "examples": [], "inputModes": ["text/plain"], "outputModes": ["text/plain"]}
        for c in CAPABILITIES
    ]
    card = {"name": NAME, "description": DESCRIPTION, "version": "0.1.0",
            "capabilities": {"streaming": True, "pushNotifications": False},
            "defaultInputModes": ["text/plain"], "defaultOutputModes": ["text/plain"], "skills": skills}
    if legacy:
        card.update({"protocolVersion": "0.3.0", "url": rpc_url, "preferredTransport": "JSONRPC"})
        if TOKEN:
            card.update({"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "security": [{"bearer": []}]})
    else:
        card["supportedInterfaces"] = [
            {"url": rpc_url, "protocolBinding": "JSONRPC", "protocolVersion": "1.0"},
            {"url": rpc_url, "protocolBinding": "JSONRPC", "protocolVersion": "0.3"},
        ]
        if TOKEN:
            card["securitySchemes"] = {"bearer": {"httpAuthSecurityScheme": {"scheme": "Bearer"}}}
            card["securityRequirements"] = [{"schemes": {"bearer": {"list": []}}}]
    return card


def wire_version(header):
    """The A2A-Version a request speaks ("0.3" without the header), or VersionNotSupported."""
    asked = (header or "").strip() or "0.3"
    major_minor = ".".join(asked.split(".")[:2])
    if major_minor not in SUPPORTED_VERSIONS:
        raise RpcError(VERSION_NOT_SUPPORTED, "A2A-Version {} is not supported: use one of {}".format(
            asked, ", ".join(SUPPORTED_VERSIONS)))
    return major_minor


def params_of(body):
    params = body.get("params")
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise RpcError(INVALID_PARAMS, "invalid params: params must be an object")
    return params


def int_param(params, name, low, high):
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise RpcError(INVALID_PARAMS, "invalid params: {} must be an integer from {} to {}".format(name, low, high))
    return value


def incoming_message(params):
    """The user's message: its text, id and context; a message for a task that exists is refused."""
    message = params.get("message")
    if not isinstance(message, dict):
        raise RpcError(INVALID_PARAMS, "invalid params: params.message must be an object")
    parts = message.get("parts")
    if not isinstance(parts, list) or not parts:
        raise RpcError(INVALID_PARAMS, "invalid params: the message has no parts")
    # Text parts as they are, data parts as JSON; files are not read by this template.
    texts = [p["text"] if isinstance(p.get("text"), str) else json.dumps(p["data"])
             for p in parts if isinstance(p, dict) and (isinstance(p.get("text"), str) or "data" in p)]
    if message.get("taskId"):
        # Each task here is one message and one answer: a follow-up cannot continue it.
        task = find_task(message.get("taskId"))
        raise RpcError(UNSUPPORTED, "Task {} is in a terminal state ({}) and cannot take more messages".format(task["id"], task["state"])
                       if task["state"] != "working" else "Task {} is still working and takes no more messages".format(task["id"]))
    context_id = message.get("contextId") if isinstance(message.get("contextId"), str) and message.get("contextId") else str(uuid.uuid4())
    message_id = message.get("messageId") if isinstance(message.get("messageId"), str) and message.get("messageId") else str(uuid.uuid4())
    return "\n".join(texts), message_id, context_id


def new_task(text, message_id, context_id):
    """A task as it starts: working, with the user's message as its history, kept for GetTask/ListTasks."""
    task = {"id": str(uuid.uuid4()), "contextId": context_id, "state": "working", "output": "", "timestamp": now(),
            "history": [{"role": "user", "text": text, "messageId": message_id}], "done": threading.Event()}
    save(task)
    return task


def save(task):
    with lock:
        sequence[0] += 1
        task["sequence"] = sequence[0]
        tasks.pop(task["id"], None)
        tasks[task["id"]] = task
        while len(tasks) > TASKS_KEPT:
            tasks.popitem(last=False)


def run_task(task):
    """Runs handle() on the task's input, then records how it ended."""
    started = time.monotonic()
    try:
        output, state = str(handle(task["history"][0]["text"])), "completed"
    except Exception as error:  # the user's logic failed: the task fails, the agent lives on
        output, state = "{}: {}".format(type(error).__name__, error), "failed"
    finish(task, state, output)
    print("task {} {} in {:.0f} ms".format(task["id"], state, (time.monotonic() - started) * 1000), flush=True)
    return task


def finish(task, state, output):
    task.update(output=output, state=state, timestamp=now())
    task["history"].append({"role": "agent", "text": output, "messageId": str(uuid.uuid4())})
    save(task)
    task["done"].set()


def find_task(task_id):
    with lock:
        task = tasks.get(task_id) if isinstance(task_id, str) else None
    if task is None:
        raise RpcError(TASK_NOT_FOUND, "Task not found: {}".format(task_id))
    return task


# The same task in each protocol version's wire form.
def v03_message(task, entry):
    return {"kind": "message", "messageId": entry["messageId"], "role": entry["role"],
            "parts": [{"kind": "text", "text": entry["text"]}], "taskId": task["id"], "contextId": task["contextId"]}


def v03_status(task):
    status = {"state": task["state"], "timestamp": task["timestamp"]}
    if task["state"] != "working":
        status["message"] = v03_message(task, task["history"][-1])
    return status


def v03_artifact(task):
    return {"artifactId": task["id"] + "-output", "name": "output", "parts": [{"kind": "text", "text": task["output"]}]}


def v03_task(task, history_length=None):
    history = task["history"] if history_length is None else task["history"][len(task["history"]) - history_length:] if history_length else []
    body = {"kind": "task", "id": task["id"], "contextId": task["contextId"], "status": v03_status(task),
            "history": [v03_message(task, entry) for entry in history]}
    if task["state"] == "completed":
        body["artifacts"] = [v03_artifact(task)]
    return body


def v03_events(task):
    ids = {"taskId": task["id"], "contextId": task["contextId"]}
    if task["state"] == "completed":
        yield dict(kind="artifact-update", artifact=v03_artifact(task), append=False, lastChunk=True, **ids)
    yield dict(kind="status-update", status=v03_status(task), final=True, **ids)


V1_STATES = {"working": "TASK_STATE_WORKING", "completed": "TASK_STATE_COMPLETED", "failed": "TASK_STATE_FAILED"}
V1_ROLES = {"user": "ROLE_USER", "agent": "ROLE_AGENT"}


def v1_message(task, entry):
    return {"messageId": entry["messageId"], "role": V1_ROLES[entry["role"]], "parts": [{"text": entry["text"], "mediaType": "text/plain"}],
            "taskId": task["id"], "contextId": task["contextId"]}


def v1_status(task):
    status = {"state": V1_STATES[task["state"]], "timestamp": task["timestamp"]}
    if task["state"] != "working":
        status["message"] = v1_message(task, task["history"][-1])
    return status


def v1_artifact(task):
    return {"artifactId": task["id"] + "-output", "name": "output", "parts": [{"text": task["output"], "mediaType": "text/plain"}]}


def v1_task(task, history_length=None, include_artifacts=True):
    history = task["history"] if history_length is None else task["history"][len(task["history"]) - history_length:] if history_length else []
    body = {"id": task["id"], "contextId": task["contextId"], "status": v1_status(task),
            "history": [v1_message(task, entry) for entry in history]}
    if task["state"] == "completed" and include_artifacts:
        body["artifacts"] = [v1_artifact(task)]
    return body


def v1_events(task):
    ids = {"taskId": task["id"], "contextId": task["contextId"]}
    if task["state"] == "completed":
        yield {"artifactUpdate": dict(artifact=v1_artifact(task), lastChunk=True, **ids)}
    yield {"statusUpdate": dict(status=v1_status(task), **ids)}


def list_tasks(params):
    """ListTasks: most recently updated first, paged by a cursor ("updated before #n")."""
    page_size = int_param(params, "pageSize", 1, 100) or 50
    history_length = int_param(params, "historyLength", 0, 1 << 31)
    token = params.get("pageToken") or ""
    before = float("inf")
    if token:
        try:
            before = int(token)
        except ValueError:
            raise RpcError(INVALID_PARAMS, "invalid pageToken {!r}: pass the nextPageToken of the previous page".format(token[:64]))
    state = params.get("status") or ""
    if state and state not in V1_STATES.values() and state != "TASK_STATE_UNSPECIFIED":
        raise RpcError(INVALID_PARAMS, "invalid status filter {!r}".format(state))
    after = params.get("statusTimestampAfter") or ""
    with lock:
        matching = [t for t in reversed(tasks.values())
                    if (not params.get("contextId") or t["contextId"] == params.get("contextId"))
                    and (not state or state == "TASK_STATE_UNSPECIFIED" or V1_STATES[t["state"]] == state)
                    and (not after or t["timestamp"] > after)]
    rest = [t for t in matching if t["sequence"] < before]
    page = rest[:page_size]
    return {"tasks": [v1_task(t, history_length, bool(params.get("includeArtifacts"))) for t in page],
            "nextPageToken": str(page[-1]["sequence"]) if len(rest) > page_size else "",
            "pageSize": page_size, "totalSize": len(matching)}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the supervisor reuses its connections

    def log_message(self, format, *args):
        pass  # one line per task is printed instead of one per request (probes come every second)

    def route(self):
        """The path without query and trailing slashes (clients joining base URL and path send /a2a/jsonrpc/)."""
        return self.path.split("?", 1)[0].rstrip("/") or "/"

    def send_json(self, status, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def not_found(self, path):
        # A JSON-RPC error object even here: A2A clients read every error body as one.
        self.send_json(404, {"jsonrpc": "2.0", "id": None, "error": {
            "code": -32601, "message": "no route {} {} (A2A JSON-RPC is POST {})".format(self.command, path, RPC_PATH)}})

    def do_GET(self):
        path = self.route()
        if path == "/health":
            with lock:
                busy = inflight
            return self.send_json(200, {"status": "ok", "agent": NAME, "instance": INSTANCE, "inflight": busy,
                                        "capacity": CAPACITY, "uptimeMs": int((time.monotonic() - STARTED) * 1000)})
        if path == CARD_PATH:
            legacy = (self.headers.get("A2A-Version") or "").startswith("0.")
            return self.send_json(200, agent_card("http://127.0.0.1:{}".format(self.server.server_address[1]), legacy))
        self.not_found(path)

    def do_POST(self):
        global inflight
        path = self.route()
        if path != RPC_PATH:
            self.close_connection = True  # the body is not read
            return self.not_found(path)
        request_id, body_read, legacy = None, False, True
        try:
            if TOKEN and not hmac.compare_digest((self.headers.get("Authorization") or "").encode(), ("Bearer " + TOKEN).encode()):
                raise RpcError(-32001, "unauthorized: send Authorization: Bearer $LIGHTNING_TOKEN", 401)
            legacy = wire_version(self.headers.get("A2A-Version")) == "0.3"
            content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if content_type not in ("application/json", "application/a2a+json"):
                raise RpcError(CONTENT_TYPE_NOT_SUPPORTED, "content-type must be application/json (got {})".format(content_type or "none"), 415)
            declared = self.headers.get("Content-Length") or ""
            if not declared.isdigit():
                raise RpcError(-32600, "send the body with a Content-Length header", 411)
            length = int(declared)
            if length > MAX_BODY_BYTES:
                raise RpcError(-32600, "request body over {} bytes".format(MAX_BODY_BYTES), 413)
            data = self.rfile.read(length)
            body_read = True
            try:
                body = json.loads(data or b"null")
            except ValueError:
                raise RpcError(-32700, "parse error: the body is not valid JSON", 400)
            if not isinstance(body, dict) or not isinstance(body.get("method"), str):
                raise RpcError(-32600, "invalid request: expected a JSON-RPC object with a method", 400)
            request_id, method = body.get("id"), body["method"]
            action = METHODS.get(method)
            if action is None:
                raise RpcError(-32601, "Method not found: {}".format(method))
            params = params_of(body)
            if action == "push":
                raise RpcError(PUSH_NOT_SUPPORTED, "Push notifications are not supported by this agent")
            if action == "extended_card":
                raise RpcError(UNSUPPORTED, "This agent has no extended agent card")
            if action == "get":
                task = find_task(params.get("id"))
                history_length = int_param(params, "historyLength", 0, 1 << 31)
                return self.result(request_id, v03_task(task, history_length) if legacy else v1_task(task, history_length))
            if action == "list":
                return self.result(request_id, list_tasks(params))
            if action == "cancel":
                task = find_task(params.get("id"))
                raise RpcError(TASK_NOT_CANCELABLE, "Task not cancelable: {} is {}".format(task["id"], task["state"]))
            if action == "subscribe":
                task = find_task(params.get("id"))
                if task["state"] != "working":
                    raise RpcError(UNSUPPORTED, "Task {} is in a terminal state ({}) and cannot be subscribed to".format(task["id"], task["state"]))
                return self.stream(request_id, legacy, task, run=False)
            text, message_id, context_id = incoming_message(params)
            configuration = params.get("configuration") if isinstance(params.get("configuration"), dict) else {}
            history_length = int_param(configuration, "historyLength", 0, 1 << 31)
            with lock:
                if inflight >= CAPACITY:
                    raise RpcError(-32000, "at capacity: {} of {} tasks in flight".format(inflight, CAPACITY), 503)
                inflight += 1
            task = new_task(text, message_id, context_id)
            try:
                if action == "stream":
                    return self.stream(request_id, legacy, task, run=True)
                if configuration.get("returnImmediately") or configuration.get("blocking") is False:
                    threading.Thread(target=self.run_in_background, args=(task,), daemon=True).start()
                else:
                    run_task(task)
                    self.release()
                return self.result(request_id, v03_task(task, history_length) if legacy else {"task": v1_task(task, history_length)})
            finally:
                if action == "stream":
                    self.release()
        except RpcError as error:
            if not body_read:
                self.close_connection = True  # the unread body would garble the next request on this connection
            headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else {"Retry-After": "1"} if error.status == 503 else {}
            self.send_json(error.status, {"jsonrpc": "2.0", "id": request_id, "error": error_body(error, legacy)}, headers)

    def result(self, request_id, result):
        self.send_json(200, {"jsonrpc": "2.0", "id": request_id, "result": result})

    @staticmethod
    def release():
        global inflight
        with lock:
            inflight -= 1

    @classmethod
    def run_in_background(cls, task):
        try:
            run_task(task)
        finally:
            cls.release()

    def stream(self, request_id, legacy, task, run):
        """SSE over chunked encoding: the task as it is (so the caller learns its id), then its end."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def send(result):
            data = "data: {}\n\n".format(json.dumps({"jsonrpc": "2.0", "id": request_id, "result": result})).encode()
            self.wfile.write("{:x}\r\n".format(len(data)).encode() + data + b"\r\n")
            self.wfile.flush()

        try:
            send(v03_task(task) if legacy else {"task": v1_task(task)})
            if run:
                run_task(task)
            else:
                task["done"].wait()
            for event in (v03_events(task) if legacy else v1_events(task)):
                send(event)
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the caller went away (cancelled or timed out)
            if run and not task["done"].is_set():
                finish(task, "failed", "cancelled: the caller went away before the task ran")


def exit_when_supervisor_gone():
    """Under the supervisor: exit when it is gone (stdin pipe closed, or we were re-parented)."""
    supervisor_pid = os.environ.get("LIGHTNING_SUPERVISOR_PID")
    if not supervisor_pid:
        return

    def watch_stdin():
        # The raw descriptor, never sys.stdin: a daemon thread blocked inside the buffered reader
        # holds its lock, and Python aborts at exit ("Fatal Python error: _enter_buffered_busy")
        # when SIGTERM ends the main thread. os.read holds no lock at all.
        try:
            while os.read(0, 65536):
                pass
        except OSError:
            pass
        os._exit(0)

    def watch_parent():
        while os.getppid() == int(supervisor_pid):
            time.sleep(0.25)
        os._exit(0)

    mode = os.fstat(0).st_mode
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):  # a pipe from the supervisor (Node makes it a socket)
        threading.Thread(target=watch_stdin, daemon=True).start()
    threading.Thread(target=watch_parent, daemon=True).start()


def join_supervisor():
    """Register with $LIGHTNING_SUPERVISOR and renew the lease every third of it, for good."""
    if not (SUPERVISOR and JOIN_TOKEN):
        return
    url = SUPERVISOR.rstrip("/") + "/v1/agents/register"
    body = json.dumps({"url": ADVERTISE, "name": NAME, "ttlMs": LEASE_MS}).encode()

    def beat():
        joined = False
        while True:
            request = urllib.request.Request(url, data=body, method="POST", headers={
                "content-type": "application/json", "authorization": "Bearer " + JOIN_TOKEN})
            try:
                with urllib.request.urlopen(request, timeout=3) as response:
                    answer = json.loads(response.read() or b"{}")
                if not joined:
                    print("joined {} as {} (lease {} ms)".format(SUPERVISOR, answer.get("id"), LEASE_MS), flush=True)
                joined = True
            except urllib.error.HTTPError as error:
                reason = error.read().decode("utf-8", "replace")
                if not joined and error.code < 500:  # a bad token or an unreachable card: say so, stop
                    print("{}: could not join {}: HTTP {} {}".format(NAME, SUPERVISOR, error.code, reason), file=sys.stderr, flush=True)
                    os._exit(1)
                print("heartbeat to {} failed: HTTP {}".format(SUPERVISOR, error.code), file=sys.stderr, flush=True)
            except OSError as error:  # the supervisor restarting or unreachable: keep trying
                print("heartbeat to {} failed: {}".format(SUPERVISOR, error), file=sys.stderr, flush=True)
            time.sleep(max(0.25, LEASE_MS / 3000.0))

    threading.Thread(target=beat, daemon=True).start()


def main():
    try:
        server = ThreadingHTTPServer((HOST, PORT), Handler)
    except OSError as error:
        sys.exit("{}: cannot listen on {}:{}: {}".format(NAME, HOST, PORT, error.strerror or error))
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    exit_when_supervisor_gone()
    join_supervisor()
    print("{} listening on http://{}:{}".format(NAME, HOST, PORT), flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass


if __name__ == "__main__":
    main()
